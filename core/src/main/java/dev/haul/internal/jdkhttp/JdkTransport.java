package dev.haul.internal.jdkhttp;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.HttpTransport;
import dev.haul.internal.http.LazyTlsContext;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.Tls;
import dev.haul.internal.http.TransportConfig;
import dev.haul.internal.session.Threads;
import dev.haul.internal.session.WorkerPool;
import java.io.IOException;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The transport over the JDK's {@code java.net.http.HttpClient}: HTTP/2 over TLS (ALPN), and
 * HTTP/1.1 as a fallback to Haul's own client. One {@code HttpClient} with its own small thread
 * pool per transport; closed on JDK 21+ when the transport closes, left to the garbage collector
 * on 17 (which has no {@code HttpClient.close()}).
 *
 * <p>What the JDK client cannot do, this transport refuses instead of doing something else: a
 * SOCKS proxy fails the exchange with a {@code ProxyException} (the JDK client would ignore it and
 * connect directly). Proxy credentials over an HTTPS tunnel also need
 * {@code -Djdk.http.auth.tunneling.disabledSchemes=} (the JDK disables Basic for tunnels).
 */
public final class JdkTransport implements HttpTransport {
    private static final System.Logger LOG = System.getLogger("dev.haul");
    private static final AtomicInteger IDS = new AtomicInteger();

    final HttpClient client;
    final TransportConfig config;
    private final WorkerPool executor;
    private volatile boolean closed;

    /**
     * @param threads the most threads the client's pool runs; they start on demand and end after
     *                2 s idle
     */
    public JdkTransport(TransportConfig config, HttpClient.Version version, int threads) {
        this.config = config;
        int id = IDS.incrementAndGet();
        executor = new WorkerPool(threads, TimeUnit.SECONDS.toNanos(2),
                Threads.daemon("haul-jdk-" + id + "-"));
        HttpClient.Builder b = HttpClient.newBuilder()
                .executor(executor)
                .followRedirects(HttpClient.Redirect.NEVER) // the engine follows redirects itself
                .connectTimeout(config.connectTimeout())
                .version(version)
                .proxy(new RouteSelector(config));
        if (config.insecure()) {
            Tls.warnInsecure();
        }
        SSLContextHolder.apply(b, config);
        if (config.authenticator() != null) {
            // Only then: with an authenticator the JDK client drops the caller's Authorization
            // header.
            b.authenticator(proxyAuthenticator(config));
        }
        client = b.build();
    }

    @Override
    public Exchange newExchange(ExchangeRequest request) {
        return new JdkExchange(this, request);
    }

    boolean closed() {
        return closed;
    }

    /**
     * Closes the client on JDK 21+ (waiting for exchanges to wind down); lets it be collected on
     * 17.
     */
    @Override
    public void close() {
        closed = true;
        try {
            if (client instanceof AutoCloseable c) { // HttpClient is AutoCloseable from JDK 21
                c.close();
            }
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "closing HTTP client", e);
        } finally {
            executor.shutdown();
        }
    }

    /** The route's proxy for the JDK client; SOCKS is refused by the exchange, never used here. */
    private static final class RouteSelector extends ProxySelector {
        private final TransportConfig config;

        RouteSelector(TransportConfig config) {
            this.config = config;
        }

        @Override
        public List<Proxy> select(URI uri) {
            ProxyRoute route = config.proxies().apply(uri);
            if (route instanceof ProxyRoute.Http h) {
                return List.of(new Proxy(Proxy.Type.HTTP,
                        InetSocketAddress.createUnresolved(h.host(), h.port())));
            }
            return List.of(Proxy.NO_PROXY);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        }
    }

    /** Answers proxy challenges with the route's credentials, else the caller's authenticator. */
    private static Authenticator proxyAuthenticator(TransportConfig config) {
        Authenticator fallback = config.authenticator();
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                if (getRequestorType() != RequestorType.PROXY) {
                    return null; // origin challenges are the engine's business, never answered here
                }
                ProxyRoute route = config.proxies().apply(getRequestingURL() == null ? null
                        : URI.create(getRequestingURL().toString()));
                if (route instanceof ProxyRoute.Http h && h.credentials() != null) {
                    return h.credentials();
                }
                return fallback == null ? null
                        : Authenticator.requestPasswordAuthentication(fallback, getRequestingHost(),
                        getRequestingSite(), getRequestingPort(), getRequestingProtocol(),
                        getRequestingPrompt(), getRequestingScheme(), getRequestingURL(),
                        RequestorType.PROXY);
            }
        };
    }

    /** Sets the TLS context: the caller's, an insecure one, or the JDK default initialised late. */
    private static final class SSLContextHolder {
        static void apply(HttpClient.Builder b, TransportConfig config) {
            if (config.insecure() || config.sslContext() != null) {
                b.sslContext(Tls.context(config));
            } else {
                b.sslContext(new LazyTlsContext()).sslParameters(LazyTlsContext.parameters());
            }
        }
    }
}
