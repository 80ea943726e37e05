package dev.haul.internal.http1;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.HttpTransport;
import dev.haul.internal.http.ProxyException;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.Tls;
import dev.haul.internal.http.TransportConfig;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.MalformedURLException;
import java.net.PasswordAuthentication;
import java.net.URI;
import java.net.URL;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;

/**
 * Haul's own HTTP/1.1 client: GET and HEAD over pooled keep-alive connections, plain or TLS,
 * directly or through HTTP and SOCKS5 proxies. See the package documentation for how it is built.
 *
 * <pre>{@code
 * TransportConfig config = TransportConfig.direct(Duration.ofSeconds(10));
 * try (HttpTransport transport = new Http1Transport(config);
 *      Exchange exchange = transport.newExchange(ExchangeRequest.get(uri).build())) {
 *     ResponseHead head = exchange.send();
 *     ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
 *     for (int n; (n = exchange.read(buffer.clear())) != -1; ) {
 *         sink.write(buffer.flip());
 *     }
 * }
 * }</pre>
 *
 * <p>It starts no threads. Failures to connect are {@link java.net.ConnectException} (a connect
 * timeout too, with "timed out" in its message; the timeout covers TCP, the proxy handshake and
 * the TLS handshake together, not the DNS lookup) or {@link UnknownHostException}; a proxy that
 * refuses is a {@link dev.haul.internal.http.ProxyException}.
 */
public final class Http1Transport implements HttpTransport {
    private final TransportConfig config;
    private final ConnectionPool pool;
    private final Connector connector;
    private volatile SSLContext tlsContext;
    /** Credentials an authenticator gave for a proxy, so it is asked once, not per request. */
    private final Map<String, PasswordAuthentication> proxyCredentials = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** A transport with {@code config}'s timeout, TLS settings and proxies; opens nothing yet. */
    public Http1Transport(TransportConfig config) {
        this(config, System::nanoTime);
    }

    /**
     * As above, with the pool aging idle connections on {@code clock} (the manager's clock, in
     * nanoseconds; tests advance it). Socket waits (connect, handshakes) stay on the system clock:
     * only the operating system can end them.
     */
    public Http1Transport(TransportConfig config, LongSupplier clock) {
        this(config, clock, ConnectionPool.MAX_IDLE_PER_KEY);
    }

    /** As above, keeping at most {@code maxIdlePerKey} idle connections per key (0: none). */
    public Http1Transport(TransportConfig config, LongSupplier clock, int maxIdlePerKey) {
        this.config = Objects.requireNonNull(config, "config");
        this.pool = new ConnectionPool(clock, maxIdlePerKey);
        this.connector = new Connector(config, this::tlsContext);
    }

    /**
     * A new exchange for {@code request}; nothing is sent until {@link Exchange#send()}, which
     * throws {@code IOException("transport closed")} once this transport is closed.
     *
     * @throws IllegalArgumentException when the URI has no host
     */
    @Override
    public Exchange newExchange(ExchangeRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.uri().getHost() == null || request.uri().getHost().isEmpty()) {
            throw new IllegalArgumentException("no host in " + request);
        }
        return new Http1Exchange(this, request);
    }

    /**
     * Closes the idle connections and refuses new exchanges. Running exchanges finish, then close
     * their connections instead of returning them to the pool.
     */
    @Override
    public void close() {
        closed = true;
        pool.close();
    }

    boolean isClosed() {
        return closed;
    }

    TransportConfig config() {
        return config;
    }

    ConnectionPool pool() {
        return pool;
    }

    Connector connector() {
        return connector;
    }

    /** The TLS context, made on the first https connection: plain-http runs never load TLS. */
    private SSLContext tlsContext() {
        SSLContext ctx = tlsContext;
        if (ctx == null) {
            synchronized (this) {
                ctx = tlsContext;
                if (ctx == null) {
                    ctx = Tls.context(config);
                    tlsContext = ctx;
                }
            }
        }
        return ctx;
    }

    /** The route for {@code uri}; never a silent direct connection when the selector fails. */
    ProxyRoute route(URI uri) throws ProxyException {
        return ProxyRoute.of(config.proxies(), uri);
    }

    PoolKey key(URI uri, ProxyRoute route) {
        boolean https = uri.getScheme().equalsIgnoreCase("https");
        int port = uri.getPort() >= 0 ? uri.getPort() : https ? 443 : 80;
        return new PoolKey(https, uri.getHost(), port, route);
    }

    PasswordAuthentication rememberedProxyCredentials(ProxyRoute.Http proxy) {
        return proxyCredentials.get(proxyId(proxy));
    }

    void rememberProxyCredentials(ProxyRoute.Http proxy, PasswordAuthentication credentials) {
        proxyCredentials.put(proxyId(proxy), credentials);
    }

    private static String proxyId(ProxyRoute.Http proxy) {
        return proxy.host().toLowerCase(Locale.ROOT) + ":" + proxy.port();
    }

    /**
     * Asks the configured authenticator for the proxy's credentials ({@code RequestorType.PROXY}),
     * or returns null when it has none. Never called while holding a lock: it is user code.
     */
    PasswordAuthentication askProxyCredentials(ProxyRoute.Http proxy, URI origin,
            String challenge) {
        Authenticator authenticator = config.authenticator();
        if (authenticator == null) {
            return null;
        }
        InetAddress address = null;
        try {
            address = InetAddress.getByName(proxy.host());
        } catch (UnknownHostException e) {
            // the prompt works without it
        }
        URL url = null;
        try {
            url = origin.toURL();
        } catch (MalformedURLException | IllegalArgumentException e) {
            // the prompt works without it
        }
        String realm = realm(challenge);
        return Authenticator.requestPasswordAuthentication(authenticator, proxy.host(), address,
                proxy.port(), "http", realm, "basic", url, Authenticator.RequestorType.PROXY);
    }

    /** The realm of a {@code Basic realm="..."} challenge, or an empty prompt. */
    private static String realm(String challenge) {
        if (challenge == null) {
            return "";
        }
        int at = challenge.toLowerCase(Locale.ROOT).indexOf("realm=\"");
        if (at < 0) {
            return "";
        }
        int end = challenge.indexOf('"', at + 7);
        return end < 0 ? "" : challenge.substring(at + 7, end);
    }

    @Override
    public String toString() {
        return "Http1Transport[" + (closed ? "closed" : pool.idleCount() + " idle") + "]";
    }
}
