package dev.haul.internal.sink;

import dev.haul.DownloadException;
import dev.haul.internal.resume.RangeSet;
import dev.haul.internal.resume.Validators;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A sink that takes bytes at any offset of the body, from several connections at once, each
 * writing its own range: a part file, or a memory body of known length.
 */
public interface PositionalSink {

    /** Writes the rest of {@code src} at {@code position}; thread-safe for disjoint ranges. */
    void writeAt(long position, ByteBuffer src) throws DownloadException;

    /** Records which ranges are held, for a later run to continue (part files only). */
    default void saveRanges(Validators validators, RangeSet done) throws IOException {
    }
}
