package dev.haul.internal;

import java.net.http.HttpClient;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import dev.haul.internal.http.LazyTlsContext;
import dev.haul.internal.http.Tls;

/**
 * One HTTP client and its thread pool, shared by every download that runs while it is live.
 * {@link Sessions} counts the downloads in flight and decides when it is released.
 */
final class Session {
    private static final System.Logger LOG = System.getLogger("dev.haul");
    private static final AtomicInteger IDS = new AtomicInteger();

    final int id = IDS.incrementAndGet();
    final HttpClient client;
    private final WorkerPool executor;
    /** Completes once the client has been released. */
    final CompletableFuture<Void> closed = new CompletableFuture<>();

    // Guarded by the Sessions lock.
    int inFlight;
    boolean retired;

    Session(EngineConfig config) {
        executor = new WorkerPool(config.threads(), TimeUnit.SECONDS.toNanos(2),
                daemonThreads("haul-" + id + "-worker-"));
        HttpClient.Builder b = HttpClient.newBuilder()
                .executor(executor)
                .followRedirects(HttpClient.Redirect.NEVER) // we follow redirects ourselves
                .connectTimeout(config.connectTimeout())
                .version(config.httpVersion());
        if (config.insecure()) {
            LOG.log(System.Logger.Level.WARNING,
                    "TLS verification is OFF: certificates and host names are not checked");
            b.sslContext(Tls.trustAll());
        } else if (config.sslContext() != null) {
            b.sslContext(config.sslContext());
        } else {
            b.sslContext(new LazyTlsContext()).sslParameters(LazyTlsContext.parameters());
        }
        client = b.build();
    }

    /** Releases the client: closes it on JDK 21+, lets it be collected on 17. */
    void release() {
        try {
            if (client instanceof AutoCloseable c) { // HttpClient is AutoCloseable from JDK 21
                c.close();
            }
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "closing HTTP client", e);
        } finally {
            executor.shutdown();
            closed.complete(null);
        }
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
