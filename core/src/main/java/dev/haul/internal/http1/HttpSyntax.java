package dev.haul.internal.http1;

import java.util.Arrays;

/**
 * Byte classes of RFC 9110/9112 as lookup tables: one array load per byte instead of a chain of
 * comparisons, shared by the response parser and the request writer.
 */
final class HttpSyntax {
    /** {@code tchar}: the bytes a header name (token) may hold (RFC 9110 section 5.6.2). */
    static final boolean[] TCHAR = new boolean[256];
    /**
     * Bytes a field value, reason phrase or chunk extension may hold: HTAB, SP, VCHAR and
     * obs-text. Every other control byte (NUL, bare CR, DEL...) is refused: RFC 9110 section 5.5
     * calls CR, LF and NUL dangerous, and a server that sends other controls is broken.
     */
    static final boolean[] FIELD_CHAR = new boolean[256];
    /** Hex digit values, -1 for other bytes. */
    static final int[] HEX = new int[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        FIELD_CHAR['\t'] = true;
        for (int c = 0x20; c <= 0x7e; c++) {
            FIELD_CHAR[c] = true;
        }
        for (int c = 0x80; c <= 0xff; c++) {
            FIELD_CHAR[c] = true;
        }
        Arrays.fill(HEX, -1);
        for (int c = '0'; c <= '9'; c++) {
            HEX[c] = c - '0';
        }
        for (int c = 'a'; c <= 'f'; c++) {
            HEX[c] = c - 'a' + 10;
            HEX[c - 'a' + 'A'] = c - 'a' + 10;
        }
    }

    private HttpSyntax() {
    }

    /** Whether {@code s} is a non-empty token, as a header name must be. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0xff || !TCHAR[c]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code s} may be sent as a field value: ISO-8859-1 field characters only, so never
     * CR, LF or NUL (the bytes that split or end a header).
     */
    static boolean isFieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0xff || !FIELD_CHAR[c]) {
                return false;
            }
        }
        return true;
    }

    /** A short, printable excerpt of wire bytes for an error message (never the whole line). */
    static String excerpt(byte[] bytes, int from, int to) {
        int end = Math.min(to, from + 40);
        StringBuilder sb = new StringBuilder(end - from + 8).append('"');
        for (int i = from; i < end; i++) {
            int b = bytes[i] & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b));
            }
        }
        return sb.append(end < to ? "\"..." : "\"").toString();
    }
}
