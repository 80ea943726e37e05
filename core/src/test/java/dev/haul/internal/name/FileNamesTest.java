package dev.haul.internal.name;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sanitiser of untrusted names (fault catalogue S-a) and the free-name rule. The first tests
 * are the CLI's {@code FileNamesTest}, ported; the rest cover what the library copy adds.
 */
@Timeout(10)
class FileNamesTest {

    /** Hostile names from curl, aria2, grab and wget tests (see the fault catalogue, S-a). */
    private static final List<String> HOSTILE = List.of("../../etc/passwd", "..\\..\\boot.ini",
            "/etc/passwd", "C:\\Windows\\System32\\x.dll", "a/../../b", "....//....//x", "..",
            ".", "", "   ", "...", "/", "\u0000", "a\u0000b", "evil\r\nname", "%2e%2e%2f",
            "x".repeat(5000), "é".repeat(300) + ".tar", "CON", "con.txt", "NUL.tar.gz",
            "COM1", "lpt9.log", "COM\u00b9", "evil\u202etxt.exe", "file:stream", "what?.html",
            "a<b>c|d\"e*f", "name. . ", ".bashrc", "\ud800broken");

    @TempDir
    Path dir;

    // ---- ported from cli/src/test/java/dev/haul/cli/FileNamesTest.java ----

    @Test
    void traversalIsFlattenedIntoOneName() {
        assertEquals("etc_passwd", FileNames.sanitize("../../etc/passwd"));
        assertEquals("etc_passwd", FileNames.sanitize("/etc/passwd"));
        assertEquals("a_b", FileNames.sanitize("a\\..\\b"));
        assertEquals("b", FileNames.sanitize("..\\..\\b"));
    }

    @Test
    void dotNamesAndEmptyLeaveNothing() {
        assertEquals("", FileNames.sanitize(""));
        assertEquals("", FileNames.sanitize("."));
        assertEquals("", FileNames.sanitize(".."));
        assertEquals("", FileNames.sanitize("../"));
        assertEquals("", FileNames.sanitize("/"));
        assertEquals("", FileNames.sanitize("  "));
        assertEquals("", FileNames.sanitize("..."));
        assertEquals("", FileNames.sanitize("....."));
    }

    @Test
    void leadingDotsAndTrailingDotsAndSpacesGo() {
        assertEquals("bashrc", FileNames.sanitize(".bashrc"));
        assertEquals("foo", FileNames.sanitize("..foo"));
        assertEquals("name", FileNames.sanitize("name. . "));
        assertEquals("archive.tar.gz", FileNames.sanitize("archive.tar.gz"));
    }

    @Test
    void controlCharactersBecomeUnderscores() {
        assertEquals("a_b", FileNames.sanitize("a\u0000b"));
        assertEquals("evil_name", FileNames.sanitize("evil\nname"));
        assertEquals("x_[31my", FileNames.sanitize("x\u001b[31my"));
        assertEquals("a_b", FileNames.sanitize("a\u007fb"));
        assertEquals("a_b", FileNames.sanitize("a\u0085b"));
    }

    @Test
    void namesFromUrlsArePercentDecodedOnceThenSanitised() {
        assertEquals("a_b", name("http://h/dir/a%2Fb"));
        assertEquals("a_b", name("http://h/dir/a%5Cb"));
        assertEquals(FileNames.INDEX, name("http://h/%2e%2e%2f"));
        assertEquals(FileNames.INDEX, name("http://h/%2E%2E"));
        assertEquals("etc_passwd", name("http://h/x/..%2F..%2Fetc%2Fpasswd"));
        assertEquals("a_b", name("http://h/a%00b"));
        assertEquals("a_b", name("http://h/a%0d%0ab").replace("__", "_"));
        assertEquals("%2F", name("http://h/%252F"), "decoded once: %25 is a literal %");
        assertEquals("my file.txt", name("http://h/my%20file.txt"));
        assertEquals("a+b", name("http://h/a+b"), "+ is not a space in a path");
        assertEquals("café.txt", name("http://h/caf%C3%A9.txt"));
        assertEquals("x_.bin", name("http://h/x%FF.bin"), "invalid UTF-8 becomes _");
        assertEquals("100%", FileNames.sanitize(FileNames.percentDecode("100%")),
                "a bare % stays");
    }

    @Test
    void emptyNamesBecomeIndexHtml() {
        assertEquals(FileNames.INDEX, name("http://h"));
        assertEquals(FileNames.INDEX, name("http://h/"));
        assertEquals(FileNames.INDEX, name("http://h/dir/"));
        assertEquals(FileNames.INDEX, name("http://h/."));
        assertEquals("file.zip", name("http://h/dir/file.zip?token=1#frag"));
    }

    @Test
    void longNamesAreCutKeepingTheExtension() {
        String name = FileNames.sanitize("é".repeat(300) + ".tar");
        assertTrue(name.getBytes(StandardCharsets.UTF_8).length <= FileNames.MAX_NAME_BYTES,
                name);
        assertTrue(name.endsWith(".tar"), name);
    }

    @Test
    void sanitisedNamesAlwaysStayInsideTheDirectory() {
        String[] hostile = {"../../etc/passwd", "%2e%2e%2f", "a%2Fb", "..", ".", "", "/abs",
            "C:\\x", "a/../../b", "\u0000", "....//....//x"};
        for (String h : hostile) {
            String escaped = h.replace("\\", "%5C").replace("\u0000", "%00");
            String name = FileNames.fromUrl(URI.create("http://h/" + escaped));
            assertFalse(name.isEmpty(), h);
            assertFalse(name.contains("/") || name.contains("\\"), h + " -> " + name);
            assertFalse(name.equals(".") || name.equals("..") || name.startsWith("."),
                    h + " -> " + name);
            assertEquals(dir.toAbsolutePath().normalize(),
                    FileNames.resolveInside(dir, name).getParent(), h);
        }
    }

    @Test
    void uniqueNameSkipsExistingFilesAndNamesTakenInThisRun() throws IOException {
        Files.writeString(dir.resolve("a.txt"), "x");
        Files.writeString(dir.resolve("a.txt.1"), "x");
        Set<Path> taken = new HashSet<>();
        taken.add(FileNames.resolveInside(dir, "a.txt.2"));

        assertEquals(FileNames.resolveInside(dir, "a.txt.3"),
                FileNames.uniqueName(dir, "a.txt", taken));
        assertEquals(FileNames.resolveInside(dir, "b.txt"),
                FileNames.uniqueName(dir, "b.txt", taken));
    }

    @Test
    void uniqueNameGivesUpWhenEverySuffixIsUsed() {
        Set<Path> taken = new HashSet<>();
        taken.add(FileNames.resolveInside(dir, "z"));
        for (int i = 1; i <= FileNames.MAX_SUFFIX; i++) {
            taken.add(FileNames.resolveInside(dir, "z." + i));
        }
        assertNull(FileNames.uniqueName(dir, "z", taken));
    }

    // ---- what the library copy adds ----

    @Test
    void resolveInsideNeverFollowsATraversal() {
        Path base = dir.toAbsolutePath().normalize();
        assertEquals(base.resolve("x"), FileNames.resolveInside(dir, "../x"));
        assertEquals(base.resolve("etc_passwd"),
                FileNames.resolveInside(dir, "../../etc/passwd"));
        assertEquals(base.resolve("boot.ini"), FileNames.resolveInside(dir, "..\\..\\boot.ini"));
        assertEquals(base.resolve("etc_passwd"), FileNames.resolveInside(dir, "/etc/passwd"));
        assertEquals(base.resolve("a_b"), FileNames.resolveInside(dir, "a/b"));
        assertEquals(base.resolve("x"), FileNames.resolveInside(dir.resolve("sub/.."), "x"),
                "the directory is normalised too");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "...", "/", "\\", " ", "../", "..\\..", "./."})
    void resolveInsideRefusesNamesThatLeaveNothing(String name) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FileNames.resolveInside(dir, name));
        assertTrue(e.getMessage().contains(FileNames.quote(name)), e.getMessage());
    }

    @Test
    void errorMessagesEscapeHostileNames() {
        String quoted = FileNames.quote("..\u001b[2J\u202e/\"..");
        assertEquals("\"..\\u001b[2J\\u202e/\\\"..\"", quoted);
        assertTrue(FileNames.quote("y".repeat(1000)).length() < 120);
        assertEquals("null", FileNames.quote(null));
    }

    @Test
    void percentEncodedTraversalIsDecodedOnceAndFlattened() {
        // %2e%2e%2f arrives already decoded from Content-Disposition filename*; a literal one in
        // a plain filename is never decoded and stays a harmless name.
        assertEquals("", FileNames.sanitize("../"));
        assertEquals("%2e%2e%2f", FileNames.sanitize("%2e%2e%2f"));
        assertEquals(FileNames.INDEX, name("http://h/a/%2e%2e%2f"));
    }

    @Test
    void nulBytesNeverReachTheFileSystem() {
        assertEquals("passwd_.txt", FileNames.sanitize("passwd\u0000.txt"));
        assertEquals(dir.toAbsolutePath().normalize().resolve("x_.jpg"),
                FileNames.resolveInside(dir, "x\u0000.jpg"));
    }

    @Test
    void veryLongNamesAreCappedInUtf8Bytes() {
        String ascii = FileNames.sanitize("a".repeat(10_000) + ".iso");
        assertEquals(FileNames.MAX_NAME_BYTES, ascii.getBytes(StandardCharsets.UTF_8).length);
        assertTrue(ascii.endsWith(".iso"));
        String emoji = FileNames.sanitize("\ud83d\ude00".repeat(100));
        assertTrue(emoji.getBytes(StandardCharsets.UTF_8).length <= FileNames.MAX_NAME_BYTES);
        assertEquals(0, emoji.length() % 2, "never splits a surrogate pair");
        String noExtension = FileNames.sanitize("b".repeat(300) + ".a-very-long-extension-x");
        assertEquals(FileNames.MAX_NAME_BYTES,
                noExtension.getBytes(StandardCharsets.UTF_8).length);
        assertEquals("c".repeat(199), FileNames.sanitize("c".repeat(199) + " " + "d".repeat(50)),
                "a cut never leaves a trailing space");
    }

    @Test
    void namesOfOnlyDotsLeaveNothing() {
        assertEquals("", FileNames.sanitize(".".repeat(500)));
        assertEquals("", FileNames.sanitize(". . ."));
        assertEquals(FileNames.INDEX, name("http://h/" + ".".repeat(10)));
    }

    @Test
    void windowsDeviceNamesAreMadeSafe() {
        assertEquals("_CON", FileNames.sanitize("CON"));
        assertEquals("_CON.txt", FileNames.sanitize("CON.txt"));
        assertEquals("_con.txt", FileNames.sanitize("con.txt"));
        assertEquals("_NUL.tar.gz", FileNames.sanitize("NUL.tar.gz"));
        assertEquals("_Aux", FileNames.sanitize("Aux"));
        assertEquals("_COM1", FileNames.sanitize("COM1"));
        assertEquals("_lpt9.log", FileNames.sanitize("lpt9.log"));
        assertEquals("_COM\u00b9", FileNames.sanitize("COM\u00b9"));
        assertEquals("_conout$", FileNames.sanitize("conout$"));
        assertEquals("_CON .txt", FileNames.sanitize("CON .txt"));
        assertEquals("_prn", FileNames.sanitize("/prn"));
        assertEquals("dir_prn", FileNames.sanitize("dir/prn"), "only a whole name is a device");
        assertEquals("CONSOLE.txt", FileNames.sanitize("CONSOLE.txt"));
        assertEquals("COM10", FileNames.sanitize("COM10"));
        assertEquals("my_CON.txt", FileNames.sanitize("my/CON.txt"));
        assertEquals("_CON.txt", name("http://h/CON.txt"));
    }

    @Test
    void windowsForbiddenCharactersBecomeUnderscores() {
        assertEquals("file_stream", FileNames.sanitize("file:stream"));
        assertEquals("what_.html", FileNames.sanitize("what?.html"));
        assertEquals("a_b_c_d_e_f", FileNames.sanitize("a<b>c|d\"e*f"));
        assertEquals("C__x", FileNames.sanitize("C:\\x"));
    }

    @Test
    void bidirectionalOverridesCannotDisguiseAnExtension() {
        assertEquals("evil_txt.exe", FileNames.sanitize("evil\u202etxt.exe"));
        assertEquals("a_b", FileNames.sanitize("a\u2066b"));
    }

    @Test
    void unpairedSurrogatesBecomeUnderscores() {
        assertEquals("_broken", FileNames.sanitize("\ud800broken"));
    }

    @Test
    void sanitizeIsIdempotentAndAlwaysSafe() {
        Path base = dir.toAbsolutePath().normalize();
        for (String h : HOSTILE) {
            String once = FileNames.sanitize(h);
            assertEquals(once, FileNames.sanitize(once), h);
            if (once.isEmpty()) {
                continue;
            }
            assertFalse(once.matches(".*[/\\\\<>:\"|?*\\p{Cntrl}].*"), h + " -> " + once);
            assertFalse(once.startsWith(".") || once.endsWith(".") || once.endsWith(" "), once);
            assertTrue(once.getBytes(StandardCharsets.UTF_8).length <= FileNames.MAX_NAME_BYTES);
            assertEquals(base, FileNames.resolveInside(dir, h).getParent(), h);
        }
    }

    @Test
    void uniqueNameCountsADanglingSymlinkAsTaken() throws IOException {
        try {
            Files.createSymbolicLink(dir.resolve("link"), dir.resolve("missing"));
        } catch (UnsupportedOperationException | IOException e) {
            return; // no symbolic links on this file system
        }
        assertEquals(dir.toAbsolutePath().normalize().resolve("link.1"),
                FileNames.uniqueName(dir, "link"));
    }

    @Test
    void uniqueNameSanitisesItsInput() throws IOException {
        Files.writeString(dir.resolve("etc_passwd"), "x");
        assertEquals(dir.toAbsolutePath().normalize().resolve("etc_passwd.1"),
                FileNames.uniqueName(dir, "../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> FileNames.uniqueName(dir, ".."));
    }

    private static String name(String url) {
        return FileNames.fromUrl(URI.create(url));
    }
}
