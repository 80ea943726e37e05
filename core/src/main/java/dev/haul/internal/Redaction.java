package dev.haul.internal;

import java.net.URI;

/** Removes secrets from URLs before they reach a log, an exception or the screen. */
public final class Redaction {
    private Redaction() {
    }

    /** The URL without userinfo, query or fragment: {@code https://host/path?…}. */
    public static String redact(URI uri) {
        if (uri == null) {
            return "null";
        }
        StringBuilder s = new StringBuilder();
        if (uri.getScheme() != null) {
            s.append(uri.getScheme()).append("://");
        }
        if (uri.getRawUserInfo() != null) {
            s.append("***@");
        }
        if (uri.getHost() != null) {
            s.append(uri.getHost());
        }
        if (uri.getPort() != -1) {
            s.append(':').append(uri.getPort());
        }
        if (uri.getRawPath() != null) {
            s.append(uri.getRawPath());
        }
        if (uri.getRawQuery() != null) {
            s.append("?…");
        }
        return s.toString();
    }
}
