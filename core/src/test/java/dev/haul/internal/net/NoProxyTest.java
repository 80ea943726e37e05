package dev.haul.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * curl's no_proxy rules as a table. The rows marked t1614 are curl's own unit test 1614
 * ({@code tests/unit/unit1614.c}); the rest pin down the rules in {@link NoProxy}'s comment.
 */
@Timeout(10)
class NoProxyTest {

    @ParameterizedTest(name = "[{index}] {0} in \"{1}\" -> {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        // t1614: names, leading and trailing dots, subdomains
        "www.example.com   | localhost .example.com .example.de       | false",
        "www.example.com   | localhost,.example.com,.example.de       | true",
        "www.example.com.  | localhost,.example.com,.example.de       | true",
        "example.com       | localhost,.example.com,.example.de       | true",
        "example.com.      | localhost,.example.com,.example.de       | true",
        "www.example.com   | localhost,.example.com.,.example.de      | true",
        "www.example.com   | localhost,www.example.com.,.example.de   | true",
        "example.com       | localhost,example.com,.example.de        | true",
        "example.com.      | localhost,example.com,.example.de        | true",
        "nexample.com      | localhost,example.com,.example.de        | false",
        "www.example.com   | localhost,example.com,.example.de        | true",
        "localhost         | localhost,127.0.0.1                      | true",
        "localhost         | 127.0.0.1,localhost                      | true",
        "foobar            | barfoo                                   | false",
        "foobar            | foobar                                   | true",
        "bar               | foo, bar, ::1/64                         | true",
        "BAr               | foo, bar, ::1/64                         | true",
        "BAr               | `foo,,,,,              bar, ::1/64`      | true",
        "www.example.com   | foo, .example.com                        | true",
        "www.example.com   | www2.example.com, .example.net           | false",
        "example.com       | .example.com, .example.net               | true",
        "nonexample.com    | .example.com, .example.net               | false",
        // t1614: IPv4 and CIDR
        "127.0.0.1         | 127.0.0.1,localhost                      | true",
        "127.0.0.1         | 127.0.0.1,localhost,                     | true",
        "127.0.0.1         | 127.0.0.1/8,localhost,                   | true",
        "127.0.0.1         | 127.0.0.1/28,localhost,                  | true",
        "127.0.0.1         | 127.0.0.1/31,localhost,                  | true",
        "127.0.0.1         | localhost,127.0.0.1                      | true",
        "192.168.0.1       | foobar                                   | false",
        "192.168.0.1       | 192.168.0.0/16                           | true",
        "192.168.0.1       | 192.168.0.0/24                           | true",
        "192.168.0.1       | 192.168.0.0/32                           | false",
        "192.168.0.1       | 192.168.0.0                              | false",
        "192.168.1.1       | 192.168.0.0/24                           | false",
        "192.168.1.1       | 192.168.0.0/33                           | false",
        "192.168.1.1       | foo, bar, 192.168.0.0/24                 | false",
        "192.168.1.1       | foo, bar, 192.168.0.0/16                 | true",
        // t1614: IPv6
        "[::1]             | foo, bar, 192.168.0.0/16                 | false",
        "[::1]             | foo, bar, ::1/64                         | true",
        "[::1]             | ::1/64                                   | true",
        "[::1]             | ::1/96                                   | true",
        "[::1]             | ::1/129                                  | false",
        // the wildcard
        "anything.at.all   | *                                        | true",
        "10.1.2.3          | *                                        | true",
        "[2001:db8::1]     | *                                        | true",
        "www.example.com   | *.example.com                            | false",
        "www.example.com   | `*, example.org`                         | false",
        "www.example.com   | ` *`                                     | false",
        // case, trailing dots, look-alikes
        "WWW.EXAMPLE.COM   | example.com                              | true",
        "www.example.com   | EXAMPLE.COM.                             | true",
        "badexample.com    | example.com                              | false",
        "badexample.com    | .example.com                             | false",
        "example.com.evil  | example.com                              | false",
        "example.com       | www.example.com                          | false",
        "a.b.c.example.com | example.com                              | true",
        // ports: curl compares whole entries, so host:port entries never match
        "example.com       | example.com:8080                         | false",
        "127.0.0.1         | 127.0.0.1:8080                           | false",
        "example.com       | `example.com ,other`                     | true",
        // IPv6 without brackets, CIDR, and bracketed entries (which never match)
        "::1               | ::1                                      | true",
        "::1               | 0:0::1                                   | true",
        "[::1]             | [::1]                                    | false",
        "[2001:db8::42]    | 2001:db8::/32                            | true",
        "[2001:db9::42]    | 2001:db8::/32                            | false",
        "[2001:db8::42]    | 2001:db8::/33                            | true",
        "[fe80::1]         | fe80::/10                                | true",
        "[fec0::1]         | fe80::/10                                | false",
        // names never match addresses and addresses never match names
        "localhost         | 127.0.0.1                                | false",
        "127.0.0.1         | localhost                                | false",
        "10.0.0.1          | 10.0.0.0/8                               | true",
        "10.0.0.1          | ::ffff:10.0.0.1                          | false",
        "[::ffff:10.0.0.1] | 10.0.0.1                                 | false",
        "10.0.0.1          | 10.0.0.0/0                               | false",
        "10.0.0.0          | 10.0.0.0/0                               | true",
        "10.0.0.1          | 10.0.0.0/                                | false",
        "10.0.0.1          | 10.0.0.0/8x                              | false",
        "10.0.0.1          | 010.0.0.1                                | false",
        "010.0.0.1         | 010.0.0.1                                | true",
        // blanks: spaces and tabs around entries are fine; a blank-separated list stops early
        "b.com             | `  a.com ,\tb.com  `                     | true",
        "a.com             | `a.com b.com`                            | true",
        "b.com             | `a.com b.com`                            | false",
        "c.com             | `a.com, b.com c.com`                     | false",
        // empty lists and entries
        "example.com       | ,,,                                      | false",
        "example.com       | .                                        | false",
        "example.com       | `, ,`                                    | false",
    })
    void matchesLikeCurl(String host, String list, boolean expected) {
        assertEquals(expected, NoProxy.parse(list.replace("\\t", "\t")).matches(host));
    }

    @Test
    void emptyAndNullListsMatchNothing() {
        assertSame(NoProxy.NONE, NoProxy.parse(null));
        assertSame(NoProxy.NONE, NoProxy.parse(""));
        assertFalse(NoProxy.parse("").matches("example.com"));
        assertFalse(NoProxy.NONE.matches("localhost"));
    }

    @Test
    void aHostlessUrlNeverMatches() {
        assertFalse(NoProxy.parse("*").matches(null));
        assertFalse(NoProxy.parse("*").matches(""));
        assertFalse(NoProxy.parse("example.com").matches("[::1"));
    }

    @Test
    void toStringIsTheListAsGiven() {
        assertEquals("a.com, b.com", NoProxy.parse("a.com, b.com").toString());
    }

    @Test
    void garbageNeverThrows() {
        Random random = new Random(1614);
        String alphabet = "ab.:/,[]* \t0123456789f%";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder list = new StringBuilder();
            StringBuilder host = new StringBuilder();
            for (int j = random.nextInt(30); j > 0; j--) {
                list.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            for (int j = random.nextInt(20); j > 0; j--) {
                host.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            NoProxy.parse(list.toString()).matches(host.toString());
        }
        assertTrue(NoProxy.parse("::1/128").matches("::1"));
    }
}
