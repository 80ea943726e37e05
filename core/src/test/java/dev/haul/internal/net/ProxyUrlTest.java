package dev.haul.internal.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.PasswordAuthentication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Proxy URLs as curl reads them, and what Haul refuses. */
@Timeout(10)
class ProxyUrlTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "http://proxy.corp:3128               | HTTP   | true  | proxy.corp | 3128",
        "http://proxy.corp                    | HTTP   | true  | proxy.corp | 1080",
        "proxy.corp:3128                      | HTTP   | true  | proxy.corp | 3128",
        "proxy.corp                           | HTTP   | true  | proxy.corp | 1080",
        "HTTP://Proxy.Corp:8080/              | HTTP   | true  | proxy.corp | 8080",
        "http://proxy.corp:3128/ignored?x=1#f | HTTP   | true  | proxy.corp | 3128",
        "http://proxy.corp:                   | HTTP   | true  | proxy.corp | 1080",
        "socks5://127.0.0.1:9050              | SOCKS5 | false | 127.0.0.1  | 9050",
        "socks5://sockshost                   | SOCKS5 | false | sockshost  | 1080",
        "socks5h://sockshost:1081             | SOCKS5 | true  | sockshost  | 1081",
        "SOCKS5H://sockshost                  | SOCKS5 | true  | sockshost  | 1080",
        "http://[::1]:3128                    | HTTP   | true  | [::1]      | 3128",
        "socks5h://[2001:db8::7]              | SOCKS5 | true  | [2001:db8::7] | 1080",
        "http://under_score.corp:1            | HTTP   | true  | under_score.corp | 1",
        "  http://padded:65535                | HTTP   | true  | padded     | 65535",
    })
    void parsesLikeCurl(String url, ProxyUrl.Type type, boolean remoteDns, String host, int port) {
        ProxyUrl p = ProxyUrl.parse(url);
        assertEquals(type, p.type());
        assertEquals(remoteDns, p.remoteDns());
        assertEquals(host, p.host());
        assertEquals(port, p.port());
        assertNull(p.credentials());
    }

    @Test
    void credentialsArePercentDecodedAndKeptOutOfToString() {
        ProxyUrl p = ProxyUrl.parse("http://al%40ice:p%3Ass%20w%C3%B6rd@proxy:3128");
        PasswordAuthentication c = p.credentials();
        assertEquals("al@ice", c.getUserName());
        assertArrayEquals("p:ss wörd".toCharArray(), c.getPassword());
        assertEquals("http://***@proxy:3128", p.toString());
        assertFalse(p.toString().contains("ice") || p.toString().contains("ss"));
    }

    @Test
    void credentialsAreACopyEachTime() {
        ProxyUrl p = ProxyUrl.parse("socks5://u:secret@h");
        char[] first = p.credentials().getPassword();
        first[0] = 'X';
        assertArrayEquals("secret".toCharArray(), p.credentials().getPassword());
        assertNotSame(p.credentials(), p.credentials());
    }

    @Test
    void aUserWithoutAPasswordGetsTheEmptyPasswordAsInCurl() {
        PasswordAuthentication c = ProxyUrl.parse("http://bob@proxy").credentials();
        assertEquals("bob", c.getUserName());
        assertEquals(0, c.getPassword().length);
        PasswordAuthentication onlyPassword = ProxyUrl.parse("http://:pw@proxy").credentials();
        assertEquals("", onlyPassword.getUserName());
        assertArrayEquals("pw".toCharArray(), onlyPassword.getPassword());
        assertNull(ProxyUrl.parse("http://@proxy").credentials(), "empty userinfo: none");
    }

    @Test
    void anAtSignInThePasswordMustBeEncodedButTheLastAtSeparates() {
        ProxyUrl p = ProxyUrl.parse("http://u:p@ss@proxy:1");
        assertEquals("proxy", p.host());
        assertArrayEquals("p@ss".toCharArray(), p.credentials().getPassword());
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://proxy:443", "HTTPS://proxy"})
    void httpsProxiesAreRefusedClearly(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProxyUrl.parse(url));
        assertTrue(e.getMessage().contains("HTTPS proxies"), e.getMessage());
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"socks4://h:1080", "socks4a://h", "socks://h"})
    void socks4IsRefusedClearly(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProxyUrl.parse(url));
        assertTrue(e.getMessage().contains("SOCKS4 proxies are not supported"), e.getMessage());
        assertTrue(e.getMessage().contains(url), "names the bad value: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://h", "file:///tmp/x", "gopher://h:70", "1http://h"})
    void otherSchemesAreRefused(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProxyUrl.parse(url));
        assertTrue(e.getMessage().startsWith("unsupported proxy scheme")
                || e.getMessage().startsWith("not a proxy URL"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://", "http://:3128", "http://h:0", "http://h:65536",
        "http://h:12ab", "http://h:-1", "http://[::1", "http://[not-v6]:1", "http://[::1]x",
        "http://a b", "http://h:1:2", "http://h%2f", ""})
    void malformedUrlsAreRefused(String url) {
        assertThrows(IllegalArgumentException.class, () -> ProxyUrl.parse(url));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://u:s3cr3t@h:0", "https://u:s3cr3t@h", "socks4://u:s3cr3t@h",
        "ftp://u:s3cr3t@h", "http://u:s3cr3t@[::1", "http://u:s3cr3t%zz@h",
        "http://u:s3cr3t%0d%0a@h", "http://u:s3cr3t%ff@h", "u:s3cr3t/more@h:1",
        "http://u:s3cr3t@bad host"})
    void errorMessagesNeverShowThePassword(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProxyUrl.parse(url));
        assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
        assertFalse(e.getMessage().contains("more"), e.getMessage());
    }

    @Test
    void controlCharactersInCredentialsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProxyUrl.parse("http://u%0d%0aX-Injected:%20x:p@h"));
        assertTrue(e.getMessage().contains("control character"), e.getMessage());
    }

    @Test
    void equalityCoversEveryField() {
        assertEquals(ProxyUrl.parse("http://h:1080"), ProxyUrl.parse("h"));
        assertEquals(ProxyUrl.parse("http://h:1080").hashCode(), ProxyUrl.parse("h").hashCode());
        assertNotEquals(ProxyUrl.parse("socks5://h"), ProxyUrl.parse("socks5h://h"));
        assertNotEquals(ProxyUrl.parse("http://u:a@h"), ProxyUrl.parse("http://u:b@h"));
        assertEquals("socks5h://h:1080", ProxyUrl.parse("socks5h://h").toString());
        assertEquals("socks5://h:1080", ProxyUrl.parse("socks5://h").toString());
    }
}
