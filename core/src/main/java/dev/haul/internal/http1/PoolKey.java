package dev.haul.internal.http1;

import dev.haul.internal.http.ProxyRoute;
import java.net.PasswordAuthentication;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * What makes two requests able to share a connection: scheme, host, port and the route to them.
 *
 * <p>Routes compare by value, proxy credentials included (by content, since
 * {@link PasswordAuthentication} has no {@code equals}): a tunnel authenticated with one
 * password is never lent to a request that carries another. Credentials never reach
 * {@link #toString()} or the hash.
 */
final class PoolKey {
    final boolean https;
    /** Lower case, without IPv6 brackets: what DNS, SNI and certificate checks use. */
    final String host;
    final int port;
    final ProxyRoute route;
    /** {@code host[:port]} as the Host header and CONNECT carry it, IPv6 bracketed. */
    final String authority;
    private final int hash;

    PoolKey(boolean https, String host, int port, ProxyRoute route) {
        this.https = https;
        String bare = host.startsWith("[") && host.endsWith("]")
                ? host.substring(1, host.length() - 1) : host;
        this.host = bare.toLowerCase(Locale.ROOT);
        this.port = port;
        this.route = route;
        String bracketed = this.host.indexOf(':') >= 0 ? "[" + this.host + "]" : this.host;
        this.authority = bracketed + ":" + port;
        this.hash = Objects.hash(https, this.host, port, routeHash(route));
    }

    private static int routeHash(ProxyRoute route) {
        if (route instanceof ProxyRoute.Http http) {
            return Objects.hash(1, http.host().toLowerCase(Locale.ROOT), http.port());
        }
        if (route instanceof ProxyRoute.Socks5 socks) {
            return Objects.hash(2, socks.host().toLowerCase(Locale.ROOT), socks.port(),
                    socks.remoteDns());
        }
        return 0;
    }

    static boolean sameRoute(ProxyRoute a, ProxyRoute b) {
        if (a instanceof ProxyRoute.Http x && b instanceof ProxyRoute.Http y) {
            return x.host().equalsIgnoreCase(y.host()) && x.port() == y.port()
                    && sameCredentials(x.credentials(), y.credentials());
        }
        if (a instanceof ProxyRoute.Socks5 x && b instanceof ProxyRoute.Socks5 y) {
            return x.host().equalsIgnoreCase(y.host()) && x.port() == y.port()
                    && x.remoteDns() == y.remoteDns()
                    && sameCredentials(x.credentials(), y.credentials());
        }
        return a instanceof ProxyRoute.Direct && b instanceof ProxyRoute.Direct;
    }

    private static boolean sameCredentials(PasswordAuthentication x, PasswordAuthentication y) {
        if (x == null || y == null) {
            return x == y;
        }
        return x.getUserName().equals(y.getUserName())
                && Arrays.equals(x.getPassword(), y.getPassword());
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PoolKey k)) {
            return false;
        }
        return hash == k.hash && https == k.https && port == k.port && host.equals(k.host)
                && sameRoute(route, k.route);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        String target = (https ? "https://" : "http://") + authority;
        return route instanceof ProxyRoute.Direct ? target : target + " via " + route;
    }
}
