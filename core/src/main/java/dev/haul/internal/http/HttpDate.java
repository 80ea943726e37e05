package dev.haul.internal.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP dates as Haul sends them: the IMF-fixdate of RFC 9110 section 5.6.7,
 * {@code Tue, 01 Jul 2025 00:00:00 GMT}, always with a two-digit day.
 *
 * <p>Not {@link DateTimeFormatter#RFC_1123_DATE_TIME}: that writes the day of the month without
 * its leading zero ({@code Tue, 1 Jul 2025}), which RFC 1123 allows but HTTP's grammar does not,
 * and which servers that read the header strictly do not understand: nginx then answers a
 * conditional request on the 1st to the 9th of a month with 200 instead of 304. The day and month
 * names are fixed English, as HTTP wants, whatever the locale data of the JVM says.
 */
public final class HttpDate {
    private static final DateTimeFormatter IMF_FIXDATE = new DateTimeFormatterBuilder()
            .appendText(ChronoField.DAY_OF_WEEK, Map.of(1L, "Mon", 2L, "Tue", 3L, "Wed",
                    4L, "Thu", 5L, "Fri", 6L, "Sat", 7L, "Sun"))
            .appendLiteral(", ")
            .appendValue(ChronoField.DAY_OF_MONTH, 2)
            .appendLiteral(' ')
            .appendText(ChronoField.MONTH_OF_YEAR, Map.ofEntries(Map.entry(1L, "Jan"),
                    Map.entry(2L, "Feb"), Map.entry(3L, "Mar"), Map.entry(4L, "Apr"),
                    Map.entry(5L, "May"), Map.entry(6L, "Jun"), Map.entry(7L, "Jul"),
                    Map.entry(8L, "Aug"), Map.entry(9L, "Sep"), Map.entry(10L, "Oct"),
                    Map.entry(11L, "Nov"), Map.entry(12L, "Dec")))
            .appendLiteral(' ')
            .appendValue(ChronoField.YEAR, 4)
            .appendLiteral(' ')
            .appendPattern("HH:mm:ss")
            .appendLiteral(" GMT")
            .toFormatter(Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private HttpDate() {
    }

    /** {@code time} as an IMF-fixdate, truncated to whole seconds. */
    public static String format(Instant time) {
        return IMF_FIXDATE.format(time);
    }
}
