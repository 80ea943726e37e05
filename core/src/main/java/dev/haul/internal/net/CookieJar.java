package dev.haul.internal.net;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Cookies as curl keeps them with {@code -b FILE} and {@code -c FILE}: read from and written to
 * the Netscape cookie file format, sent and received by the rules of RFC 6265.
 *
 * <h2>The file</h2>
 * One cookie per line, seven tab-separated fields: domain, include-subdomains
 * ({@code TRUE}/{@code FALSE}), path, secure ({@code TRUE}/{@code FALSE}), expiry in epoch
 * seconds ({@code 0} for a session cookie), name, value. A line that starts with
 * {@code #HttpOnly_} is a cookie marked HttpOnly; any other line starting with {@code #} is a
 * comment. Reading follows curl's {@code parse_netscape}: a leading dot on the domain is dropped,
 * {@code TRUE} is case-insensitive, six fields mean an empty value. Everything else that is
 * wrong skips that line only: the wrong number of fields, a path not starting with {@code /},
 * an expiry that is not a number, control characters, a name and value longer than
 * {@value #MAX_COOKIE_BYTES} bytes together, a line longer than {@value #MAX_LINE} bytes,
 * a domain cookie for a top-level name such as {@code com}, an expired cookie. Unlike curl,
 * {@code Set-Cookie:} lines in the file are not read: they carry no domain, and curl would send
 * such a cookie to every host. Files are bytes (ISO-8859-1), as for curl, and a file larger
 * than {@value #MAX_FILE_BYTES} bytes is refused. Writing produces the same format with the
 * header line {@code # Netscape HTTP Cookie File}, the domain of a domain cookie written with a
 * leading dot as curl and browsers do; the file is replaced atomically (a temporary file in the
 * same directory, flushed, then renamed over it) and is readable by the owner only where the
 * file system has POSIX permissions, because cookies are credentials.
 *
 * <h2>Sending</h2>
 * A cookie goes with a request when it has not expired (expiry is compared with the injected
 * clock; a session cookie never expires while the jar lives), its domain matches (RFC 6265
 * §5.1.3: a host-only cookie needs the same host; a domain cookie also goes to names below its
 * domain, never to an IP address unless it is that address), its path matches (§5.1.4: equal,
 * or a prefix ending at a {@code /}), and it is not {@code Secure} unless the scheme is
 * {@code https} (or {@code wss}). The {@code Cookie} header lists longer paths first, then older
 * cookies first (§5.4), and like curl stops at 150 cookies or 8190 bytes.
 *
 * <h2>Receiving</h2>
 * A {@code Set-Cookie} value is read by RFC 6265 §5.2 and stored by §5.3: {@code Domain} must
 * domain-match the request host or the cookie is rejected (no cookie for another site; without
 * a public-suffix list, a domain without a dot other than {@code localhost} is accepted only as
 * the request host itself, so {@code Domain=com} is refused; two-label suffixes such as
 * {@code co.uk} are not known and are not refused); {@code Path} defaults to the request's
 * directory; {@code Max-Age} wins over {@code Expires} (parsed by the §5.1.1 date algorithm);
 * an expiry is capped at 400 days (RFC 6265bis, as curl does); an expired cookie deletes the
 * stored one. From RFC 6265bis, as curl does: {@code Secure} is refused over plain http, a
 * plain-http cookie may not replace or shadow a {@code Secure} one, and the {@code __Secure-}
 * and {@code __Host-} name prefixes are enforced. A name and value longer than
 * {@value #MAX_COOKIE_BYTES} bytes together, a header longer than {@value #MAX_LINE}, control
 * characters (a tab would corrupt the file) and characters beyond ISO-8859-1 are refused. The
 * jar holds at most {@value #MAX_COOKIES} cookies (the minimum RFC 6265 §6.1 asks for) and
 * evicts the oldest when full.
 *
 * <p>Thread-safe. The clock is read outside the lock; cookie values never appear in
 * {@link #toString()} or in exception messages.
 */
public final class CookieJar {

    /** The largest name and value together, in bytes (curl's {@code MAX_NAME}, browsers'). */
    public static final int MAX_COOKIE_BYTES = 4096;
    /** The longest file line or {@code Set-Cookie} value (curl's {@code MAX_COOKIE_LINE}). */
    public static final int MAX_LINE = 5000;
    /** The most cookies the jar keeps. */
    public static final int MAX_COOKIES = 3000;
    /** The largest cookie file {@link #load} reads. */
    public static final int MAX_FILE_BYTES = 16 * 1024 * 1024;

    /** curl's {@code MAX_COOKIE_SEND_AMOUNT}. */
    private static final int MAX_SEND = 150;
    /** curl's {@code MAX_COOKIE_HEADER_LEN}, the header length some Apache versions accept. */
    private static final int MAX_HEADER = 8190;
    /** RFC 6265bis caps an expiry at 400 days from now. */
    private static final long MAX_AGE_SECONDS = 400L * 24 * 3600;
    /** An expiry in the past: the value curl uses for "expire now". */
    private static final long EXPIRED = 1;
    /** curl's {@code MAX_DATE_LENGTH}. */
    private static final int MAX_DATE_LENGTH = 80;
    private static final String HEADER = """
            # Netscape HTTP Cookie File
            # https://curl.se/docs/http-cookies.html
            # This file was generated by Haul. Edit at your own risk.

            """;
    private static final String HTTP_ONLY = "#HttpOnly_";
    private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
        "aug", "sep", "oct", "nov", "dec"};

    private final LongSupplier epochSeconds;
    /** Keyed by name, domain and path; in creation order, which replacing keeps. */
    private final Map<String, Cookie> cookies = new LinkedHashMap<>();
    private long created;

    /**
     * Creates an empty jar.
     *
     * @param epochSeconds the current time in seconds since 1970, such as
     *                     {@code () -> System.currentTimeMillis() / 1000}
     */
    public CookieJar(LongSupplier epochSeconds) {
        this.epochSeconds = Objects.requireNonNull(epochSeconds, "epochSeconds");
    }

    /**
     * Adds the cookies of a Netscape cookie file to the jar; a later cookie with the same name,
     * domain and path replaces an earlier one. Malformed lines are skipped.
     *
     * @throws IOException when the file cannot be read or is larger than
     *                     {@value #MAX_FILE_BYTES} bytes
     */
    public void load(Path file) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new IOException("cookie file " + file + " is larger than " + MAX_FILE_BYTES
                    + " bytes; refusing to read it");
        }
        read(new String(bytes, StandardCharsets.ISO_8859_1));
    }

    /** Adds the cookies of Netscape cookie file text; returns how many lines were accepted. */
    int read(String text) {
        long now = epochSeconds.getAsLong();
        int accepted = 0;
        synchronized (this) {
            for (String raw : text.split("\n", -1)) {
                Cookie c = parseLine(raw, now);
                if (c != null) {
                    store(c);
                    accepted++;
                }
            }
            evict(now);
        }
        return accepted;
    }

    /**
     * Returns the {@code Cookie} header value for a request to {@code uri}, or null when no
     * cookie goes with it.
     */
    public String cookieHeader(URI uri) {
        String host = host(uri);
        String scheme = scheme(uri);
        if (host == null || scheme == null) {
            return null;
        }
        boolean secure = scheme.equals("https") || scheme.equals("wss");
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty()
                ? "/" : uri.getRawPath();
        long now = epochSeconds.getAsLong();
        List<Cookie> matches = new ArrayList<>();
        synchronized (this) {
            for (Cookie c : cookies.values()) {
                if (!c.expired(now) && (secure || !c.secure)
                        && (c.hostOnly ? host.equals(c.domain) : domainMatch(host, c.domain))
                        && pathMatch(path, c.path)) {
                    matches.add(c);
                }
            }
        }
        if (matches.isEmpty()) {
            return null;
        }
        matches.sort(Comparator.comparingInt((Cookie c) -> -c.path.length())
                .thenComparingLong(c -> c.created));
        StringBuilder header = new StringBuilder();
        int sent = 0;
        for (Cookie c : matches) {
            int length = c.name.length() + 1 + c.value.length() + (sent == 0 ? 0 : 2);
            if (sent == MAX_SEND || header.length() + length > MAX_HEADER) {
                break;
            }
            if (sent > 0) {
                header.append("; ");
            }
            header.append(c.name).append('=').append(c.value);
            sent++;
        }
        return header.length() == 0 ? null : header.toString();
    }

    /**
     * Takes a {@code Set-Cookie} header value received in the response to {@code uri} and
     * returns true when it was stored, replaced a cookie or deleted one, false when it was
     * rejected by the rules in the class comment.
     */
    public boolean setCookie(URI uri, String setCookie) {
        String host = host(uri);
        String scheme = scheme(uri);
        if (host == null || scheme == null || setCookie == null
                || setCookie.length() > MAX_LINE) {
            return false;
        }
        boolean secureRequest = scheme.equals("https") || scheme.equals("wss");
        long now = epochSeconds.getAsLong();
        Cookie c = parseSetCookie(setCookie, host, defaultPath(uri), secureRequest, now);
        if (c == null) {
            return false;
        }
        synchronized (this) {
            if (!secureRequest && shadowsSecureCookie(c)) {
                return false;
            }
            if (c.expired(now)) {
                cookies.remove(c.key());
                return true;
            }
            store(c);
            evict(now);
        }
        return true;
    }

    /**
     * Writes every unexpired cookie, session cookies included, to {@code file} in the Netscape
     * format, replacing it atomically; owner-only where the file system supports POSIX modes.
     *
     * @throws IOException when the file cannot be written; the old file is then unchanged
     */
    public void save(Path file) throws IOException {
        long now = epochSeconds.getAsLong();
        List<Cookie> snapshot;
        synchronized (this) {
            snapshot = new ArrayList<>(cookies.values());
        }
        StringBuilder text = new StringBuilder(HEADER);
        for (Cookie c : snapshot) {
            if (!c.expired(now)) {
                text.append(c.httpOnly ? HTTP_ONLY : "")
                        .append(c.hostOnly ? "" : ".").append(c.domain).append('\t')
                        .append(c.hostOnly ? "FALSE" : "TRUE").append('\t')
                        .append(c.path).append('\t')
                        .append(c.secure ? "TRUE" : "FALSE").append('\t')
                        .append(c.expiry).append('\t')
                        .append(c.name).append('\t')
                        .append(c.value).append('\n');
            }
        }
        writeAtomically(file.toAbsolutePath(), StandardCharsets.ISO_8859_1.encode(
                text.toString()));
    }

    /** Returns the number of cookies that have not expired. */
    public int size() {
        long now = epochSeconds.getAsLong();
        synchronized (this) {
            return (int) cookies.values().stream().filter(c -> !c.expired(now)).count();
        }
    }

    /** Returns the number of cookies, never a name or a value. */
    @Override
    public String toString() {
        return "CookieJar[" + size() + " cookies]";
    }

    // ---- parsing ----

    private Cookie parseLine(String raw, long now) {
        String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
        if (line.length() > MAX_LINE) {
            return null;
        }
        boolean httpOnly = line.startsWith(HTTP_ONLY);
        if (httpOnly) {
            line = line.substring(HTTP_ONLY.length());
        }
        if (line.isEmpty() || line.startsWith("#")) {
            return null;
        }
        String[] f = line.split("\t", -1);
        if (f.length != 6 && f.length != 7) {
            return null;
        }
        String domain = f[0].startsWith(".") ? f[0].substring(1) : f[0];
        domain = domain.toLowerCase(Locale.ROOT);
        boolean hostOnly = !f[1].equalsIgnoreCase("TRUE");
        String path = f[2];
        boolean secure = f[3].equalsIgnoreCase("TRUE");
        String name = f[5];
        String value = f.length == 7 ? f[6] : "";
        if (domain.isEmpty() || !printable(domain) || domain.indexOf(' ') >= 0
                || !path.startsWith("/") || !printable(path)
                || !f[4].matches("[0-9]{1,18}") || !validNameValue(name, value)) {
            return null;
        }
        long expiry = Long.parseLong(f[4]);
        if (expiry != 0 && expiry <= now) {
            return null;
        }
        if (!hostOnly && IpLiterals.isIp(domain)) {
            hostOnly = true; // a domain cookie never applies to addresses below an address
        }
        if (!hostOnly && topLevel(domain)) {
            return null;
        }
        Cookie c = new Cookie(name, value, domain, path, hostOnly, secure, httpOnly, expiry);
        return prefixRulesHold(c, !f[1].equalsIgnoreCase("TRUE")) ? c : null;
    }

    private static Cookie parseSetCookie(String header, String host, String defaultPath,
            boolean secureRequest, long now) {
        String[] parts = header.split(";", -1);
        int eq = parts[0].indexOf('=');
        if (eq < 0) {
            return null; // RFC 6265 §5.2 step 2; curl also drops it
        }
        String name = trimWsp(parts[0].substring(0, eq));
        String value = trimWsp(parts[0].substring(eq + 1));
        if (!validNameValue(name, value)) {
            return null;
        }
        Long expires = null;
        Long maxAge = null;
        String domainAttribute = null;
        String path = null;
        boolean secure = false;
        boolean httpOnly = false;
        for (int i = 1; i < parts.length; i++) {
            String av = parts[i];
            int e = av.indexOf('=');
            String key = trimWsp(e < 0 ? av : av.substring(0, e)).toLowerCase(Locale.ROOT);
            String v = e < 0 ? "" : trimWsp(av.substring(e + 1));
            switch (key) {
                case "expires" -> {
                    Long t = v.length() <= MAX_DATE_LENGTH ? parseDate(v) : null;
                    expires = t != null ? t : expires;
                }
                case "max-age" -> {
                    Long delta = parseMaxAge(v);
                    maxAge = delta != null ? delta : maxAge;
                }
                case "domain" -> {
                    if (!v.isEmpty()) {
                        domainAttribute = (v.startsWith(".") ? v.substring(1) : v)
                                .toLowerCase(Locale.ROOT);
                    }
                }
                case "path" -> path = v.startsWith("/") ? v : defaultPath;
                case "secure" -> secure = true;
                case "httponly" -> httpOnly = true;
                default -> {
                    // SameSite, Priority, Partitioned…: nothing for a non-browser
                }
            }
        }
        if (secure && !secureRequest) {
            return null;
        }
        long expiry = 0;
        if (maxAge != null) {
            expiry = maxAge <= 0 ? EXPIRED : Math.min(saturatedAdd(now, maxAge),
                    now + MAX_AGE_SECONDS);
        } else if (expires != null) {
            expiry = expires <= now ? EXPIRED : Math.min(expires, now + MAX_AGE_SECONDS);
        }
        boolean hostOnly = true;
        String domain = host;
        if (domainAttribute != null) {
            if (topLevel(domainAttribute) && !domainAttribute.equals(host)) {
                return null; // Domain=com, or any name that could be a public suffix
            }
            if (!domainMatch(host, domainAttribute)) {
                return null; // a cookie for another site
            }
            hostOnly = IpLiterals.isIp(host) || topLevel(domainAttribute);
            domain = domainAttribute;
        }
        if (path == null || !printable(path)) {
            path = defaultPath;
        }
        Cookie c = new Cookie(name, value, domain, path, hostOnly, secure, httpOnly, expiry);
        return prefixRulesHold(c, domainAttribute == null) ? c : null;
    }

    /** RFC 6265bis: {@code __Secure-} needs Secure; {@code __Host-} also no Domain and /. */
    private static boolean prefixRulesHold(Cookie c, boolean withoutDomain) {
        String lower = c.name.toLowerCase(Locale.ROOT);
        if (lower.startsWith("__secure-") && !c.secure) {
            return false;
        }
        return !lower.startsWith("__host-")
                || (c.secure && withoutDomain && c.hostOnly && c.path.equals("/"));
    }

    /** RFC 6265bis §5.7: plain http may not overwrite or shadow a Secure cookie. */
    private boolean shadowsSecureCookie(Cookie c) {
        for (Cookie old : cookies.values()) {
            if (old.secure && old.name.equals(c.name)
                    && (domainMatch(old.domain, c.domain) || domainMatch(c.domain, old.domain))
                    && pathMatch(c.path, old.path)) {
                return true;
            }
        }
        return false;
    }

    private void store(Cookie c) {
        Cookie old = cookies.get(c.key());
        c.created = old != null ? old.created : ++created;
        cookies.put(c.key(), c);
    }

    private void evict(long now) {
        if (cookies.size() <= MAX_COOKIES) {
            return;
        }
        cookies.values().removeIf(c -> c.expired(now));
        Iterator<Cookie> oldest = cookies.values().iterator();
        while (cookies.size() > MAX_COOKIES && oldest.hasNext()) {
            oldest.next();
            oldest.remove();
        }
    }

    // ---- RFC 6265 pieces ----

    /** §5.1.3, for a canonical host and a domain without a leading dot. */
    private static boolean domainMatch(String host, String domain) {
        if (host.equals(domain)) {
            return true;
        }
        return host.endsWith(domain) && host.length() > domain.length()
                && host.charAt(host.length() - domain.length() - 1) == '.'
                && !IpLiterals.isIp(host);
    }

    /** §5.1.4. */
    private static boolean pathMatch(String requestPath, String cookiePath) {
        if (requestPath.equals(cookiePath)) {
            return true;
        }
        return requestPath.startsWith(cookiePath) && (cookiePath.endsWith("/")
                || requestPath.charAt(cookiePath.length()) == '/');
    }

    /** §5.1.4 default-path: the request path up to, not including, its last {@code /}. */
    private static String defaultPath(URI uri) {
        String path = uri.getRawPath();
        if (path == null || !path.startsWith("/")) {
            return "/";
        }
        int last = path.lastIndexOf('/');
        return last == 0 ? "/" : path.substring(0, last);
    }

    /** A name no cookie may claim as a domain without a public-suffix list: no inner dot. */
    private static boolean topLevel(String domain) {
        if (domain.equals("localhost")) {
            return false;
        }
        int dot = domain.indexOf('.');
        return dot < 0 || dot == domain.length() - 1;
    }

    /** The scheme in lower case when cookies apply to it (HTTP and WebSocket), else null. */
    private static String scheme(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "http", "https", "ws", "wss" -> scheme;
            default -> null;
        };
    }

    private static String host(URI uri) {
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return null;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.toLowerCase(Locale.ROOT);
    }

    /**
     * RFC 6265bis: no control character but TAB; here TAB is refused too, because it separates
     * the fields of the file. Characters beyond ISO-8859-1 cannot be header bytes.
     */
    private static boolean validNameValue(String name, String value) {
        return !name.isEmpty() && name.length() + value.length() <= MAX_COOKIE_BYTES
                && printable(name) && printable(value);
    }

    private static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }

    private static String trimWsp(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }

    /** §5.2.2: a leading digit or '-', then only digits; null to ignore the attribute. */
    private static Long parseMaxAge(String v) {
        if (!v.matches("-?[0-9]+")) {
            return null;
        }
        if (v.startsWith("-")) {
            return 0L;
        }
        return v.length() > 18 ? Long.MAX_VALUE : Long.parseLong(v);
    }

    /** §5.1.1, the cookie-date algorithm; seconds since 1970, or null when it fails. */
    static Long parseDate(String text) {
        int hour = -1;
        int minute = -1;
        int second = -1;
        int day = -1;
        int month = -1;
        int year = -1;
        for (String token : dateTokens(text)) {
            int[] time = hour < 0 ? time(token) : null;
            if (time != null) {
                hour = time[0];
                minute = time[1];
                second = time[2];
            } else if (day < 0 && digits(token, 1, 2) >= 0) {
                day = digits(token, 1, 2);
            } else if (month < 0 && month(token) > 0) {
                month = month(token);
            } else if (year < 0 && digits(token, 2, 4) >= 0) {
                year = digits(token, 2, 4);
            }
        }
        if (year >= 70 && year <= 99) {
            year += 1900;
        } else if (year >= 0 && year <= 69) {
            year += 2000;
        }
        if (hour < 0 || day < 1 || day > 31 || month < 1 || year < 1601 || hour > 23
                || minute > 59 || second > 59) {
            return null;
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second)
                    .toEpochSecond(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            return null; // 31 April, 29 February in a common year
        }
    }

    private static List<String> dateTokens(String text) {
        List<String> tokens = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean delimiter = i == text.length() || isDateDelimiter(text.charAt(i));
            if (delimiter && start >= 0) {
                tokens.add(text.substring(start, i));
                start = -1;
            } else if (!delimiter && start < 0) {
                start = i;
            }
        }
        return tokens;
    }

    private static boolean isDateDelimiter(char c) {
        return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40)
                || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
    }

    /** {@code 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT ( non-digit *OCTET )}, or null. */
    private static int[] time(String token) {
        String[] parts = token.split(":", 3);
        if (parts.length != 3) {
            return null;
        }
        int h = wholeDigits(parts[0], 1, 2);
        int m = wholeDigits(parts[1], 1, 2);
        int s = digits(parts[2], 1, 2);
        return h < 0 || m < 0 || s < 0 ? null : new int[] {h, m, s};
    }

    /** {@code min*maxDIGIT ( non-digit *OCTET )}: the leading number, or -1. */
    private static int digits(String token, int min, int max) {
        int n = 0;
        while (n < token.length() && token.charAt(n) >= '0' && token.charAt(n) <= '9') {
            n++;
        }
        if (n < min || n > max) {
            return -1;
        }
        return Integer.parseInt(token.substring(0, n));
    }

    private static int wholeDigits(String s, int min, int max) {
        return s.length() >= min && s.length() <= max && s.chars().allMatch(
                c -> c >= '0' && c <= '9') ? Integer.parseInt(s) : -1;
    }

    private static int month(String token) {
        if (token.length() < 3) {
            return -1;
        }
        String prefix = token.substring(0, 3).toLowerCase(Locale.ROOT);
        for (int i = 0; i < MONTHS.length; i++) {
            if (MONTHS[i].equals(prefix)) {
                return i + 1;
            }
        }
        return -1;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static void writeAtomically(Path target, ByteBuffer content) throws IOException {
        Path dir = target.getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] ownerOnly = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                ownerOnly);
        boolean moved = false;
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                while (content.hasRemaining()) {
                    out.write(content);
                }
                out.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static final class Cookie {
        final String name;
        final String value;
        final String domain;
        final String path;
        final boolean hostOnly;
        final boolean secure;
        final boolean httpOnly;
        /** Seconds since 1970; 0 for a session cookie. */
        final long expiry;
        long created;

        Cookie(String name, String value, String domain, String path, boolean hostOnly,
                boolean secure, boolean httpOnly, long expiry) {
            this.name = name;
            this.value = value;
            this.domain = domain;
            this.path = path;
            this.hostOnly = hostOnly;
            this.secure = secure;
            this.httpOnly = httpOnly;
            this.expiry = expiry;
        }

        boolean expired(long now) {
            return expiry != 0 && expiry <= now;
        }

        String key() {
            return name + '\t' + domain + '\t' + path;
        }

        @Override
        public String toString() {
            return "Cookie[" + name + " for " + domain + path + "]"; // never the value
        }
    }
}
