package dev.haul.internal.http;

import java.net.Authenticator;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * What a transport is built with.
 *
 * @param connectTimeout the longest wait for TCP connect plus the TLS handshake (and a proxy's
 *                       CONNECT or SOCKS handshake)
 * @param sslContext     the TLS context; null for the JDK's default, initialised on first use
 * @param insecure       no certificate or host name verification (dangerous, the caller's choice)
 * @param proxies        the route for each origin URI; never null
 *                       ({@code uri -> ProxyRoute.DIRECT})
 * @param authenticator  asked for proxy credentials on a 407 when the route carries none;
 *                       may be null
 */
public record TransportConfig(Duration connectTimeout, SSLContext sslContext, boolean insecure,
                              Function<URI, ProxyRoute> proxies, Authenticator authenticator) {

    public TransportConfig {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(proxies, "proxies");
    }

    /** Direct connections, the default TLS context, the given connect timeout. */
    public static TransportConfig direct(Duration connectTimeout) {
        return new TransportConfig(connectTimeout, null, false, uri -> ProxyRoute.DIRECT, null);
    }
}
