package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --limit-rate} values, read as curl reads them. */
@Timeout(5)
class RateLimitTest {

    @Test
    void suffixesAre1024BasedAsInCurl() {
        assertEquals(100, RateLimit.parse("100"));
        assertEquals(512_000, RateLimit.parse("500K"));
        assertEquals(512_000, RateLimit.parse("500k"));
        assertEquals(2 * 1024 * 1024, RateLimit.parse("2M"));
        assertEquals(1024L * 1024 * 1024, RateLimit.parse("1g"));
        assertEquals(1024L * 1024 * 1024 * 1024, RateLimit.parse("1T"));
        assertEquals(1_572_864, RateLimit.parse("1.5M"));
        assertEquals(1, RateLimit.parse("1.9"), "rounded down to whole bytes");
        assertEquals(0, RateLimit.parse("0"), "0 is no limit, as in curl");
        assertEquals(0, RateLimit.parse("0.0K"));
    }

    @Test
    void whatCurlWouldNotReadAsARateIsRefusedNamingTheValue() {
        for (String bad : new String[] {"", " 1K", "-1", "+5", "1KB", "1KiB", "2M/s", "1e3", "1,5M", "0.5", "K",
            "1.5.5M", "9999999999999999999", "8192P"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RateLimit.parse(bad), bad);
            assertTrue(e.getMessage().contains("--limit-rate"), e.getMessage());
        }
    }
}
