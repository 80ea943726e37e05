package dev.haul.internal.http1;

import java.net.PasswordAuthentication;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Request heads as wire bytes. Every header is checked here, as the last line of defence against
 * header injection: a name that is not a token, or a value with CR, LF, NUL or a character
 * outside ISO-8859-1, is refused with {@link IllegalArgumentException} before a byte is written.
 */
final class RequestWriter {
    /**
     * Headers the transport writes itself; one from the caller would duplicate or contradict the
     * framing and routing the transport is responsible for.
     */
    private static final List<String> OWN_HEADERS =
            List.of("host", "connection", "content-length", "transfer-encoding");

    private RequestWriter() {
    }

    /**
     * A GET or HEAD head: origin-form target, or absolute-form when {@code absoluteForm} (plain
     * http through an HTTP proxy, which then gets {@code proxyAuthorization} too).
     */
    static byte[] request(String method, URI uri, PoolKey key, List<String[]> headers,
            boolean absoluteForm, PasswordAuthentication proxyAuthorization) {
        for (String[] h : headers) {
            check(h[0], h[1]);
        }
        StringBuilder sb = new StringBuilder(128 + 48 * headers.size());
        sb.append(method).append(' ');
        String host = hostHeader(uri, key);
        if (absoluteForm) {
            sb.append("http://").append(host);
        }
        appendTarget(sb, uri);
        sb.append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        for (String[] h : headers) {
            // A caller's Proxy-Authorization is for a proxy: it never reaches an origin (direct or
            // through a tunnel), and the route's own credentials win over it.
            if (h[0].equalsIgnoreCase("Proxy-Authorization")
                    && (!absoluteForm || proxyAuthorization != null)) {
                continue;
            }
            sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        if (absoluteForm && proxyAuthorization != null) {
            sb.append("Proxy-Authorization: ").append(basic(proxyAuthorization)).append("\r\n");
        }
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** {@code CONNECT host:port} with its Host header and, when given, proxy credentials. */
    static byte[] connect(PoolKey key, PasswordAuthentication proxyAuthorization) {
        StringBuilder sb = new StringBuilder(128);
        sb.append("CONNECT ").append(key.authority).append(" HTTP/1.1\r\nHost: ")
                .append(key.authority).append("\r\n");
        if (proxyAuthorization != null) {
            sb.append("Proxy-Authorization: ").append(basic(proxyAuthorization)).append("\r\n");
        }
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The Host value: the URI's host (IPv6 bracketed), with the port only when not the default. */
    static String hostHeader(URI uri, PoolKey key) {
        String host = key.host.indexOf(':') >= 0 ? "[" + key.host + "]" : uri.getHost();
        return key.port == (key.https ? 443 : 80) ? host : host + ":" + key.port;
    }

    private static void check(String name, String value) {
        if (!HttpSyntax.isToken(name)) {
            throw new IllegalArgumentException("header name is not a token: "
                    + printable(name));
        }
        if (!HttpSyntax.isFieldValue(value)) {
            // The value is not echoed: it may be a secret, and it is what we refuse to print.
            throw new IllegalArgumentException("header " + name
                    + " has a value with CR, LF, NUL or another forbidden character");
        }
        if (OWN_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("header " + name + " is written by the transport");
        }
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(s.length(), 40); i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c)
                    : String.format("\\u%04x", (int) c));
        }
        return sb.toString();
    }

    /** Path and query as sent: raw (still percent-encoded), non-ASCII characters encoded. */
    private static void appendTarget(StringBuilder sb, URI uri) {
        String path = uri.getRawPath();
        appendAscii(sb, path == null || path.isEmpty() ? "/" : path);
        String query = uri.getRawQuery();
        if (query != null) {
            sb.append('?');
            appendAscii(sb, query);
        }
    }

    private static void appendAscii(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0x20 && c < 0x7f) {
                sb.append(c);
                continue;
            }
            // A URI may hold "other" characters unescaped; the wire carries them as UTF-8 %XX.
            int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
            for (byte b : s.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
            i = end - 1;
        }
    }

    /** {@code Basic base64(user:password)}, UTF-8 as RFC 7617 recommends. */
    static String basic(PasswordAuthentication credentials) {
        char[] password = credentials.getPassword();
        String pair = credentials.getUserName() + ":" + new String(password);
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }
}
