package dev.haul.cli;

import java.time.Duration;
import java.util.Locale;

/** Sizes, speeds and times as people read them: 1.5 MiB, 12.0 MiB/s, 1:05. */
final class Units {
    private static final String[] BINARY = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Units() {
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        int unit = 0;
        while (v >= 1024 && unit < BINARY.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, BINARY[unit]);
    }

    static String rate(double bytesPerSecond) {
        return bytes((long) bytesPerSecond) + "/s";
    }

    /** {@code 0:07}, {@code 12:34}, {@code 1:02:03}. */
    static String clock(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** {@code 0.42 s}, {@code 12.3 s}, {@code 2:05}. */
    static String elapsed(Duration d) {
        long ms = d.toMillis();
        if (ms < 60_000) {
            return String.format(Locale.ROOT, ms < 10_000 ? "%.2f s" : "%.1f s", ms / 1000.0);
        }
        return clock(d);
    }
}
