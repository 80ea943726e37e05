/**
 * The copy loop ({@link dev.haul.internal.pipe.Pipe}) and the stages around it: the stall watch's
 * activity, the length guard, SHA-256 hashing ({@link dev.haul.internal.pipe.Checksum}), counting.
 * A bandwidth limit is one more stage.
 */
package dev.haul.internal.pipe;
