package dev.haul.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** curl's .netrc rules (lib/netrc.c, unit test 1304), and what a hostile file cannot do. */
@Timeout(10)
class NetrcTest {

    private static final String SECRET = "s3cr3t-Pa55";

    @TempDir
    Path dir;

    @Test
    void aMachineEntryGivesItsLoginAndPassword() {
        Netrc n = Netrc.parse("machine example.com login alice password " + SECRET + "\n");
        Netrc.Credentials c = n.find("example.com").orElseThrow();
        assertEquals("alice", c.login());
        assertEquals(SECRET, c.password());
        assertNull(c.account());
    }

    @Test
    void tokensMaySpanLinesAndAnyWhitespace() {
        Netrc n = Netrc.parse("machine\texample.com\r\n  login\n\nalice\n\tpassword   pw\n");
        assertEquals("alice", n.find("example.com").orElseThrow().login());
        assertEquals("pw", n.find("example.com").orElseThrow().password());
    }

    @Test
    void keywordsAreCaseInsensitiveAndHostsTooButLoginsAreNot() {
        Netrc n = Netrc.parse("MACHINE Example.COM LOGIN Alice PASSWORD pw");
        assertEquals("Alice", n.find("example.com").orElseThrow().login());
        assertEquals(Optional.empty(), n.find("example.com", "alice"));
        assertEquals("pw", n.find("EXAMPLE.com", "Alice").orElseThrow().password());
    }

    @Test
    void theFirstMatchingMachineWins() {
        Netrc n = Netrc.parse("machine h login first password one\n"
                + "machine h login second password two\n");
        assertEquals("first", n.find("h").orElseThrow().login());
        assertEquals("two", n.find("h", "second").orElseThrow().password());
    }

    @Test
    void anEntryThatGivesNothingIsPassedOver() {
        Netrc n = Netrc.parse("machine h account x\nmachine h login real password pw\n");
        assertEquals("real", n.find("h").orElseThrow().login());
    }

    @Test
    void defaultIsUsedOnlyWhenNoMachineMatches() {
        Netrc n = Netrc.parse("machine a.com login alice password pa\n"
                + "default login anonymous password guest\n");
        assertEquals("alice", n.find("a.com").orElseThrow().login());
        assertEquals("anonymous", n.find("b.com").orElseThrow().login());
    }

    @Test
    void aDefaultBeforeAMachineDoesNotShadowIt() {
        Netrc n = Netrc.parse("default login anonymous password guest\n"
                + "machine a.com login alice password pa\n");
        assertEquals("alice", n.find("a.com").orElseThrow().login());
        assertEquals("anonymous", n.find("c.com").orElseThrow().login());
    }

    @Test
    void withoutAMatchOrADefaultThereIsNothing() {
        Netrc n = Netrc.parse("machine a.com login alice password pa\n");
        assertEquals(Optional.empty(), n.find("b.com"));
        assertEquals(Optional.empty(), Netrc.parse("").find("a.com"));
        assertEquals(Optional.empty(), Netrc.parse("# only a comment\n").find("a.com"));
    }

    @Test
    void otherHostsEntriesAreNeverReturned() {
        Netrc n = Netrc.parse("machine evil.com login mallory password " + SECRET + "\n"
                + "machine sub.example.com login sub password subpw\n"
                + "machine example.com.evil.com login x password y\n"
                + "machine *.example.com login w password w\n");
        assertEquals(Optional.empty(), n.find("example.com"));
        assertEquals(Optional.empty(), n.find("www.example.com"), "no subdomain matching");
        assertEquals(Optional.empty(), n.find("evil"));
        assertEquals(Optional.empty(), n.find("example.com.evil"));
        assertEquals("sub", n.find("sub.example.com").orElseThrow().login());
    }

    @Test
    void aValueIsTheNextTokenWhateverItIs() {
        Netrc n = Netrc.parse("machine a.com login bob password machine\n"
                + "machine b.com login carol password pw\n");
        assertEquals("machine", n.find("a.com").orElseThrow().password());
        assertEquals("carol", n.find("b.com").orElseThrow().login());
        assertEquals(Optional.empty(), n.find("machine"));
    }

    @Test
    void passwordsOfOtherEntriesCannotBeReachedThroughKeywordsInValues() {
        // if "password" were read as a keyword here, b.com's entry would swallow a.com's
        Netrc n = Netrc.parse("machine a.com login password password login\n");
        Netrc.Credentials c = n.find("a.com").orElseThrow();
        assertEquals("password", c.login());
        assertEquals("login", c.password());
    }

    @Test
    void aLoginAskedForMustMatchAndHaveAPassword() {
        Netrc n = Netrc.parse("machine h login alice\n"
                + "machine h login bob password bobpw\n"
                + "machine h password anyone\n");
        assertEquals("bobpw", n.find("h", "bob").orElseThrow().password());
        Netrc.Credentials carol = n.find("h", "carol").orElseThrow();
        assertEquals("carol", carol.login());
        assertEquals("anyone", carol.password(), "a password without a login fits any login");
        assertEquals("anyone", n.find("h", "alice").orElseThrow().password());
    }

    @Test
    void aLoginWithoutAPasswordGetsTheEmptyPassword() {
        Netrc.Credentials c = Netrc.parse("machine h login alice").find("h").orElseThrow();
        assertEquals("alice", c.login());
        assertEquals("", c.password());
    }

    @Test
    void aPasswordWithoutALoginHasNoLoginUnlessOneIsAskedFor() {
        Netrc n = Netrc.parse("machine h password pw");
        assertNull(n.find("h").orElseThrow().login());
        assertEquals("zed", n.find("h", "zed").orElseThrow().login());
        assertEquals("pw", n.find("h", "").orElseThrow().password());
    }

    @Test
    void accountIsKeptAndRepeatedValuesReplaceEarlierOnes() {
        Netrc.Credentials c = Netrc.parse("machine h login a login b password p account acct")
                .find("h").orElseThrow();
        assertEquals("b", c.login());
        assertEquals("acct", c.account());
    }

    @Test
    void quotedTokensMayHoldSpacesQuotesAndEscapes() {
        Netrc n = Netrc.parse("machine h login \"alice smith\" password \"p \\\"w\\\\d\\n\\t\\x\"");
        Netrc.Credentials c = n.find("h").orElseThrow();
        assertEquals("alice smith", c.login());
        assertEquals("p \"w\\d\n\tx", c.password());
    }

    @Test
    void aQuotedKeywordIsJustAWord() {
        Netrc n = Netrc.parse("\"machine\" h login x password y\nmachine h2 login \"login\""
                + " password p");
        assertEquals(Optional.empty(), n.find("h"));
        assertEquals("login", n.find("h2").orElseThrow().login());
    }

    @Test
    void commentsAreWholeLinesOnly() {
        Netrc n = Netrc.parse("# a comment with machine h login evil password evil\n"
                + "   # indented comment\n"
                + "machine h login alice password abc#123 # not a comment\n");
        Netrc.Credentials c = n.find("h").orElseThrow();
        assertEquals("alice", c.login());
        assertEquals("abc#123", c.password());
    }

    @Test
    void macdefBlocksAreSkippedUntilAnEmptyLine() {
        Netrc n = Netrc.parse("machine a login a1 password p1\n"
                + "macdef init\n"
                + "machine b login evil password evil\n"
                + "cd /pub\n"
                + " \t\n"
                + "machine c login c1 password p3\n");
        assertEquals(Optional.empty(), n.find("b"), "machine lines inside a macro are text");
        assertEquals("c1", n.find("c").orElseThrow().login());
        assertEquals("a1", n.find("a").orElseThrow().login());
    }

    @Test
    void aMacdefEndsTheEntryBeforeIt() {
        Netrc n = Netrc.parse("machine a login a1\nmacdef m\nx\n\npassword stray\n");
        assertEquals("", n.find("a").orElseThrow().password(), "the stray password is junk");
    }

    @Test
    void anUnterminatedMacdefRunsToTheEnd() {
        Netrc n = Netrc.parse("machine a login a1 password p\nmacdef m\nmachine b login b");
        assertEquals(Optional.empty(), n.find("b"));
        assertEquals("a1", n.find("a").orElseThrow().login());
    }

    @Test
    void ipv6HostsMayBeGivenWithBrackets() {
        Netrc n = Netrc.parse("machine ::1 login v6 password p");
        assertEquals("v6", n.find("[::1]").orElseThrow().login());
        assertEquals("v6", n.find("::1").orElseThrow().login());
    }

    @Test
    void anUnterminatedQuoteIsAnErrorWithALineNumberAndNoSecret() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Netrc.parse("# comment\nmachine h\nlogin u password \"" + SECRET + "\n"));
        assertEquals("unterminated quoted token starting on line 3", e.getMessage());
        assertFalse(e.getMessage().contains(SECRET));
    }

    @Test
    void anOverlongTokenIsAnError() {
        String huge = "x".repeat(Netrc.MAX_TOKEN + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Netrc.parse("machine h login u password " + huge));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        assertFalse(e.getMessage().contains("xxxx"));
        assertThrows(IllegalArgumentException.class,
                () -> Netrc.parse("machine h password \"" + huge + "\""));
        assertEquals(Netrc.MAX_TOKEN, Netrc.parse("machine h password " + huge.substring(1))
                .find("h").orElseThrow().password().length());
    }

    @Test
    void passwordsNeverAppearInToString() {
        Netrc n = Netrc.parse("machine h login alice password " + SECRET + " account "
                + SECRET + "\ndefault password " + SECRET);
        assertFalse(n.toString().contains(SECRET), n.toString());
        assertEquals("Netrc[1 machines, default]", n.toString());
        Netrc.Credentials c = n.find("h").orElseThrow();
        assertFalse(c.toString().contains(SECRET), c.toString());
        assertTrue(c.toString().contains("alice"));
    }

    @Test
    void loadReadsAFile() throws IOException {
        Path file = dir.resolve(".netrc");
        Files.writeString(file, "machine h login u password p\n");
        assertEquals("u", Netrc.load(file).find("h").orElseThrow().login());
    }

    @Test
    void loadReportsAMissingFileClearly() {
        Path missing = dir.resolve("nope");
        IOException e = assertThrows(IOException.class, () -> Netrc.load(missing));
        assertTrue(e.getMessage().startsWith("cannot read netrc file " + missing), e.getMessage());
    }

    @Test
    void loadReportsAPathThatCannotBeOpenedClearly() throws IOException {
        Path notADirectory = dir.resolve("plain");
        Files.writeString(notADirectory, "x");
        Path file = notADirectory.resolve(".netrc");
        IOException e = assertThrows(IOException.class, () -> Netrc.load(file));
        assertTrue(e.getMessage().startsWith("cannot read netrc file " + file), e.getMessage());
    }

    @Test
    void loadReportsAnUnreadableFileClearly() throws IOException {
        Path file = dir.resolve("locked");
        Files.writeString(file, "machine h login u password " + SECRET);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system
        }
        if (Files.isReadable(file)) {
            return; // running as root: permissions do not stop us
        }
        IOException e = assertThrows(IOException.class, () -> Netrc.load(file));
        assertTrue(e.getMessage().startsWith("cannot read netrc file " + file), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET));
    }

    @Test
    void loadRefusesADirectory() {
        IOException e = assertThrows(IOException.class, () -> Netrc.load(dir));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
    }

    @Test
    void loadRefusesAHugeFile() throws IOException {
        Path file = dir.resolve("huge");
        byte[] line = ("machine h login u password " + SECRET + "\n")
                .getBytes(StandardCharsets.UTF_8);
        try (var out = Files.newOutputStream(file)) {
            for (int written = 0; written <= Netrc.MAX_BYTES; written += line.length) {
                out.write(line);
            }
        }
        IOException e = assertThrows(IOException.class, () -> Netrc.load(file));
        assertTrue(e.getMessage().contains("larger than " + Netrc.MAX_BYTES), e.getMessage());
    }

    @Test
    void loadRefusesMalformedFilesWithoutShowingThem() throws IOException {
        Path quote = dir.resolve("quote");
        Files.writeString(quote, "machine h password \"" + SECRET);
        IOException e = assertThrows(IOException.class, () -> Netrc.load(quote));
        assertTrue(e.getMessage().endsWith("unterminated quoted token starting on line 1"),
                e.getMessage());
        assertFalse(e.getMessage().contains(SECRET));
        Path latin1 = dir.resolve("latin1");
        Files.write(latin1, new byte[] {'p', 'a', (byte) 0xe9});
        IOException bad = assertThrows(IOException.class, () -> Netrc.load(latin1));
        assertTrue(bad.getMessage().contains("UTF-8"), bad.getMessage());
    }

    @Test
    void garbageNeverThrowsAnythingButIllegalArgument() {
        Random random = new Random(1304);
        String[] words = {"machine", "default", "login", "password", "account", "macdef", "h",
            "\"", "\\", "\n", "\n\n", " ", "#", "x\"y", "\"q q\"", "\t"};
        for (int i = 0; i < 5_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int j = random.nextInt(30); j > 0; j--) {
                s.append(words[random.nextInt(words.length)]);
                s.append(random.nextBoolean() ? " " : "");
            }
            try {
                Netrc.parse(s.toString()).find("h", random.nextBoolean() ? "u" : null);
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage().startsWith("unterminated"));
            }
        }
    }
}
