/**
 * Where body bytes go: a {@link dev.haul.internal.sink.Sink} in memory, in a {@code .part} file
 * moved atomically onto its destination, or handed to a chunk callback; plus the file operations
 * seam that tests use to inject disk faults.
 */
package dev.haul.internal.sink;
