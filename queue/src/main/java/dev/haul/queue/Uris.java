package dev.haul.queue;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** URL checks and rewrites the queue needs: http(s) only, user information in and out. */
final class Uris {
    private Uris() {
    }

    /** {@code uri} if it is an absolute http(s) URL with a host; else a message naming it. */
    static URI checkHttp(URI uri, String what) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException(what + " is not an http or https URL: "
                    + redact(uri));
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException(what + " has no host: " + redact(uri));
        }
        return uri;
    }

    /** {@code uri} with its user information replaced by {@code rawUserInfo} (null: none). */
    static URI withUserInfo(URI uri, String rawUserInfo) {
        StringBuilder s = new StringBuilder(uri.getScheme()).append("://");
        if (rawUserInfo != null) {
            s.append(rawUserInfo).append('@');
        }
        String host = uri.getHost();
        s.append(host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host);
        if (uri.getPort() >= 0) {
            s.append(':').append(uri.getPort());
        }
        if (uri.getRawPath() != null) {
            s.append(uri.getRawPath());
        }
        if (uri.getRawQuery() != null) {
            s.append('?').append(uri.getRawQuery());
        }
        if (uri.getRawFragment() != null) {
            s.append('#').append(uri.getRawFragment());
        }
        try {
            return new URI(s.toString());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot rewrite URL: " + redact(uri), e);
        }
    }

    /** For logs: no user information, no query string (it may hold a token). */
    static String redact(URI uri) {
        if (uri.getRawAuthority() == null) {
            return (uri.getScheme() == null ? "" : uri.getScheme() + ":") + "…";
        }
        String s = uri.getScheme() + "://" + (uri.getRawUserInfo() == null ? "" : "***@")
                + uri.getRawAuthority().substring(uri.getRawAuthority().indexOf('@') + 1)
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
        return uri.getRawQuery() == null ? s : s + "?…";
    }
}
