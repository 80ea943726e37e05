package dev.haul.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which proxy curl would use for a URL, one rule per test. */
@Timeout(10)
class ProxyEnvironmentTest {

    private static final URI HTTP = URI.create("http://example.com/file");
    private static final URI HTTPS = URI.create("https://example.com/file");

    @Test
    void noVariablesMeansDirect() {
        assertEquals(Optional.empty(), env().proxyFor(HTTP));
        assertEquals(Optional.empty(), env().proxyFor(HTTPS));
    }

    @Test
    void httpUsesLowerCaseHttpProxy() {
        assertEquals("http://p1:3128", proxy(env("http_proxy", "p1:3128"), HTTP));
    }

    @Test
    void upperCaseHttpProxyIsNeverReadBecauseOfHttpoxy() {
        assertEquals(Optional.empty(), env("HTTP_PROXY", "evil:80").proxyFor(HTTP));
        assertEquals("http://all:1080",
                proxy(env("HTTP_PROXY", "evil:80", "all_proxy", "all"), HTTP));
    }

    @Test
    void httpsUsesLowerCaseThenUpperCase() {
        assertEquals("http://lower:1", proxy(env("https_proxy", "lower:1", "HTTPS_PROXY",
                "upper:2"), HTTPS));
        assertEquals("http://upper:2", proxy(env("HTTPS_PROXY", "upper:2"), HTTPS));
    }

    @Test
    void eachSchemeHasItsOwnVariable() {
        ProxyEnvironment e = env("http_proxy", "plain:1", "https_proxy", "secure:2");
        assertEquals("http://plain:1", proxy(e, HTTP));
        assertEquals("http://secure:2", proxy(e, HTTPS));
        assertEquals(Optional.empty(), env("https_proxy", "secure:2").proxyFor(HTTP));
        assertEquals(Optional.empty(), env("http_proxy", "plain:1").proxyFor(HTTPS));
    }

    @Test
    void allProxyIsTheFallbackLowerCaseFirst() {
        assertEquals("socks5h://all:1080", proxy(env("all_proxy", "socks5h://all"), HTTPS));
        assertEquals("socks5h://all:1080",
                proxy(env("ALL_PROXY", "socks5h://ALL"), HTTP));
        assertEquals("http://lower:1",
                proxy(env("all_proxy", "lower:1", "ALL_PROXY", "upper:2"), HTTP));
        assertEquals("http://specific:1",
                proxy(env("all_proxy", "all:9", "http_proxy", "specific:1"), HTTP));
    }

    @Test
    void anEmptyVariableCountsAsUnset() {
        assertEquals("http://upper:2",
                proxy(env("https_proxy", "", "HTTPS_PROXY", "upper:2"), HTTPS));
        assertEquals("http://all:1", proxy(env("http_proxy", "", "all_proxy", "all:1"), HTTP));
        assertEquals(Optional.empty(),
                env("http_proxy", "p:1", "no_proxy", "", "NO_PROXY", "example.com")
                        .proxyFor(HTTP), "an empty no_proxy lets NO_PROXY through");
    }

    @Test
    void noProxyLowerCaseWinsOverUpperCase() {
        ProxyEnvironment e = env("http_proxy", "p:1", "no_proxy", "other.org",
                "NO_PROXY", "example.com");
        assertEquals("http://p:1", proxy(e, HTTP));
        assertEquals(Optional.empty(), env("http_proxy", "p:1", "NO_PROXY", "example.com")
                .proxyFor(HTTP));
    }

    @Test
    void noProxyUsesCurlsMatching() {
        ProxyEnvironment e = env("https_proxy", "p:1", "no_proxy", ".example.com,10.0.0.0/8");
        assertEquals(Optional.empty(), e.proxyFor(URI.create("https://example.com/")));
        assertEquals(Optional.empty(), e.proxyFor(URI.create("https://a.example.com:8443/")));
        assertEquals(Optional.empty(), e.proxyFor(URI.create("https://10.1.2.3/")));
        assertEquals("http://p:1", proxy(e, URI.create("https://badexample.com/")));
        assertEquals(Optional.empty(), env("https_proxy", "p:1", "no_proxy", "*")
                .proxyFor(HTTPS));
        assertEquals(Optional.empty(), env("http_proxy", "p:1", "no_proxy", "::1")
                .proxyFor(URI.create("http://[::1]:8080/")));
    }

    @Test
    void explicitProxyWinsOverTheEnvironment() {
        ProxyEnvironment e = env("http_proxy", "envproxy:1", "all_proxy", "all:2")
                .withProxy("socks5://cli:3");
        assertEquals("socks5://cli:3", proxy(e, HTTP));
        assertEquals("socks5://cli:3", proxy(e, HTTPS));
    }

    @Test
    void anEmptyExplicitProxyMeansNoProxyAtAll() {
        ProxyEnvironment e = env("http_proxy", "envproxy:1", "all_proxy", "all:2").withProxy("");
        assertEquals(Optional.empty(), e.proxyFor(HTTP));
        assertEquals(Optional.empty(), e.proxyFor(HTTPS));
    }

    @Test
    void noProxyFromTheEnvironmentAlsoAppliesToAnExplicitProxy() {
        ProxyEnvironment e = env("no_proxy", "example.com").withProxy("cli:3");
        assertEquals(Optional.empty(), e.proxyFor(HTTP));
        assertEquals("http://cli:3", proxy(e, URI.create("http://other.org/")));
    }

    @Test
    void explicitNoProxyReplacesTheEnvironmentsList() {
        ProxyEnvironment e = env("http_proxy", "p:1", "no_proxy", "example.com",
                "NO_PROXY", "example.com");
        assertEquals(Optional.empty(), e.proxyFor(HTTP));
        assertEquals("http://p:1", proxy(e.withNoProxy("other.org"), HTTP));
        assertEquals(Optional.empty(), e.withNoProxy("other.org")
                .proxyFor(URI.create("http://other.org/")));
    }

    @Test
    void anEmptyExplicitNoProxySwitchesTheEnvironmentsListOff() {
        ProxyEnvironment e = env("http_proxy", "p:1", "no_proxy", "*");
        assertEquals(Optional.empty(), e.proxyFor(HTTP));
        assertEquals("http://p:1", proxy(e.withNoProxy(""), HTTP));
    }

    @Test
    void otherSchemesReadTheirOwnVariablesInBothCases() {
        URI ftp = URI.create("ftp://files.example.com/x");
        assertEquals("http://f:1", proxy(env("FTP_PROXY", "f:1"), ftp));
        assertEquals("http://g:1", proxy(env("ftp_proxy", "g:1", "FTP_PROXY", "f:1"), ftp));
    }

    @Test
    void webSocketsFallBackToTheHttpVariables() {
        assertEquals("http://plain:1",
                proxy(env("http_proxy", "plain:1"), URI.create("ws://example.com/")));
        assertEquals(Optional.empty(),
                env("HTTP_PROXY", "evil:1").proxyFor(URI.create("ws://example.com/")));
        assertEquals("http://secure:2",
                proxy(env("HTTPS_PROXY", "secure:2"), URI.create("wss://example.com/")));
        assertEquals("http://ws:3",
                proxy(env("ws_proxy", "ws:3", "http_proxy", "plain:1"),
                        URI.create("ws://example.com/")));
    }

    @Test
    void theTargetSchemeIsCaseInsensitive() {
        assertEquals("http://p:1", proxy(env("https_proxy", "p:1"),
                URI.create("HTTPS://example.com/")));
    }

    @Test
    void aUrlWithoutAHostNeverUsesAProxy() {
        ProxyEnvironment e = env("all_proxy", "p:1").withProxy("cli:2");
        assertEquals(Optional.empty(), e.proxyFor(URI.create("file:///etc/hosts")));
        assertEquals(Optional.empty(), e.proxyFor(URI.create("mailto:a@b.c")));
    }

    @Test
    void anUnsupportedProxyIsAnErrorThatNamesItsSource() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> env("https_proxy", "socks4://u:hunter2@h").proxyFor(HTTPS));
        assertTrue(e.getMessage().startsWith("https_proxy: SOCKS4"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        IllegalArgumentException cli = assertThrows(IllegalArgumentException.class,
                () -> env().withProxy("https://h").proxyFor(HTTP));
        assertTrue(cli.getMessage().startsWith("--proxy: HTTPS proxies"), cli.getMessage());
    }

    @Test
    void aRefusedProxyIsNotSkippedInFavourOfTheNextVariable() {
        assertThrows(IllegalArgumentException.class,
                () -> env("https_proxy", "socks4://h", "all_proxy", "fine:1").proxyFor(HTTPS));
    }

    @Test
    void credentialsComeThroughButNeverInToString() {
        ProxyEnvironment e = env("http_proxy", "http://user:hunter2@p:8080");
        ProxyUrl p = e.proxyFor(HTTP).orElseThrow();
        assertEquals("user", p.credentials().getUserName());
        assertFalse(p.toString().contains("hunter2"));
        assertFalse(e.withProxy("http://user:hunter2@p").toString().contains("hunter2"));
    }

    @Test
    void theEnvironmentIsCopiedNotShared() {
        Map<String, String> vars = new HashMap<>();
        vars.put("http_proxy", "p:1");
        ProxyEnvironment e = ProxyEnvironment.of(vars);
        vars.put("http_proxy", "changed:2");
        assertEquals("http://p:1", proxy(e, HTTP));
    }

    @Test
    void fromSystemReadsTheProcessEnvironment() {
        assertNotNull(ProxyEnvironment.fromSystem());
    }

    private static String proxy(ProxyEnvironment e, URI uri) {
        return e.proxyFor(uri).map(ProxyUrl::toString).orElse("DIRECT");
    }

    private static ProxyEnvironment env(String... pairs) {
        Map<String, String> vars = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            vars.put(pairs[i], pairs[i + 1]);
        }
        return ProxyEnvironment.of(vars);
    }
}
