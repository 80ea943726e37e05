package dev.haul.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Netscape cookie file, RFC 6265 matching and Set-Cookie, on a fake clock. */
@Timeout(20)
class CookieJarTest {

    /** 2026-01-01T00:00:00Z. */
    private static final long NOW = 1_767_225_600L;
    private static final long HOUR = 3600;
    private static final String FUTURE = String.valueOf(NOW + 24 * HOUR);

    private final AtomicLong clock = new AtomicLong(NOW);
    private final CookieJar jar = new CookieJar(clock::get);

    @TempDir
    Path dir;

    // ---- reading the file ----

    @Test
    void readsTheSevenFields() {
        assertEquals(2, jar.read("# Netscape HTTP Cookie File\n\n"
                + line(".example.com", "TRUE", "/", "FALSE", FUTURE, "sid", "abc")
                + line("www.example.com", "FALSE", "/app", "TRUE", "0", "tok", "x=y")));
        assertEquals("sid=abc", jar.cookieHeader(uri("http://example.com/")));
        assertEquals("sid=abc", jar.cookieHeader(uri("http://a.b.example.com/x")));
        assertEquals("tok=x=y; sid=abc", jar.cookieHeader(uri("https://www.example.com/app/1")));
    }

    @Test
    void httpOnlyLinesAreCookiesAndOtherHashLinesAreComments() {
        assertEquals(1, jar.read("#HttpOnly_.example.com\tTRUE\t/\tFALSE\t" + FUTURE
                + "\th\tv\n# .example.com\tTRUE\t/\tFALSE\t" + FUTURE + "\tc\tv\n"));
        assertEquals("h=v", jar.cookieHeader(uri("http://example.com/")));
    }

    @Test
    void sixFieldsMeanAnEmptyValueAndCrLfIsFine() {
        assertEquals(1, jar.read("example.com\tFALSE\t/\tFALSE\t0\tempty\r\n"));
        assertEquals("empty=", jar.cookieHeader(uri("http://example.com/")));
    }

    @Test
    void flagsAreCaseInsensitive() {
        jar.read(line("example.com", "true", "/", "true", "0", "a", "1"));
        assertEquals("a=1", jar.cookieHeader(uri("https://sub.example.com/")));
        assertNull(jar.cookieHeader(uri("http://sub.example.com/")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "example.com\tFALSE\t/\tFALSE\t0\tname\tvalue\textra\n",
        "example.com\tFALSE\t/\tFALSE\t0\n",
        "example.com FALSE / FALSE 0 name value\n",
        "example.com\tFALSE\tnoslash\tFALSE\t0\tname\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\tsoon\tname\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\t-5\tname\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\t99999999999999999999\tname\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\t0\t\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\t0\tna\u0000me\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\t0\tname\tval\u001bue\n",
        "\tFALSE\t/\tFALSE\t0\tname\tvalue\n",
        ".\tTRUE\t/\tFALSE\t0\tname\tvalue\n",
        "exa mple.com\tFALSE\t/\tFALSE\t0\tname\tvalue\n",
        ".com\tTRUE\t/\tFALSE\t0\tname\tvalue\n",
        "com\tTRUE\t/\tFALSE\t0\tname\tvalue\n",
        "com.\tTRUE\t/\tFALSE\t0\tname\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\t1767225599\texpired\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\t1767225600\texpiresnow\tvalue\n",
        "example.com\tFALSE\t/\tFALSE\t0\t__Secure-x\tvalue\n",
        "example.com\tFALSE\t/app\tTRUE\t0\t__Host-x\tvalue\n",
        ".example.com\tTRUE\t/\tTRUE\t0\t__Host-x\tvalue\n",
        "",
        "\n\n\n",
        "garbage",
    })
    void malformedHostileAndExpiredLinesAreSkippedNeverFatal(String text) {
        int accepted = jar.read(text + "\n" + line("ok.com", "FALSE", "/", "FALSE", "0", "ok",
                "1"));
        assertEquals(1, accepted, "only the good line is accepted: " + text);
        assertEquals(1, jar.size());
    }

    @Test
    void overlongLinesAndValuesAreSkipped() {
        String big = "v".repeat(CookieJar.MAX_COOKIE_BYTES);
        String fits = "v".repeat(CookieJar.MAX_COOKIE_BYTES - 2);
        assertEquals(1, jar.read(line("example.com", "FALSE", "/", "FALSE", "0", "n", big)
                + line("example.com", "FALSE", "/", "FALSE", "0", "ok", fits)));
        assertEquals("ok=" + fits, jar.cookieHeader(uri("http://example.com/")));
        String longLine = line("example.com", "FALSE", "/" + "p".repeat(CookieJar.MAX_LINE),
                "FALSE", "0", "n", "v");
        assertEquals(0, jar.read(longLine));
    }

    @Test
    void aDomainCookieOnAnAddressOnlyMatchesThatAddress() {
        jar.read(line("10.0.0.1", "TRUE", "/", "FALSE", "0", "ip", "1")
                + line(".0.0.1", "TRUE", "/", "FALSE", "0", "suffix", "1"));
        assertEquals("ip=1", jar.cookieHeader(uri("http://10.0.0.1/")));
        assertNull(jar.cookieHeader(uri("http://110.0.0.1/")));
    }

    @Test
    void aLaterLineReplacesAnEarlierOne() {
        jar.read(line("example.com", "FALSE", "/", "FALSE", "0", "a", "old")
                + line("example.com", "FALSE", "/", "FALSE", "0", "a", "new"));
        assertEquals("a=new", jar.cookieHeader(uri("http://example.com/")));
        assertEquals(1, jar.size());
    }

    @Test
    void setCookieLinesInTheFileAreNotRead() {
        assertEquals(0, jar.read("Set-Cookie: everywhere=1\n"));
        assertNull(jar.cookieHeader(uri("http://example.com/")));
    }

    @Test
    void theJarIsCappedAndEvictsTheOldest() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < CookieJar.MAX_COOKIES + 10; i++) {
            text.append(line("h" + i + ".example.com", "FALSE", "/", "FALSE", "0", "c", "" + i));
        }
        jar.read(text.toString());
        assertEquals(CookieJar.MAX_COOKIES, jar.size());
        assertNull(jar.cookieHeader(uri("http://h0.example.com/")));
        assertEquals("c=" + (CookieJar.MAX_COOKIES + 9),
                jar.cookieHeader(uri("http://h" + (CookieJar.MAX_COOKIES + 9) + ".example.com/")));
    }

    // ---- sending ----

    @Test
    void cookiesForOtherHostsAreNeverSent() {
        jar.read(line(".example.com", "TRUE", "/", "FALSE", "0", "dom", "1")
                + line("only.example.com", "FALSE", "/", "FALSE", "0", "host", "1")
                + line(".evil.com", "TRUE", "/", "FALSE", "0", "evil", "1"));
        assertNull(jar.cookieHeader(uri("http://badexample.com/")));
        assertNull(jar.cookieHeader(uri("http://com/")));
        assertEquals("evil=1", jar.cookieHeader(uri("http://example.com.evil.com/")),
                "example.com's cookie does not go to example.com.evil.com");
        assertEquals("dom=1", jar.cookieHeader(uri("http://example.com/")));
        assertEquals("dom=1", jar.cookieHeader(uri("http://sub.example.com/")));
        assertEquals("dom=1; host=1", jar.cookieHeader(uri("http://ONLY.example.com/")));
        assertEquals("dom=1", jar.cookieHeader(uri("http://x.only.example.com/")),
                "a host-only cookie stays with its host");
    }

    @Test
    void expiredCookiesAreNeverSent() {
        jar.read(line("example.com", "FALSE", "/", "FALSE", String.valueOf(NOW + 10), "a", "1")
                + line("example.com", "FALSE", "/", "FALSE", "0", "session", "1"));
        assertEquals("a=1; session=1", jar.cookieHeader(uri("http://example.com/")));
        clock.set(NOW + 10);
        assertEquals("session=1", jar.cookieHeader(uri("http://example.com/")));
        assertEquals(1, jar.size());
    }

    @Test
    void secureCookiesAreNeverSentOverHttp() {
        jar.read(line("example.com", "FALSE", "/", "TRUE", "0", "s", "1")
                + line("example.com", "FALSE", "/", "FALSE", "0", "p", "2"));
        assertEquals("p=2", jar.cookieHeader(uri("http://example.com/")));
        assertEquals("s=1; p=2", jar.cookieHeader(uri("https://example.com/")));
        assertEquals("s=1; p=2", jar.cookieHeader(uri("wss://example.com/")));
        assertEquals("p=2", jar.cookieHeader(uri("ws://example.com/")));
        assertNull(jar.cookieHeader(uri("ftp://example.com/")), "cookies are for HTTP");
    }

    @ParameterizedTest(name = "[{index}] {0} for a cookie at {1} -> {2}")
    @CsvSource({
        "/, /, true",
        "'', /, true",
        "/docs, /docs, true",
        "/docs/, /docs, true",
        "/docs/web/x, /docs, true",
        "/docs/web/x, /docs/, true",
        "/docsearch, /docs, false",
        "/doc, /docs, false",
        "/Docs, /docs, false",
        "/a/b, /a/b/, false",
        "/a/b/, /a/b/, true",
    })
    void pathsMatchAsRfc6265Says(String requestPath, String cookiePath, boolean sent) {
        jar.read(line("example.com", "FALSE", cookiePath, "FALSE", "0", "c", "1"));
        assertEquals(sent, jar.cookieHeader(uri("http://example.com" + requestPath)) != null);
    }

    @Test
    void longerPathsComeFirstThenOlderCookies() {
        jar.read(line("example.com", "FALSE", "/", "FALSE", "0", "root1", "1")
                + line("example.com", "FALSE", "/a/b", "FALSE", "0", "deep", "1")
                + line("example.com", "FALSE", "/", "FALSE", "0", "root2", "1")
                + line("example.com", "FALSE", "/a", "FALSE", "0", "mid", "1"));
        assertEquals("deep=1; mid=1; root1=1; root2=1",
                jar.cookieHeader(uri("http://example.com/a/b/c")));
    }

    @Test
    void theHeaderIsCappedLikeCurls() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append(line("example.com", "FALSE", "/", "FALSE", "0", "c" + i, "v"));
        }
        jar.read(text.toString());
        assertEquals(150, jar.cookieHeader(uri("http://example.com/")).split("; ").length);
        CookieJar big = new CookieJar(clock::get);
        for (int i = 0; i < 5; i++) {
            big.read(line("example.com", "FALSE", "/", "FALSE", "0", "b" + i, "x".repeat(3000)));
        }
        assertTrue(big.cookieHeader(uri("http://example.com/")).length() <= 8190);
    }

    @Test
    void ipv6HostsWork() {
        assertTrue(jar.setCookie(uri("http://[::1]:8080/"), "v6=1"));
        assertEquals("v6=1", jar.cookieHeader(uri("http://[::1]/")));
    }

    // ---- receiving ----

    @Test
    void aPlainSetCookieIsHostOnlyWithTheDefaultPath() {
        assertTrue(jar.setCookie(uri("http://www.example.com/docs/page.html?q"), "id=42"));
        assertEquals("id=42", jar.cookieHeader(uri("http://www.example.com/docs/other")));
        assertNull(jar.cookieHeader(uri("http://www.example.com/")), "default path is /docs");
        assertNull(jar.cookieHeader(uri("http://sub.www.example.com/docs/")), "host-only");
    }

    @Test
    void aDomainAttributeMakesADomainCookie() {
        assertTrue(jar.setCookie(uri("http://www.example.com/"),
                "d=1; Domain=.Example.COM; Path=/"));
        assertEquals("d=1", jar.cookieHeader(uri("http://example.com/")));
        assertEquals("d=1", jar.cookieHeader(uri("http://other.example.com/x")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x=1; Domain=otherdomain.com", "x=1; Domain=.otherdomain.com",
        "x=1; Domain=com", "x=1; Domain=.com", "x=1; Domain=com.", "x=1; Domain=ample.com",
        "x=1; Domain=www.example.com.evil.com", "x=1; Domain=sub.www.example.com"})
    void aDomainForAnotherSiteIsRejected(String header) {
        assertFalse(jar.setCookie(uri("http://www.example.com/"), header));
        assertEquals(0, jar.size());
        assertNull(jar.cookieHeader(uri("http://otherdomain.com/")));
    }

    @Test
    void aDotlessDomainIsAcceptedOnlyAsTheHostItself() {
        assertTrue(jar.setCookie(uri("http://intranet/"), "i=1; Domain=intranet"));
        assertEquals("i=1", jar.cookieHeader(uri("http://intranet/")));
        assertNull(jar.cookieHeader(uri("http://a.intranet/")), "stays host-only");
        assertTrue(jar.setCookie(uri("http://app.localhost/"), "l=1; Domain=localhost"));
        assertEquals("l=1", jar.cookieHeader(uri("http://other.localhost/")));
    }

    @Test
    void anAddressHostCannotSetADomainCookie() {
        assertFalse(jar.setCookie(uri("http://10.0.0.1/"), "x=1; Domain=0.0.1"));
        assertTrue(jar.setCookie(uri("http://10.0.0.1/"), "y=1; Domain=10.0.0.1"));
        assertNull(jar.cookieHeader(uri("http://110.0.0.1/")));
        assertEquals("y=1", jar.cookieHeader(uri("http://10.0.0.1/")));
    }

    @Test
    void secureIsRefusedOverPlainHttpAndAcceptedOverHttps() {
        assertFalse(jar.setCookie(uri("http://example.com/"), "s=1; Secure"));
        assertTrue(jar.setCookie(uri("https://example.com/"), "s=1; Secure"));
        assertNull(jar.cookieHeader(uri("http://example.com/")));
        assertEquals("s=1", jar.cookieHeader(uri("https://example.com/")));
    }

    @Test
    void plainHttpCannotOverwriteOrShadowASecureCookie() {
        assertTrue(jar.setCookie(uri("https://example.com/"), "s=good; Secure; Path=/"));
        assertFalse(jar.setCookie(uri("http://example.com/"), "s=evil; Path=/"));
        assertFalse(jar.setCookie(uri("http://example.com/"), "s=evil; Path=/deeper"));
        assertFalse(jar.setCookie(uri("http://www.example.com/"), "s=evil; Domain=example.com"));
        assertTrue(jar.setCookie(uri("http://example.com/"), "other=fine"));
        assertEquals("s=good; other=fine", jar.cookieHeader(uri("https://example.com/")));
    }

    @Test
    void namePrefixesAreEnforced() {
        assertFalse(jar.setCookie(uri("https://example.com/"), "__Secure-a=1"));
        assertTrue(jar.setCookie(uri("https://example.com/"), "__Secure-a=1; Secure"));
        assertFalse(jar.setCookie(uri("https://example.com/dir/page"), "__Host-b=1; Secure"),
                "the default path here is /dir, not /");
        assertFalse(jar.setCookie(uri("https://example.com/"),
                "__Host-b=1; Secure; Path=/; Domain=example.com"));
        assertFalse(jar.setCookie(uri("https://example.com/"), "__host-b=1; Path=/"));
        assertTrue(jar.setCookie(uri("https://example.com/x/y"), "__Host-b=1; Secure; Path=/"));
    }

    @Test
    void maxAgeWinsOverExpiresAndZeroDeletes() {
        assertTrue(jar.setCookie(uri("http://example.com/"),
                "a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
        assertEquals("a=1", jar.cookieHeader(uri("http://example.com/")));
        clock.set(NOW + 60);
        assertNull(jar.cookieHeader(uri("http://example.com/")));
        clock.set(NOW);
        assertTrue(jar.setCookie(uri("http://example.com/"), "b=1"));
        assertTrue(jar.setCookie(uri("http://example.com/"), "b=gone; Max-Age=0"));
        assertTrue(jar.setCookie(uri("http://example.com/"), "c=1"));
        assertTrue(jar.setCookie(uri("http://example.com/"), "c=x; Max-Age=-1"));
        assertEquals("a=1", jar.cookieHeader(uri("http://example.com/")));
        assertEquals(1, jar.size());
    }

    @Test
    void expiresInThePastDeletesAndInTheFutureKeeps() {
        jar.setCookie(uri("http://example.com/"), "a=1");
        assertTrue(jar.setCookie(uri("http://example.com/"),
                "a=1; Expires=Wed, 31 Dec 2025 23:59:59 GMT"));
        assertEquals(0, jar.size());
        assertTrue(jar.setCookie(uri("http://example.com/"),
                "a=2; Expires=Fri, 02 Jan 2026 00:00:00 GMT"));
        clock.set(NOW + 24 * HOUR - 1);
        assertEquals("a=2", jar.cookieHeader(uri("http://example.com/")));
        clock.set(NOW + 24 * HOUR);
        assertNull(jar.cookieHeader(uri("http://example.com/")));
    }

    @Test
    void anUnparsableExpiresMakesASessionCookie() {
        assertTrue(jar.setCookie(uri("http://example.com/"), "a=1; Expires=tomorrow"));
        clock.set(NOW + 1000 * 24 * HOUR);
        assertEquals("a=1", jar.cookieHeader(uri("http://example.com/")));
    }

    @Test
    void expiryIsCappedAt400Days() {
        jar.setCookie(uri("http://example.com/"), "a=1; Max-Age=999999999999");
        jar.setCookie(uri("http://example.com/"), "b=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT");
        clock.set(NOW + 400 * 24 * HOUR - 1);
        assertEquals("a=1; b=1", jar.cookieHeader(uri("http://example.com/")));
        clock.set(NOW + 400 * 24 * HOUR);
        assertNull(jar.cookieHeader(uri("http://example.com/")));
    }

    @Test
    void attributesAreCaseInsensitiveAndTheLastOneWins() {
        assertTrue(jar.setCookie(uri("http://www.example.com/a/b"),
                " n = v ; PATH=/x; path=/; DOMAIN=www.example.com; domain=example.com; HttpOnly"));
        assertEquals("n=v", jar.cookieHeader(uri("http://other.example.com/")));
    }

    @Test
    void aPathNotStartingWithASlashMeansTheDefaultPath() {
        jar.setCookie(uri("http://example.com/dir/file"), "a=1; Path=relative");
        assertNull(jar.cookieHeader(uri("http://example.com/")));
        assertEquals("a=1", jar.cookieHeader(uri("http://example.com/dir/x")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"noequals", "=novalue", " =x", "a\tb=1", "a=b\tc", "a=b\u0000",
        "a=\r\nInjected: 1", "a=caf\u20ac", ""})
    void malformedSetCookiesAreRejected(String header) {
        assertFalse(jar.setCookie(uri("http://example.com/"), header));
        assertEquals(0, jar.size());
    }

    @Test
    void hugeSetCookiesAreRejected() {
        assertFalse(jar.setCookie(uri("http://example.com/"),
                "big=" + "v".repeat(CookieJar.MAX_COOKIE_BYTES)));
        assertFalse(jar.setCookie(uri("http://example.com/"),
                "a=1; Path=/" + "p".repeat(CookieJar.MAX_LINE)));
        assertTrue(jar.setCookie(uri("http://example.com/"),
                "fits=" + "v".repeat(CookieJar.MAX_COOKIE_BYTES - 4)));
        assertFalse(jar.setCookie(uri("http://example.com/"), null));
        assertFalse(jar.setCookie(uri("file:///tmp/x"), "a=1"));
        assertFalse(jar.setCookie(uri("ftp://example.com/"), "a=1"));
    }

    @Test
    void aQuotedValueIsKeptAsSent() {
        jar.setCookie(uri("http://example.com/"), "q=\"quoted value\"");
        assertEquals("q=\"quoted value\"", jar.cookieHeader(uri("http://example.com/")));
    }

    // ---- dates ----

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "Wed, 09 Jun 2021 10:18:14 GMT      | 2021-06-09T10:18:14Z",
        "Wednesday, 09-Jun-21 10:18:14 GMT  | 2021-06-09T10:18:14Z",
        "Wed Jun  9 10:18:14 2021           | 2021-06-09T10:18:14Z",
        "09 Jun 2021 10:18:14               | 2021-06-09T10:18:14Z",
        "Thu, 01 Jan 1970 00:00:00 GMT      | 1970-01-01T00:00:00Z",
        "Sun, 06 Nov 94 08:49:37 GMT        | 1994-11-06T08:49:37Z",
        "Sat, 01 Jan 69 00:00:00 GMT        | 2069-01-01T00:00:00Z",
        "1 jAnUaRy 2030 1:2:3               | 2030-01-01T01:02:03Z",
        "13th Feb 2020 23:59:59xyz          | 2020-02-13T23:59:59Z",
        "Mon, 29 Feb 2024 12:00:00 GMT      | 2024-02-29T12:00:00Z",
    })
    void cookieDatesParseAsRfc6265Says(String text, String iso) {
        assertEquals(ZonedDateTime.parse(iso).withZoneSameInstant(ZoneOffset.UTC)
                .toEpochSecond(), CookieJar.parseDate(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "tomorrow", "Wed, 09 Jun 2021 GMT", "09 Jun 2021",
        "Jun 2021 10:00:00",
        "32 Jan 2021 10:00:00", "31 Apr 2021 10:00:00", "29 Feb 2023 10:00:00",
        "01 Jan 1600 10:00:00", "01 Jan 2021 24:00:00", "01 Jan 2021 10:60:00",
        "01 Jan 2021 10:00:60", "01 Foo 2021 10:00:00", "001 Jan 2021 10:00:00"})
    void badDatesFail(String text) {
        assertNull(CookieJar.parseDate(text));
    }

    // ---- writing ----

    @Test
    void saveWritesTheNetscapeFormatThatReadsBack() throws IOException {
        jar.setCookie(uri("https://www.example.com/app/x"),
                "sid=abc; Domain=example.com; Path=/; Secure; HttpOnly; Max-Age=3600");
        jar.setCookie(uri("http://www.example.com/app/x"), "pref=dark");
        Path file = dir.resolve("cookies.txt");
        jar.save(file);
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        assertEquals("# Netscape HTTP Cookie File", lines.get(0));
        assertTrue(lines.contains("#HttpOnly_.example.com\tTRUE\t/\tTRUE\t" + (NOW + 3600)
                + "\tsid\tabc"), lines.toString());
        assertTrue(lines.contains("www.example.com\tFALSE\t/app\tFALSE\t0\tpref\tdark"),
                lines.toString());
        CookieJar again = new CookieJar(clock::get);
        again.load(file);
        assertEquals(2, again.size());
        assertEquals("pref=dark; sid=abc", again.cookieHeader(uri("https://www.example.com/app/")));
        Path second = dir.resolve("again.txt");
        again.save(second);
        assertEquals(Files.readString(file), Files.readString(second), "a stable round trip");
    }

    @Test
    void saveLeavesOutExpiredCookies() throws IOException {
        jar.setCookie(uri("http://example.com/"), "short=1; Max-Age=10");
        jar.setCookie(uri("http://example.com/"), "long=1; Max-Age=100");
        clock.set(NOW + 10);
        Path file = dir.resolve("c.txt");
        jar.save(file);
        String text = Files.readString(file);
        assertFalse(text.contains("short"));
        assertTrue(text.contains("long"));
    }

    @Test
    void saveReplacesAtomicallyWithOwnerOnlyPermissions() throws IOException {
        Path file = dir.resolve("jar.txt");
        Files.writeString(file, "old contents");
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        } catch (UnsupportedOperationException e) {
            // not POSIX: the permission check below is skipped
        }
        jar.setCookie(uri("http://example.com/"), "a=1");
        jar.save(file);
        assertTrue(Files.readString(file).startsWith("# Netscape HTTP Cookie File"));
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void aFailedSaveLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("is-a-directory");
        Files.createDirectory(target);
        Files.writeString(target.resolve("inside"), "x");
        jar.setCookie(uri("http://example.com/"), "a=1");
        assertThrows(IOException.class, () -> jar.save(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    void loadRefusesAHugeFileAndReportsAMissingOne() throws IOException {
        Path huge = dir.resolve("huge.txt");
        byte[] block = new byte[1024 * 1024];
        Arrays.fill(block, (byte) '#');
        try (OutputStream out = Files.newOutputStream(huge)) {
            for (int i = 0; i <= CookieJar.MAX_FILE_BYTES / block.length; i++) {
                out.write(block);
            }
        }
        IOException e = assertThrows(IOException.class, () -> jar.load(huge));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
        assertThrows(IOException.class, () -> jar.load(dir.resolve("missing.txt")));
    }

    @Test
    void valuesNeverAppearInToString() {
        jar.setCookie(uri("http://example.com/"), "session=TOPSECRET");
        assertEquals("CookieJar[1 cookies]", jar.toString());
    }

    @Test
    void concurrentUseIsSafe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 500; i++) {
                        URI u = uri("http://h" + thread + ".example.com/");
                        jar.setCookie(u, "c" + i + "=" + i);
                        jar.cookieHeader(u);
                        if (i % 100 == 0) {
                            jar.save(dir.resolve("t" + thread + ".txt"));
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(15, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(2000, jar.size());
        assertEquals(150, jar.cookieHeader(uri("http://h3.example.com/")).split("; ").length);
    }

    private static String line(String domain, String flag, String path, String secure,
            String expiry, String name, String value) {
        return String.join("\t", domain, flag, path, secure, expiry, name, value) + "\n";
    }

    private static URI uri(String s) {
        return URI.create(s);
    }
}
