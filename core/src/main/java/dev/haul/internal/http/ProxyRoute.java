package dev.haul.internal.http;

import java.net.PasswordAuthentication;
import java.net.URI;
import java.util.function.Function;

/**
 * How one request reaches its origin: directly, through an HTTP proxy (absolute-form requests for
 * http, {@code CONNECT} tunnels for https), or through a SOCKS5 proxy (RFC 1928, with RFC 1929
 * user/password authentication when credentials are given).
 *
 * <p>Proxy credentials go to the proxy only ({@code Proxy-Authorization} on the proxy request or
 * the CONNECT, never inside a tunnel or to the origin).
 */
public sealed interface ProxyRoute {

    /** No proxy. */
    ProxyRoute DIRECT = new Direct();

    /**
     * The route {@code routes} gives {@code uri}. A route that cannot be made (a malformed proxy
     * URL in {@code http_proxy}, a proxy selector that throws or answers null) is a
     * {@link ProxyException}, so the download fails as a proxy failure and never connects
     * directly.
     *
     * @throws ProxyException when no route can be made; the message names where the proxy came
     *                        from and never shows credentials
     */
    static ProxyRoute of(Function<URI, ProxyRoute> routes, URI uri) throws ProxyException {
        ProxyRoute route;
        try {
            route = routes.apply(uri);
        } catch (RuntimeException e) {
            throw new ProxyException(0, "no usable proxy for " + uri.getHost() + ": "
                    + e.getMessage(), e);
        }
        if (route == null) {
            throw new ProxyException(0, "the proxy selector returned null for " + uri.getHost());
        }
        return route;
    }

    /** Connect to the origin directly. */
    record Direct() implements ProxyRoute {
    }

    /**
     * An HTTP proxy at {@code host:port}.
     *
     * @param credentials sent as {@code Proxy-Authorization: Basic} when not null
     */
    record Http(String host, int port, PasswordAuthentication credentials) implements ProxyRoute {
        @Override
        public String toString() {
            return "http://" + host + ":" + port; // never the credentials
        }
    }

    /**
     * A SOCKS5 proxy at {@code host:port}.
     *
     * @param remoteDns   true to let the proxy resolve the origin's name ({@code socks5h://}),
     *                    false to resolve it locally and send the address ({@code socks5://})
     * @param credentials RFC 1929 user/password when not null
     */
    record Socks5(String host, int port, boolean remoteDns, PasswordAuthentication credentials)
            implements ProxyRoute {
        @Override
        public String toString() {
            return (remoteDns ? "socks5h://" : "socks5://") + host + ":" + port;
        }
    }
}
