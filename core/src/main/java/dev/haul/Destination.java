package dev.haul;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the bytes of a download go, typed by what its result carries — like the JDK's
 * {@code BodyHandlers}:
 *
 * <ul>
 *   <li>{@link #memory()}: the result's body is the {@code byte[]}, up to
 *       {@link DownloadRequest.Builder#maxMemoryBytes(long) a cap};
 *   <li>{@link #file(Path)}: the body is written to {@code <file>.part} and moved onto the file
 *       atomically once it is complete and verified, so the file never holds a partial body; the
 *       result's body is the file's {@code Path};
 *   <li>{@link #directory(Path)}: like a file, under a name the response suggests; the result's
 *       body is the file's {@code Path};
 *   <li>{@link #stream(ChunkCallback)}: each chunk is handed to a callback as it arrives; the
 *       result's body is null.
 * </ul>
 *
 * <pre>{@code
 * Download<Path> d = manager.download(request, Destination.file(Path.of("app.mpk")));
 * Path file = d.result().join().body();
 * }</pre>
 *
 * @param <T> what the result's {@link DownloadResult#body() body} is
 */
@SuppressWarnings("UnusedTypeParameter") // T only types the result: Download<T> from Destination<T>
public final class Destination<T> {

    /** The kinds of destination, for the engine. */
    enum Kind { MEMORY, FILE, DIRECTORY, STREAM }

    private static final Destination<byte[]> MEMORY = new Destination<>(Kind.MEMORY, null, null);

    private final Kind kind;
    private final Path path;
    private final ChunkCallback callback;

    private Destination(Kind kind, Path path, ChunkCallback callback) {
        this.kind = kind;
        this.path = path;
        this.callback = callback;
    }

    /**
     * The body is collected in memory and returned in the result.
     *
     * @return a destination that collects the body in memory
     */
    public static Destination<byte[]> memory() {
        return MEMORY;
    }

    /**
     * The body is written to {@code path}. Its parent directory must exist: a missing directory is
     * a {@link DownloadException.Reason#LOCAL_IO} failure, not a directory created for you. An
     * existing file is replaced, atomically, only by a complete and verified body.
     *
     * @param path the file to write; replaced atomically on success
     * @return a destination that writes {@code path}
     */
    public static Destination<Path> file(Path path) {
        return new Destination<>(Kind.FILE, Objects.requireNonNull(path, "path"), null);
    }

    /**
     * The body is written into {@code dir} under a name chosen from the response: the
     * {@code Content-Disposition} filename ({@code filename*}, RFC 8187, before {@code filename},
     * RFC 6266), else the last segment of the final URL after redirects, else
     * {@code index.html}. The name is untrusted and made safe: one plain file name, never a path,
     * never outside {@code dir} (separators, {@code ..}, control characters, leading dots and
     * Windows device names are taken out). Then it behaves as {@link #file(Path)}: a
     * {@code .part} beside it, atomically moved onto the name, replacing a file of that name.
     * A {@code .part} left by an earlier run for the same URL and name is continued.
     *
     * <pre>{@code
     * Download<Path> d = manager.download(request, Destination.directory(Path.of("downloads")));
     * Path saved = d.result().join().body();   // downloads/report-2026.pdf
     * }</pre>
     *
     * @param dir the directory the file goes into
     * @return a destination that writes a file named by the response into {@code dir}
     */
    public static Destination<Path> directory(Path dir) {
        return new Destination<>(Kind.DIRECTORY, Objects.requireNonNull(dir, "dir"), null);
    }

    /**
     * Each chunk of the body is passed to {@code callback}, in order; the result's body is null.
     *
     * @param callback receives the body in order, chunk by chunk
     * @return a destination that streams to {@code callback}
     */
    public static Destination<Void> stream(ChunkCallback callback) {
        return new Destination<>(Kind.STREAM, null, Objects.requireNonNull(callback, "callback"));
    }

    Kind kind() {
        return kind;
    }

    Path path() {
        return path;
    }

    ChunkCallback callback() {
        return callback;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case MEMORY -> "memory";
            case FILE -> "file " + path;
            case DIRECTORY -> "directory " + path;
            case STREAM -> "stream";
        };
    }
}
