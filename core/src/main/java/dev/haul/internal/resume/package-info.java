/**
 * What a resume stands on: the {@link dev.haul.internal.resume.Validators} that identify a
 * representation, the {@link dev.haul.internal.resume.RangeSet} of bytes already held, the
 * {@link dev.haul.internal.resume.Sidecar} that keeps both beside a part file across runs, and the
 * parsers of {@code Range} and {@code Content-Range}.
 */
package dev.haul.internal.resume;
