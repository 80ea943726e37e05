package dev.haul.internal.net;

import java.util.Arrays;

/**
 * Numeric IPv4 and IPv6 addresses, parsed as {@code inet_pton(3)} does and without ever asking a
 * resolver: {@code InetAddress.getByName} would look up anything that is not a literal.
 */
final class IpLiterals {

    private IpLiterals() {
    }

    /**
     * The 4 bytes of a dotted-quad IPv4 address, or null. Like {@code inet_pton}, exactly four
     * decimal parts of 0–255 without leading zeros ({@code 010.0.0.1} is not an address here,
     * because other parsers read it as octal).
     */
    static byte[] ipv4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int i = 0;
        while (true) {
            int start = i;
            int value = 0;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                value = value * 10 + (s.charAt(i) - '0');
                i++;
                if (value > 255) {
                    return null;
                }
            }
            int digits = i - start;
            if (digits == 0 || (digits > 1 && s.charAt(start) == '0')) {
                return null;
            }
            out[part++] = (byte) value;
            if (part == 4) {
                return i == s.length() ? out : null;
            }
            if (i >= s.length() || s.charAt(i) != '.') {
                return null;
            }
            i++;
        }
    }

    /**
     * The 16 bytes of an IPv6 address without brackets, or null. Accepts {@code ::} for one or
     * more zero groups and a dotted IPv4 tail; refuses a zone ({@code %eth0}), as
     * {@code inet_pton} does.
     */
    static byte[] ipv6(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return null;
        }
        byte[] out = new byte[16];
        int filled = 0;
        int gap = -1;
        int i = 0;
        if (s.startsWith("::")) {
            gap = 0;
            i = 2;
            if (i == s.length()) {
                return out;
            }
        } else if (s.charAt(0) == ':') {
            return null;
        }
        while (i < s.length()) {
            int start = i;
            int value = 0;
            while (i < s.length() && Character.digit(s.charAt(i), 16) >= 0 && i - start < 5) {
                value = value * 16 + Character.digit(s.charAt(i), 16);
                i++;
            }
            int digits = i - start;
            if (i < s.length() && s.charAt(i) == '.') {
                byte[] v4 = ipv4(s.substring(start));
                if (v4 == null || filled + 4 > 16) {
                    return null;
                }
                System.arraycopy(v4, 0, out, filled, 4);
                filled += 4;
                i = s.length();
                break;
            }
            if (digits == 0 || digits > 4 || filled + 2 > 16) {
                return null;
            }
            out[filled++] = (byte) (value >> 8);
            out[filled++] = (byte) value;
            if (i == s.length()) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < s.length() && s.charAt(i) == ':') {
                if (gap >= 0) {
                    return null; // a second "::"
                }
                gap = filled;
                i++;
                if (i == s.length()) {
                    break;
                }
            } else if (i == s.length()) {
                return null; // a trailing single ':'
            }
        }
        if (gap < 0) {
            return filled == 16 ? out : null;
        }
        if (filled == 16) {
            return null; // "::" must stand for at least one group
        }
        int tail = filled - gap;
        System.arraycopy(out, gap, out, 16 - tail, tail);
        Arrays.fill(out, gap, 16 - tail, (byte) 0);
        return out;
    }

    /** The bytes of an IPv4 or IPv6 literal, with or without brackets around IPv6, or null. */
    static byte[] parse(String host) {
        if (host == null || host.isEmpty()) {
            return null;
        }
        if (host.charAt(0) == '[') {
            return host.endsWith("]") ? ipv6(host.substring(1, host.length() - 1)) : null;
        }
        byte[] v4 = ipv4(host);
        return v4 != null ? v4 : ipv6(host);
    }

    /** True when {@code host} is a numeric address, not a name. */
    static boolean isIp(String host) {
        return parse(host) != null;
    }

    /** True when the first {@code bits} bits of two same-length addresses are equal. */
    static boolean samePrefix(byte[] a, byte[] b, int bits) {
        int whole = bits / 8;
        for (int i = 0; i < whole; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return ((a[whole] ^ b[whole]) & mask) == 0;
    }
}
