package dev.haul.bench;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/** Case 4: a client that keeps many downloads in flight at once without a thread per download. */
public interface ScaleClient extends AutoCloseable {

    /**
     * Starts downloading {@code uri}. {@code onFirstBytes} runs once, when the first body bytes
     * arrive. The future completes with the number of body bytes after the client verified them
     * (length, and SHA-256 where the client supports it), or fails.
     */
    CompletableFuture<Long> start(URI uri, Runnable onFirstBytes);

    @Override
    default void close() throws Exception {
    }
}
