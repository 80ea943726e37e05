package dev.haul.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --limit-rate} values as curl reads them: bytes per second, with an optional one-letter
 * suffix {@code K}, {@code M}, {@code G}, {@code T} or {@code P} (either case) that is
 * 1024-based, as in curl ({@code 1K} = 1024, {@code 2M} = 2097152), and an optional fraction
 * with a period ({@code 1.5M}). {@code 0} means no limit, as in curl.
 *
 * <p>Refused with a message that names the value: signs, blanks, exponents, longer suffixes
 * ({@code KB}, {@code MiB}, {@code /s}), and a non-zero value that rounds down to 0 bytes per
 * second, which would silently mean "no limit".
 */
final class RateLimit {

    private static final Pattern RATE =
            Pattern.compile("([0-9]{1,19})(?:\\.([0-9]{1,9}))?([kKmMgGtTpP])?");
    private static final String SUFFIXES = "kmgtp";

    private RateLimit() {
    }

    /**
     * The bytes per second {@code text} means; 0 for no limit.
     *
     * @throws IllegalArgumentException with a message for the user
     */
    static long parse(String text) {
        Matcher m = RATE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("--limit-rate wants bytes per second with an"
                    + " optional K, M, G, T or P suffix (1024-based, as curl), such as 500K or 2M;"
                    + " got '" + ProgressRenderer.oneLine(text) + "'");
        }
        BigDecimal number = new BigDecimal(m.group(2) == null
                ? m.group(1)
                : m.group(1) + "." + m.group(2));
        int power = m.group(3) == null
                ? 0
                : SUFFIXES.indexOf(Character.toLowerCase(m.group(3).charAt(0))) + 1;
        BigDecimal bytes = number.multiply(BigDecimal.valueOf(1024).pow(power))
                .setScale(0, RoundingMode.FLOOR);
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("--limit-rate " + text + " is too large");
        }
        long value = bytes.longValueExact();
        if (value == 0 && number.signum() != 0) {
            throw new IllegalArgumentException("--limit-rate " + text
                    + " is less than 1 byte per second; use 0 for no limit");
        }
        return value;
    }
}
