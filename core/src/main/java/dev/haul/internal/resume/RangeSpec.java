package dev.haul.internal.resume;

/**
 * A caller's single {@code Range: bytes=first-[last]} header, which the engine takes over so it
 * can continue the range on a retry. Other forms (suffix ranges, several ranges) are not parsed
 * and are sent unchanged without resume.
 */
public record RangeSpec(long first, long last) {

    /** Parses {@code bytes=A-} or {@code bytes=A-B}; null for anything else. */
    public static RangeSpec parse(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (!v.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        v = v.substring(6).trim();
        int dash = v.indexOf('-');
        if (dash <= 0 || v.indexOf(',') >= 0) {
            return null;
        }
        long first = ContentRange.parseNonNegative(v.substring(0, dash).trim());
        String lastText = v.substring(dash + 1).trim();
        long last = lastText.isEmpty() ? -1 : ContentRange.parseNonNegative(lastText);
        if (first < 0 || last < -1 || (last >= 0 && last < first)) {
            return null;
        }
        return new RangeSpec(first, last);
    }
}
