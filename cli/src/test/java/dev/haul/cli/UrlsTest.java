package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(5)
class UrlsTest {

    @Test
    void redactsUserinfoAndQuery() {
        assertEquals("https://***@example.com:8443/a/b.zip?…",
                Urls.redact(URI.create("https://user:pw@example.com:8443/a/b.zip?sig=secret#f")));
        assertEquals("http://example.com/x", Urls.redact(URI.create("http://example.com/x")));
    }

    @Test
    void redactsStringsThatAreNotEvenUris() {
        assertEquals("http://***@host/a b?…", Urls.redact("http://u:p@host/a b?token=1"));
        assertEquals("not a url", Urls.redact("not a url"));
        assertEquals("http://h/x?y", Urls.redact("http://h/x\u001by"));
    }
}
