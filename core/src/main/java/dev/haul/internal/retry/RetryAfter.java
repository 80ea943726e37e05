package dev.haul.internal.retry;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Parses {@code Retry-After}: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
public final class RetryAfter {
    private RetryAfter() {
    }

    /** The wait the server asks for, or null when absent or unreadable. */
    public static Duration parse(String value, long nowEpochMillis) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        long seconds = dev.haul.internal.resume.ContentRange.parseNonNegative(v);
        if (seconds >= 0) {
            return Duration.ofSeconds(seconds);
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
            long ms = at.toInstant().toEpochMilli() - nowEpochMillis;
            return Duration.ofMillis(Math.max(0, ms));
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
