package dev.haul.cli;

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
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The sanitiser of names from URLs (fault catalogue S-a) and the free-name rule (item 40). */
@Timeout(5)
class FileNamesTest {

    @TempDir
    Path dir;

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
        assertEquals("100%", FileNames.sanitize(FileNames.percentDecode("100%")), "a bare % stays");
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
        assertTrue(name.getBytes(StandardCharsets.UTF_8).length <= FileNames.MAX_NAME_BYTES, name);
        assertTrue(name.endsWith(".tar"), name);
    }

    @Test
    void sanitisedNamesAlwaysStayInsideTheDirectory() {
        String[] hostile = {"../../etc/passwd", "%2e%2e%2f", "a%2Fb", "..", ".", "", "/abs", "C:\\x", "a/../../b",
            "\u0000", "....//....//x"};
        for (String h : hostile) {
            String name = FileNames.fromUrl(URI.create("http://h/" + h.replace("\\", "%5C").replace("\u0000", "%00")));
            assertFalse(name.isEmpty(), h);
            assertFalse(name.contains("/") || name.contains("\\"), h + " -> " + name);
            assertFalse(name.equals(".") || name.equals("..") || name.startsWith("."), h + " -> " + name);
            assertEquals(dir.toAbsolutePath().normalize(), FileNames.inside(dir, name).getParent(), h);
        }
    }

    @Test
    void insideRejectsAnythingButAChild() {
        assertThrows(IllegalArgumentException.class, () -> FileNames.inside(dir, "../x"));
        assertThrows(IllegalArgumentException.class, () -> FileNames.inside(dir, ".."));
        assertThrows(IllegalArgumentException.class, () -> FileNames.inside(dir, "a/b"));
    }

    @Test
    void freePathSkipsExistingFilesAndNamesTakenInThisRun() throws IOException {
        Files.writeString(dir.resolve("a.txt"), "x");
        Files.writeString(dir.resolve("a.txt.1"), "x");
        Set<Path> taken = new HashSet<>();
        taken.add(FileNames.inside(dir, "a.txt.2"));

        assertEquals(FileNames.inside(dir, "a.txt.3"), FileNames.freePath(dir, "a.txt", taken));
        assertEquals(FileNames.inside(dir, "b.txt"), FileNames.freePath(dir, "b.txt", taken));
    }

    @Test
    void freePathGivesUpWhenEverySuffixIsUsed() {
        Set<Path> taken = new HashSet<>();
        taken.add(FileNames.inside(dir, "z"));
        for (int i = 1; i <= FileNames.MAX_SUFFIX; i++) {
            taken.add(FileNames.inside(dir, "z." + i));
        }
        assertNull(FileNames.freePath(dir, "z", taken));
    }

    private static String name(String url) {
        return FileNames.fromUrl(URI.create(url));
    }
}
