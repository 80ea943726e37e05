package dev.haul.internal.http;

/**
 * The seam between the download engine and the wire: it turns an {@link ExchangeRequest} into an
 * {@link Exchange} whose response head and body the engine reads, blocking, on its own thread.
 *
 * <p>Connection reuse, TLS (with host name verification and SNI) and proxies live behind it; the
 * engine, segments and sinks see only exchanges. Two implementations exist: Haul's own HTTP/1.1
 * client ({@code dev.haul.internal.http1}), the default, and an adapter over the JDK's
 * {@code java.net.http.HttpClient} ({@code dev.haul.internal.jdkhttp}) for HTTP/2 and as a
 * fallback. A difference in behaviour between them is a bug.
 *
 * <p>A transport starts no threads of its own: every blocking call runs on the caller's thread.
 * It is thread-safe; exchanges are not (one thread uses an exchange, while any thread may
 * {@link Exchange#abort abort} it).
 */
public interface HttpTransport extends AutoCloseable {

    /** A new exchange for {@code request}; nothing is sent until {@link Exchange#send()}. */
    Exchange newExchange(ExchangeRequest request);

    /**
     * Closes idle connections and refuses new exchanges. Exchanges still running finish normally
     * and close their connections when they end, instead of returning them to a pool.
     */
    @Override
    void close();
}
