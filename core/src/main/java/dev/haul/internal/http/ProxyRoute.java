package dev.haul.internal.http;

import java.net.PasswordAuthentication;

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
