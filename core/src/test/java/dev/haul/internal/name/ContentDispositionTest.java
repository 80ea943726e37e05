package dev.haul.internal.name;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 6266 / RFC 8187 parsing, and hostile names taken all the way to a path. */
@Timeout(10)
class ContentDispositionTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "attachment; filename=\"report.pdf\"                         | report.pdf",
        "attachment; filename=report.pdf                             | report.pdf",
        "inline; filename=\"a.txt\"                                  | a.txt",
        "form-data; name=x; filename=\"up.bin\"                      | up.bin",
        "x-unknown-type; filename=u.txt                              | u.txt",
        "ATTACHMENT; FILENAME=\"Caps.TXT\"                           | Caps.TXT",
        "attachment;filename=tight.txt                               | tight.txt",
        "attachment; filename = \"spaced.txt\" ; size=3              | spaced.txt",
        "attachment; filename=my file.txt; size=3                    | my file.txt",
        "attachment; filename=  padded name.txt  ;                   | padded name.txt",
        "attachment; filename=\"semi;colon.txt\"                     | semi;colon.txt",
        "attachment; filename=\"esc\\\"aped.txt\"                    | esc\"aped.txt",
        "attachment; filename=\"back\\\\slash.txt\"                  | back\\slash.txt",
        "attachment; filename=\"unterminated.txt                     | unterminated.txt",
        "attachment; filename=\"q.txt\"garbage; size=1               | q.txt",
        "attachment; filename=%41.txt                                | %41.txt",
        "filename=no-type.txt                                        | no-type.txt",
        "attachment; foo; filename=after-bare-word.txt               | after-bare-word.txt",
        "attachment; filename=first.txt; filename=second.txt         | first.txt",
        "attachment; filename*=UTF-8''na%C3%AFve%20file.txt          | naïve file.txt",
        "attachment; filename*=utf-8'en'%E2%82%AC%20rates.txt        | € rates.txt",
        "attachment; filename*=ISO-8859-1''caf%E9.txt                | café.txt",
        "attachment; FILENAME*=UTF-8''upper.txt                      | upper.txt",
        "attachment; filename=\"plain.txt\"; filename*=UTF-8''ext.txt | ext.txt",
        "attachment; filename*=UTF-8''ext.txt; filename=\"plain.txt\" | ext.txt",
        "attachment; filename*=UTF-8''one.txt; filename*=UTF-8''two  | one.txt",
    })
    void suggestsTheRightName(String header, String expected) {
        assertEquals(expected, ContentDisposition.fileName(header));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "attachment; filename*=Shift_JIS''x.txt; filename=fallback.txt      | fallback.txt",
        "attachment; filename*=KOI8-R''%C1.txt; filename=fallback.txt       | fallback.txt",
        "attachment; filename*=UTF-8''bad%ZZ.txt; filename=fallback.txt     | fallback.txt",
        "attachment; filename*=UTF-8''cut%4; filename=fallback.txt          | fallback.txt",
        "attachment; filename*=UTF-8''%FF%FE.txt; filename=fallback.txt     | fallback.txt",
        "attachment; filename*=UTF-8''%C3.txt; filename=fallback.txt        | fallback.txt",
        "attachment; filename*=no-quotes-at-all; filename=fallback.txt      | fallback.txt",
        "attachment; filename*=UTF-8'only-one; filename=fallback.txt        | fallback.txt",
        "attachment; filename*=\"UTF-8''quoted.txt\"; filename=fallback.txt | fallback.txt",
        "attachment; filename*=UTF-8''raw\u00e9.txt; filename=fallback.txt  | fallback.txt",
        "attachment; filename*=UTF-8''; filename=fallback.txt               | fallback.txt",
        "attachment; filename*=''x.txt; filename=fallback.txt               | fallback.txt",
    })
    void anUnusableExtendedNameFallsBackToThePlainOne(String header, String expected) {
        assertEquals(expected, ContentDisposition.fileName(header));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"attachment", "inline", "attachment;", "attachment; size=12",
        "attachment; filename=", "attachment; filename=\"\"", "attachment; filename=  ;",
        "attachment; filename*=Shift_JIS''x.txt", ";;;", "=", "\"", "attachment; =x",
        "attachment; filename*=UTF-8''%"})
    void noUsableNameIsNull(String header) {
        assertNull(ContentDisposition.fileName(header));
    }

    @Test
    void rawUtf8InAPlainNameIsReadAsUtf8() {
        String latin1View = new String("attachment; filename=\"naïve.txt\""
                .getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertEquals("naïve.txt", ContentDisposition.fileName(latin1View));
        assertEquals("caf\u00e9.txt",
                ContentDisposition.fileName("attachment; filename=caf\u00e9.txt"),
                "a lone ISO-8859-1 byte is not UTF-8 and stays as it is");
        assertEquals("日本.txt", ContentDisposition.fileName("attachment; filename=日本.txt"));
    }

    @Test
    void aBadFirstExtendedNameIsNotReplacedByALaterOne() {
        assertEquals("plain.txt", ContentDisposition.fileName(
                "attachment; filename*=EBCDIC''x; filename*=UTF-8''later.txt; filename=plain.txt"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "attachment; filename=\"../../etc/passwd\"               | ../../etc/passwd  | etc_passwd",
        "attachment; filename=\"..\\\\..\\\\boot.ini\"           | ..\\..\\boot.ini   | boot.ini",
        "attachment; filename=\"..\\..\\boot.ini\"               | ....boot.ini      | boot.ini",
        "attachment; filename=/etc/passwd                        | /etc/passwd       | etc_passwd",
        "attachment; filename*=UTF-8''%2e%2e%2fetc%2fpasswd      | ../etc/passwd     | etc_passwd",
        "attachment; filename*=UTF-8''%2e%2e%2fx%00.sh           | ../x\u0000.sh     | x_.sh",
        "attachment; filename=\"%2e%2e%2f\"                      | %2e%2e%2f         | %2e%2e%2f",
        "attachment; filename=CON.txt                            | CON.txt           | _CON.txt",
        "attachment; filename*=UTF-8''NUL                        | NUL               | _NUL",
        "attachment; filename=\"dir/file.txt\"                | dir/file.txt      | dir_file.txt",
        "attachment; filename=\".bashrc\"                        | .bashrc           | bashrc",
    })
    void hostileNamesAreParsedVerbatimThenMadeSafe(String header, String parsed, String safe) {
        String name = ContentDisposition.fileName(header);
        assertEquals(parsed, name);
        Path p = FileNames.resolveInside(dir, name);
        assertEquals(dir.toAbsolutePath().normalize(), p.getParent());
        assertEquals(safe, p.getFileName().toString());
    }

    @Test
    void namesOfOnlyDotsAreParsedButRefusedAsFileNames() {
        assertEquals("....", ContentDisposition.fileName("attachment; filename=\"....\""));
        assertEquals("", FileNames.sanitize(ContentDisposition.fileName(
                "attachment; filename*=UTF-8''%2e%2e")));
    }

    @Test
    void nulBytesSurviveParsingAndAreRemovedBySanitising() {
        String name = ContentDisposition.fileName("attachment; filename=\"a\u0000b.txt\"");
        assertEquals("a\u0000b.txt", name);
        assertEquals("a_b.txt", FileNames.sanitize(name));
    }

    @Test
    void veryLongNamesAreParsedAndCappedBySanitising() {
        String longName = "n".repeat(100_000) + ".bin";
        String name = ContentDisposition.fileName("attachment; filename=\"" + longName + "\"");
        assertEquals(longName, name);
        String safe = FileNames.sanitize(name);
        assertEquals(FileNames.MAX_NAME_BYTES, safe.getBytes(StandardCharsets.UTF_8).length);
        assertEquals(true, safe.endsWith(".bin"));
    }

    @Test
    void garbageNeverThrows() {
        Random random = new Random(6266);
        String alphabet = "aF=;\"\\'%* \t\u0000\u00e9\u20ac/.fnilemUT8-";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder(random.nextBoolean() ? "attachment; " : "");
            int length = random.nextInt(40);
            for (int j = 0; j < length; j++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            if (random.nextBoolean()) {
                s.append(random.nextBoolean() ? "filename*=UTF-8''%" : "filename=\"");
            }
            String name = ContentDisposition.fileName(s.toString());
            if (name != null) {
                FileNames.sanitize(name);
            }
        }
    }
}
