package dev.haul.internal.net;

import java.io.ByteArrayOutputStream;
import java.net.PasswordAuthentication;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * A proxy as a URL names it: {@code [scheme://][user[:password]@]host[:port][/…]}, parsed the way
 * curl parses {@code --proxy} and the {@code *_proxy} variables ({@code parse_proxy} in curl's
 * {@code lib/url.c}).
 *
 * <ul>
 *   <li>{@code http://} is an HTTP proxy and also the scheme when none is given. (curl guesses a
 *       missing scheme from the host name, so {@code ftp.corp:3128} would be an FTP URL there
 *       and then refused; here it is always HTTP.)</li>
 *   <li>{@code socks5://} is SOCKS5 with the origin's name resolved locally;
 *       {@code socks5h://} lets the proxy resolve it ({@link #remoteDns()}).</li>
 *   <li>{@code https://} proxies (TLS to the proxy itself), {@code socks4://},
 *       {@code socks4a://} and {@code socks://} are refused with a message that says they are
 *       not supported, as is any other scheme. A refused proxy is never replaced by a direct
 *       connection.</li>
 *   <li>Without a port, the port is 1080 for every supported scheme: curl's
 *       {@code CURL_DEFAULT_PROXY_PORT}, which also applies to HTTP proxies. (curl's default
 *       for an {@code https://} proxy would be 443.)</li>
 *   <li>The user and password are percent-decoded as UTF-8; a user without a password gets the
 *       empty password, as in curl. Decoded control characters are refused, because they have no
 *       business in {@code Proxy-Authorization} or a SOCKS5 greeting.</li>
 *   <li>A path, query or fragment is ignored, as in curl. IPv6 hosts are written in brackets.
 *       </li>
 * </ul>
 *
 * <p>The credentials never appear in {@link #toString()} or in an exception message; a URL in a
 * message shows {@code ***@} in their place.
 */
public final class ProxyUrl {

    /** What sits at the other end of the proxy connection. */
    public enum Type {
        /** An HTTP proxy: absolute-form requests for http, {@code CONNECT} for https. */
        HTTP,
        /** A SOCKS5 proxy (RFC 1928). */
        SOCKS5
    }

    /** curl's {@code CURL_DEFAULT_PROXY_PORT}, used for every scheme Haul supports. */
    public static final int DEFAULT_PORT = 1080;

    private final Type type;
    private final boolean remoteDns;
    private final String host;
    private final int port;
    private final String user;
    private final String password;

    private ProxyUrl(Type type, boolean remoteDns, String host, int port, String user,
            String password) {
        this.type = type;
        this.remoteDns = remoteDns;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    /**
     * Parses a proxy URL.
     *
     * @throws IllegalArgumentException when the URL is malformed or names a proxy Haul does not
     *                                  support; the message shows the URL without credentials
     */
    public static ProxyUrl parse(String url) {
        Objects.requireNonNull(url, "url");
        String s = url.strip();
        String scheme = "http";
        int authorityStart = 0;
        int colonSlashes = s.indexOf("://");
        if (colonSlashes >= 0) {
            scheme = s.substring(0, colonSlashes).toLowerCase(Locale.ROOT);
            authorityStart = colonSlashes + 3;
            if (!scheme.matches("[a-z][a-z0-9+.-]*")) {
                throw new IllegalArgumentException("not a proxy URL: " + redact(url));
            }
        }
        Type type;
        boolean remoteDns;
        switch (scheme) {
            case "http" -> {
                type = Type.HTTP;
                remoteDns = true; // the proxy resolves the origin's name
            }
            case "socks5" -> {
                type = Type.SOCKS5;
                remoteDns = false;
            }
            case "socks5h" -> {
                type = Type.SOCKS5;
                remoteDns = true;
            }
            case "https" -> throw new IllegalArgumentException("HTTPS proxies (TLS to the proxy)"
                    + " are not supported: " + redact(url) + "; use an http:// proxy, which still"
                    + " tunnels https with CONNECT");
            case "socks4", "socks4a", "socks" -> throw new IllegalArgumentException(
                    "SOCKS4 proxies are not supported: " + redact(url)
                    + "; use socks5:// or socks5h://");
            default -> throw new IllegalArgumentException("unsupported proxy scheme \"" + scheme
                    + "\" in " + redact(url) + "; supported: http://, socks5://, socks5h://");
        }
        int authorityEnd = authorityStart;
        while (authorityEnd < s.length() && "/?#".indexOf(s.charAt(authorityEnd)) < 0) {
            authorityEnd++;
        }
        String authority = s.substring(authorityStart, authorityEnd);
        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            if (!userInfo.isEmpty()) {
                int colon = userInfo.indexOf(':');
                user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon), url);
                password = colon < 0 ? "" : decode(userInfo.substring(colon + 1), url);
            }
        }
        String host;
        String portText = null;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0 || IpLiterals.ipv6(authority.substring(1, close)) == null) {
                throw new IllegalArgumentException("bad IPv6 address in proxy URL: "
                        + redact(url));
            }
            host = authority.substring(0, close + 1);
            String rest = authority.substring(close + 1);
            if (!rest.isEmpty()) {
                if (rest.charAt(0) != ':') {
                    throw new IllegalArgumentException("not a proxy URL: " + redact(url));
                }
                portText = rest.substring(1);
            }
        } else {
            int colon = authority.indexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            portText = colon < 0 ? null : authority.substring(colon + 1);
            if (host.isEmpty() || !host.chars().allMatch(ProxyUrl::hostChar)) {
                throw new IllegalArgumentException("bad host in proxy URL: " + redact(url));
            }
        }
        int port = DEFAULT_PORT;
        if (portText != null && !portText.isEmpty()) {
            if (portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535) {
                // the port is not quoted on its own: with an unencoded '/' in a password it
                // could be part of the password
                throw new IllegalArgumentException("bad port in proxy URL: " + redact(url));
            }
            port = Integer.parseInt(portText);
        }
        return new ProxyUrl(type, remoteDns, host.toLowerCase(Locale.ROOT), port, user,
                password);
    }

    /** Returns what kind of proxy this is. */
    public Type type() {
        return type;
    }

    /**
     * Returns true when the proxy resolves the origin's name: always for HTTP proxies, and for
     * {@code socks5h://}. False for {@code socks5://}, where Haul resolves it and sends the
     * address.
     */
    public boolean remoteDns() {
        return remoteDns;
    }

    /** Returns the proxy's host, lower case; an IPv6 address keeps its brackets. */
    public String host() {
        return host;
    }

    /** Returns the proxy's port. */
    public int port() {
        return port;
    }

    /** Returns the proxy credentials from the URL, a new copy on each call, or null. */
    public PasswordAuthentication credentials() {
        return user == null ? null : new PasswordAuthentication(user, password.toCharArray());
    }

    /** Returns the URL in a canonical form, with {@code ***@} in place of any credentials. */
    @Override
    public String toString() {
        String scheme = type == Type.HTTP ? "http" : remoteDns ? "socks5h" : "socks5";
        return scheme + "://" + (user == null ? "" : "***@") + host + ":" + port;
    }

    /** Returns true for the same proxy with the same credentials. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ProxyUrl p)) {
            return false;
        }
        return type == p.type && remoteDns == p.remoteDns && host.equals(p.host)
                && port == p.port && Objects.equals(user, p.user)
                && Objects.equals(password, p.password);
    }

    /** Returns a hash of the same fields {@link #equals} compares. */
    @Override
    public int hashCode() {
        return Objects.hash(type, remoteDns, host, port, user, password);
    }

    /** The URL for a message: credentials replaced, control characters escaped. */
    static String redact(String url) {
        String s = url;
        int start = s.indexOf("://");
        start = start < 0 ? 0 : start + 3;
        // The last '@' anywhere, not just in the authority: a password with an unencoded '/'
        // would otherwise end the authority early and show its first half.
        int at = s.lastIndexOf('@');
        if (at >= start) {
            s = s.substring(0, start) + "***" + s.substring(at);
        }
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return out.append('"').toString();
    }

    private static boolean hostChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '-' || c == '_' || (c > 0x7f && Character.isLetterOrDigit(c));
    }

    private static String decode(String raw, String url) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        int i = 0;
        while (i < raw.length()) {
            if (raw.charAt(i) == '%') {
                int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("bad percent-encoding in the credentials"
                            + " of proxy URL " + redact(url));
                }
                bytes.write(hi * 16 + lo);
                i += 3;
            } else {
                int start = i;
                while (i < raw.length() && raw.charAt(i) != '%') {
                    i++;
                }
                bytes.writeBytes(raw.substring(start, i).getBytes(StandardCharsets.UTF_8));
            }
        }
        String decoded;
        try {
            decoded = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("credentials of proxy URL " + redact(url)
                    + " are not UTF-8");
        }
        if (decoded.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("control character in the credentials of proxy"
                    + " URL " + redact(url));
        }
        return decoded;
    }
}
