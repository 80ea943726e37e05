package dev.haul.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * Case 6: a client that fetches many small files over a fixed number of keep-alive connections,
 * created once per JVM and reused for every round, as a long-lived application would.
 */
public interface SmallClient extends AutoCloseable {

    /**
     * Fetches every URI, {@code conns} at a time (fixed when the client was made), into
     * {@code dir} (one file per URI, named by {@link #name}) or, when {@code dir} is null, only
     * counting the bytes. Returns the number of body bytes received.
     */
    long round(List<URI> uris, Path dir) throws Exception;

    /** The file name for a URI: its last path segment. */
    static String name(URI uri) {
        String p = uri.getPath();
        return p.substring(p.lastIndexOf('/') + 1);
    }

    @Override
    default void close() throws Exception {
    }
}
