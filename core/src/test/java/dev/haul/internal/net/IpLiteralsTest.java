package dev.haul.internal.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Address literals parsed as inet_pton does, checked against the JDK's literal parser. */
@Timeout(10)
class IpLiteralsTest {

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "127.0.0.1", "255.255.255.255", "10.0.0.1",
        "::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
        "fe80::ab47:4396:55c9:8474", "2001:DB8::42", "::ffff:10.0.0.1", "64:ff9b::192.0.2.33",
        "1:2:3:4:5:6:1.2.3.4"})
    void addressesParseToTheSameBytesAsTheJdk(String literal) throws UnknownHostException {
        // getByName does no lookup for a literal
        assertArrayEquals(InetAddress.getByName(literal).getAddress().length == 4
                        && literal.contains(":")
                        ? mapped(InetAddress.getByName(literal).getAddress())
                        : InetAddress.getByName(literal).getAddress(),
                IpLiterals.parse(literal), literal);
        assertTrue(IpLiterals.isIp(literal));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04",
        "1..2.3", "1.2.3.4.", " 1.2.3.4", "a.b.c.d", ":", ":::", "1:::2", "1::2::3",
        "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::1",
        "::1%eth0", "fe80::1%25eth0", "1:2:3:4:5:6:7", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:",
        "::1.2.3", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", "localhost", "[::1"})
    void nonAddressesAreRejected(String text) {
        assertNull(IpLiterals.parse(text), text);
        assertFalse(IpLiterals.isIp(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[::1]", "[2001:db8::1]"})
    void bracketsAreAcceptedAroundIpv6(String text) {
        assertTrue(IpLiterals.isIp(text));
    }

    /** The JDK turns ::ffff:a.b.c.d into an Inet4Address; inet_pton keeps 16 bytes. */
    private static byte[] mapped(byte[] v4) {
        byte[] out = new byte[16];
        out[10] = (byte) 0xff;
        out[11] = (byte) 0xff;
        System.arraycopy(v4, 0, out, 12, 4);
        return out;
    }
}
