package dev.haul.cli;

import java.net.URI;

/** URLs as the CLI shows them: never with userinfo or a query string, which may hold secrets. */
final class Urls {
    private Urls() {
    }

    /**
     * {@code scheme://host:port/path}, with {@code ***@} for userinfo and {@code ?…} for a query.
     */
    static String redact(URI uri) {
        if (uri == null) {
            return "?";
        }
        if (uri.getScheme() == null || uri.getRawAuthority() == null) {
            return redact(uri.toString());
        }
        StringBuilder s = new StringBuilder(uri.getScheme()).append("://");
        if (uri.getRawUserInfo() != null) {
            s.append("***@");
        }
        if (uri.getHost() != null) {
            s.append(uri.getHost());
            if (uri.getPort() != -1) {
                s.append(':').append(uri.getPort());
            }
        } else {
            String authority = uri.getRawAuthority();
            s.append(authority.substring(authority.lastIndexOf('@') + 1));
        }
        if (uri.getRawPath() != null) {
            s.append(uri.getRawPath());
        }
        if (uri.getRawQuery() != null) {
            s.append("?…");
        }
        return s.toString();
    }

    /** The same for a string that may not even parse as a URI: cut userinfo, query and fragment. */
    static String redact(String url) {
        String s = url.strip();
        int cut = indexOfAny(s, "?#");
        boolean query = cut >= 0 && s.charAt(cut) == '?';
        if (cut >= 0) {
            s = s.substring(0, cut);
        }
        int scheme = s.indexOf("://");
        int authorityStart = scheme < 0 ? 0 : scheme + 3;
        int slash = s.indexOf('/', authorityStart);
        int authorityEnd = slash < 0 ? s.length() : slash;
        int at = s.lastIndexOf('@', authorityEnd - 1);
        if (at >= authorityStart) {
            s = s.substring(0, authorityStart) + "***@" + s.substring(at + 1);
        }
        StringBuilder clean = new StringBuilder();
        s.codePoints().forEach(cp -> clean.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return clean + (query ? "?…" : "");
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
