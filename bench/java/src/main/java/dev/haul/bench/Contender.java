package dev.haul.bench;

import java.net.URI;

/**
 * One way of moving a response body into the process. A contender is created once per JVM and
 * reused for every iteration, as a long-lived application would reuse its client.
 */
public interface Contender extends AutoCloseable {

    /** Downloads {@code uri} completely and returns the number of body bytes the caller saw. */
    long fetch(URI uri) throws Exception;

    /** A file this contender wrote during the last fetch, for verification and deletion; null if none. */
    default java.nio.file.Path lastFile() {
        return null;
    }

    @Override
    default void close() throws Exception {
    }
}
