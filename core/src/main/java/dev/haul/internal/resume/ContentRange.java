package dev.haul.internal.resume;

/**
 * A parsed {@code Content-Range: bytes first-last/total} (total -1 for {@code *}), or the
 * unsatisfied form {@code bytes *}{@code /total} (first and last -1).
 */
public record ContentRange(long first, long last, long total) {

    /** Parses a header value; null when it is absent or malformed. */
    public static ContentRange parse(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (!v.regionMatches(true, 0, "bytes ", 0, 6)) {
            return null;
        }
        v = v.substring(6).trim();
        int slash = v.indexOf('/');
        if (slash < 0) {
            return null;
        }
        String range = v.substring(0, slash).trim();
        String totalText = v.substring(slash + 1).trim();
        long total = totalText.equals("*") ? -1 : parseNonNegative(totalText);
        if (total == -2) {
            return null;
        }
        if (range.equals("*")) {
            return total < 0 ? null : new ContentRange(-1, -1, total);
        }
        int dash = range.indexOf('-');
        if (dash < 0) {
            return null;
        }
        long first = parseNonNegative(range.substring(0, dash).trim());
        long last = parseNonNegative(range.substring(dash + 1).trim());
        if (first < 0 || last < first || (total >= 0 && last >= total)) {
            return null;
        }
        return new ContentRange(first, last, total);
    }

    public boolean unsatisfied() {
        return first < 0;
    }

    public long length() {
        return last - first + 1;
    }

    /** A non-negative decimal, or -2 for anything else (signs, garbage, overflow). */
    public static long parseNonNegative(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -2;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -2;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
