package dev.haul.internal.net;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code no_proxy} list: the hosts that are reached directly even when a proxy is set, matched
 * exactly as curl matches {@code no_proxy}, {@code NO_PROXY}, {@code --noproxy} and
 * {@code CURLOPT_NOPROXY} (curl's {@code lib/noproxy.c}, its unit test 1614 and the
 * {@code CURLOPT_NOPROXY} manual, curl 8.x).
 *
 * <p>The list:
 * <ul>
 *   <li>The list as a whole being exactly {@code *} matches every host. A {@code *} anywhere else
 *       is an ordinary character, so {@code *.example.com} and {@code *,foo} match no host
 *       called {@code www.example.com}.</li>
 *   <li>Entries are separated by commas; blanks (spaces and tabs) around an entry are ignored and
 *       empty entries are skipped ({@code "foo,,, bar"}). curl once also accepted blanks as
 *       separators but removed that (its {@code DEPRECATE.md}, "space-separated NOPROXY
 *       patterns"): an entry followed by blanks and then anything but a comma ends the list, so
 *       in {@code "a.com b.com"} only {@code a.com} counts.</li>
 *   <li>An empty list matches nothing. That is how {@code --noproxy ""} switches off a
 *       {@code no_proxy} from the environment.</li>
 * </ul>
 * Host names (anything that is not an IP address):
 * <ul>
 *   <li>One trailing dot is ignored on the host and on each entry, and one leading dot on each
 *       entry.</li>
 *   <li>An entry matches the host itself and every name below it, comparing ASCII letters
 *       case-insensitively: {@code example.com} and {@code .example.com} both match
 *       {@code example.com} and {@code a.b.example.com}, never {@code badexample.com} or
 *       {@code example.com.evil}.</li>
 *   <li>An entry is compared whole, so an entry with a port ({@code example.com:8080}) never
 *       matches: curl has no port syntax in this list. The port of the URL plays no part either
 *       (the manual's "{@code ample.com} matches {@code ample.com:80}").</li>
 * </ul>
 * IP addresses (the host is a numeric IPv4 address, or an IPv6 address with or without
 * brackets):
 * <ul>
 *   <li>Only entries that are addresses of the same family match, never names, and a name entry
 *       never matches an address. IPv6 entries are written without brackets ({@code ::1});
 *       {@code [::1]} is not an address and matches nothing.</li>
 *   <li>{@code addr/bits} is a CIDR range; bits must be decimal and at most 32 (IPv4) or 128
 *       (IPv6), or the entry matches nothing. Without {@code /bits}, and also with {@code /0},
 *       the address must be equal: curl treats 0 bits as "the whole address", not "everything".
 *       </li>
 *   <li>Addresses are parsed strictly as {@code inet_pton} does: no leading zeros in IPv4, no
 *       IPv6 zone. A host with a zone ({@code fe80::1%eth0}) is compared as a name.</li>
 * </ul>
 * Parsing never fails: an entry that cannot match anything is kept and ignored.
 */
public final class NoProxy {

    /** The list that matches nothing. */
    public static final NoProxy NONE = new NoProxy("", false, List.of());

    private final String list;
    private final boolean everything;
    private final List<String> entries;

    private NoProxy(String list, boolean everything, List<String> entries) {
        this.list = list;
        this.everything = everything;
        this.entries = entries;
    }

    /** Returns the list that {@code value} spells out; null and "" give {@link #NONE}. */
    public static NoProxy parse(String value) {
        if (value == null || value.isEmpty()) {
            return NONE;
        }
        if (value.equals("*")) {
            return new NoProxy(value, true, List.of());
        }
        List<String> entries = new ArrayList<>();
        int i = 0;
        int n = value.length();
        while (i < n) {
            i = skipBlanks(value, i);
            int start = i;
            while (i < n && !isBlank(value.charAt(i)) && value.charAt(i) != ',') {
                i++;
            }
            if (i > start) {
                entries.add(value.substring(start, i));
            }
            i = skipBlanks(value, i);
            if (i >= n || value.charAt(i) != ',') {
                break; // what follows blanks without a comma is ignored, as in curl
            }
            while (i < n && value.charAt(i) == ',') {
                i++;
            }
        }
        return new NoProxy(value, false, List.copyOf(entries));
    }

    /**
     * Returns true when {@code host} is to be reached without a proxy. The host is a URL's host:
     * a name, an IPv4 address, or an IPv6 address with or without brackets. Null and "" never
     * match, as in curl (a URL without a host has nothing to compare).
     */
    public boolean matches(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        if (everything) {
            return true;
        }
        String name = host;
        if (name.charAt(0) == '[') {
            int close = name.indexOf(']');
            if (close < 0) {
                return false;
            }
            name = name.substring(1, close);
        }
        byte[] address = IpLiterals.ipv4(name);
        if (address == null) {
            address = IpLiterals.ipv6(name);
        }
        if (address != null) {
            for (String entry : entries) {
                if (matchesAddress(entry, address)) {
                    return true;
                }
            }
            return false;
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        for (String entry : entries) {
            if (matchesName(entry, name)) {
                return true;
            }
        }
        return false;
    }

    /** Returns the list as it was given. */
    @Override
    public String toString() {
        return list;
    }

    private static boolean matchesName(String entry, String name) {
        int from = 0;
        int to = entry.length();
        if (entry.charAt(to - 1) == '.') {
            to--;
        }
        if (to > from && entry.charAt(from) == '.') {
            from++;
        }
        int length = to - from;
        if (length == 0) {
            return false;
        }
        if (length == name.length()) {
            return equalsIgnoreAsciiCase(entry, from, name, 0, length);
        }
        if (length < name.length()) {
            int offset = name.length() - length;
            return name.charAt(offset - 1) == '.'
                    && equalsIgnoreAsciiCase(entry, from, name, offset, length);
        }
        return false;
    }

    private static boolean matchesAddress(String entry, byte[] address) {
        String ip = entry;
        int bits = 0;
        int slash = entry.indexOf('/');
        if (slash >= 0) {
            String digits = entry.substring(slash + 1);
            if (digits.isEmpty() || digits.length() > 18
                    || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return false;
            }
            long value = Long.parseLong(digits);
            if (value > 128) {
                return false;
            }
            bits = (int) value;
            ip = entry.substring(0, slash);
        }
        byte[] network = address.length == 4 ? IpLiterals.ipv4(ip) : IpLiterals.ipv6(ip);
        if (network == null || bits > address.length * 8) {
            return false;
        }
        return IpLiterals.samePrefix(address, network, bits == 0 ? address.length * 8 : bits);
    }

    private static boolean equalsIgnoreAsciiCase(String a, int aFrom, String b, int bFrom,
            int length) {
        for (int i = 0; i < length; i++) {
            if (lower(a.charAt(aFrom + i)) != lower(b.charAt(bFrom + i))) {
                return false;
            }
        }
        return true;
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    private static int skipBlanks(String s, int i) {
        while (i < s.length() && isBlank(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }
}
