package dev.haul;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the bytes of a download go: one choice of three, like the JDK's {@code BodyHandlers}.
 *
 * <ul>
 *   <li>{@link #memory()}: the result carries the body as a {@code byte[]}, up to
 *       {@link DownloadRequest.Builder#maxMemoryBytes(long) a cap};
 *   <li>{@link #file(Path)}: the body is written to {@code <file>.part} and moved onto the file
 *       atomically once it is complete and verified, so the file never holds a partial body;
 *   <li>{@link #stream(ChunkCallback)}: each chunk is handed to a callback as it arrives.
 * </ul>
 */
public sealed interface Destination permits Destination.Memory, Destination.File, Destination.Stream {

    /** The body is collected in memory and returned in the result. */
    static Destination memory() {
        return Memory.INSTANCE;
    }

    /**
     * The body is written to {@code path}. Its parent directory must exist: a missing directory is
     * a {@link DownloadException.Reason#LOCAL_IO} failure, not a directory created for you.
     */
    static Destination file(Path path) {
        return new File(path);
    }

    /** Each chunk of the body is passed to {@code callback}, in order. */
    static Destination stream(ChunkCallback callback) {
        return new Stream(callback);
    }

    /** The memory destination. */
    final class Memory implements Destination {
        static final Memory INSTANCE = new Memory();

        private Memory() {
        }

        @Override
        public String toString() {
            return "memory";
        }
    }

    /** The file destination. */
    record File(Path path) implements Destination {
        public File {
            Objects.requireNonNull(path, "path");
        }
    }

    /** The chunk-callback destination. */
    record Stream(ChunkCallback callback) implements Destination {
        public Stream {
            Objects.requireNonNull(callback, "callback");
        }
    }
}
