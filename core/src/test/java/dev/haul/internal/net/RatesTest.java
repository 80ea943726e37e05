package dev.haul.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** --limit-rate values as curl's manual describes them, and the display form. */
@Timeout(10)
class RatesTest {

    @ParameterizedTest(name = "[{index}] {0} = {1}")
    @CsvSource({
        "0, 0",
        "1000, 1000",
        "1000b, 1000",
        "1000B, 1000",
        "200K, 204800",
        "200k, 204800",
        "3m, 3145728",
        "10M, 10485760",
        "1G, 1073741824",
        "1g, 1073741824",
        "2T, 2199023255552",
        "1P, 1125899906842624",
        "2.5M, 2621440",
        "123.45K, 126412",
        "1.5, 1",
        "0.001K, 1",
        "007, 7",
        "8191P, 9222246136947933184",
    })
    void parsesLikeCurl(String text, long expected) {
        assertEquals(expected, Rates.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "K", "-1", "+5", "1 K", " 1K", "1K ", "1KB", "1MiB", "1Kb",
        "1/s", "1e6", "1,5M", ".5M", "1.M", "1..5", "1.5.5", "abc", "10X", "½", "１２",
        "1K\n", "8192P", "99999999999999999999"})
    void refusesAnythingElseNamingTheValue(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rates.parse(text));
        assertTrue(e.getMessage().contains("\"" + text.replace("\n", "?") + "\""),
                e.getMessage());
    }

    @Test
    void aTinyFractionIsRefusedRatherThanBecomingUnlimited() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rates.parse("0.5"));
        assertTrue(e.getMessage().contains("rounds down to 0"), e.getMessage());
        assertEquals(0, Rates.parse("0.0"), "an explicit zero is still no limit");
    }

    @Test
    void nullIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Rates.parse(null));
    }

    @Test
    void longGarbageIsShortenedInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rates.parse("9".repeat(10_000)));
        assertTrue(e.getMessage().length() < 300, e.getMessage());
        assertFalse(e.getMessage().contains("9".repeat(100)));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource({
        "0, unlimited",
        "-5, unlimited",
        "1, 1 B/s",
        "1023, 1023 B/s",
        "1024, 1.0 KiB/s",
        "1536, 1.5 KiB/s",
        "204800, 200 KiB/s",
        "102400, 100 KiB/s",
        "1572864, 1.5 MiB/s",
        "10485760, 10.0 MiB/s",
        "1073741824, 1.0 GiB/s",
        "9223372036854775807, 8.0 EiB/s",
    })
    void formatsForPeople(long rate, String expected) {
        assertEquals(expected, Rates.format(rate));
    }
}
