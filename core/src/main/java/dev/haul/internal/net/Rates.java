package dev.haul.internal.net;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Transfer rates as curl's {@code --limit-rate} reads them, and as people read them.
 *
 * <p>{@link #parse} follows curl's manual for {@code --limit-rate} (curl 8.19): a number of bytes
 * per second with an optional one-letter suffix, {@code k}/{@code K}, {@code m}/{@code M},
 * {@code g}/{@code G}, {@code t}/{@code T} or {@code p}/{@code P}, which are 1024-based
 * ({@code 1k} is 1024, {@code 1M} is 1048576), or {@code b}/{@code B} for plain bytes, which
 * older curl source accepts. A fraction with a period works, as in curl 8.19: {@code 2.5M} is
 * 2621440, whatever the locale. The result is rounded down to whole bytes per second. {@code 0}
 * means no limit, as for curl; a non-zero value that rounds down to 0 ({@code 0.5}) is refused,
 * because silently turning a tiny limit into no limit would be the opposite of what was asked.
 * Signs, blanks, exponents, commas and longer suffixes ({@code KB}, {@code MiB}, {@code /s})
 * are refused with a message that names the value.
 */
public final class Rates {

    private static final Pattern RATE = Pattern.compile(
            "([0-9]+)(?:\\.([0-9]+))?([bBkKmMgGtTpP])?");
    private static final String SUFFIXES = "bkmgtp";
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    /** Longer input is not a rate anyone means, and bounds the arithmetic. */
    private static final int MAX_LENGTH = 64;

    private Rates() {
    }

    /**
     * Returns the bytes per second that a {@code --limit-rate} value means, 0 for no limit.
     *
     * @throws IllegalArgumentException for anything curl would not read as a rate, or a rate
     *                                  that does not fit in a long; the message names the value
     */
    public static long parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("rate is null");
        }
        Matcher m = RATE.matcher(text);
        if (text.length() > MAX_LENGTH || !m.matches()) {
            throw new IllegalArgumentException("not a rate: \"" + shown(text) + "\" (expected"
                    + " bytes per second with an optional K, M, G, T or P suffix, such as 200K"
                    + " or 1.5M)");
        }
        BigDecimal number = new BigDecimal(m.group(2) == null ? m.group(1)
                : m.group(1) + "." + m.group(2));
        int power = m.group(3) == null ? 0
                : SUFFIXES.indexOf(Character.toLowerCase(m.group(3).charAt(0)));
        BigDecimal bytes = number.multiply(BigDecimal.valueOf(1024).pow(power))
                .setScale(0, RoundingMode.FLOOR);
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("rate too large: \"" + text + "\"");
        }
        long value = bytes.longValueExact();
        if (value == 0 && number.signum() != 0) {
            throw new IllegalArgumentException("rate rounds down to 0 bytes per second, which"
                    + " would mean no limit: \"" + text + "\"");
        }
        return value;
    }

    /**
     * Returns a rate as people read it: {@code 512 B/s}, {@code 1.5 MiB/s},
     * {@code 200 KiB/s}, or {@code unlimited} for 0 and negative values.
     */
    public static String format(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            return "unlimited";
        }
        if (bytesPerSecond < 1024) {
            return bytesPerSecond + " B/s";
        }
        double v = bytesPerSecond;
        int unit = 0;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        // one decimal below 100 and none above, as the CLI's progress line shows sizes
        String pattern = v >= 99.95 ? "%.0f %s/s" : "%.1f %s/s";
        return String.format(Locale.ROOT, pattern, v, UNITS[unit]);
    }

    private static String shown(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && i < MAX_LENGTH; i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return text.length() > MAX_LENGTH ? out + "…" : out.toString();
    }
}
