package dev.haul.internal.transfer;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where the next request of a download goes: the current URL (after redirects) and the headers
 * that may be sent to it. Redirects to another origin replace it with one that carries fewer
 * headers; nothing else changes it.
 */
final class Cursor {
    /**
     * The caller's headers that may follow a redirect to another origin. Everything else —
     * Authorization, Cookie, Proxy-Authorization, and custom headers such as API keys, which we
     * cannot tell from secrets — stays with the origin it was meant for.
     */
    private static final java.util.Set<String> CROSS_ORIGIN_HEADERS = java.util.Set.of("user-agent",
            "accept", "accept-language", "accept-encoding", "cache-control", "pragma");

    final URI uri;
    final Map<String, String> headers;
    final int redirects;

    Cursor(URI uri, Map<String, String> headers, int redirects) {
        this.uri = uri;
        this.headers = headers;
        this.redirects = redirects;
    }

    /** Whether a caller's header may go to another origin than the one it was meant for. */
    static boolean mayCrossOrigins(String name) {
        return CROSS_ORIGIN_HEADERS.contains(name.toLowerCase(Locale.ROOT));
    }

    /** The cursor after following a redirect to {@code next}. */
    Cursor redirectTo(URI next, boolean keepCredentials) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        URI target = next;
        if (!origin(next).equals(origin(uri)) && !keepCredentials) {
            h.keySet().removeIf(
                    name -> !CROSS_ORIGIN_HEADERS.contains(name.toLowerCase(Locale.ROOT)));
            target = withoutUserInfo(next);
        }
        return new Cursor(target, h, redirects + 1);
    }

    /** {@code scheme://host:port}, lower case, with the default port filled in. */
    static String origin(URI uri) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(),
                    uri.getRawPath() == null ? null : uri.getPath(), uri.getQuery(),
                    uri.getFragment());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
