package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lines of {@code DIR/.haul-state}: what is written reads back, and nothing else is taken for an entry. */
@Timeout(5)
class DirectoryStateTest {

    private static final String HASH = "a".repeat(64);

    @Test
    void anEntryReadsBackWithAwkwardCharactersEscaped() {
        DirectoryState.Entry e = new DirectoryState.Entry("100% new name", HASH, 12, "W/\"x\ty%\"",
                Instant.parse("2025-07-01T00:00:00Z"), Instant.parse("2026-11-27T10:00:00.123Z"));
        String line = DirectoryState.format(e);
        assertEquals(1, line.lines().count());
        assertEquals(6, line.strip().split("\t", -1).length);
        assertEquals(e, DirectoryState.parseLine(line.substring(0, line.length() - 1)));
        DirectoryState.Entry bare = new DirectoryState.Entry("f", HASH, 0, "", null, Instant.EPOCH);
        assertEquals(bare, DirectoryState.parseLine(DirectoryState.format(bare).strip()));
    }

    @Test
    void linesThatAreNotEntriesAreIgnored() {
        String ok = "\t" + HASH + "\t1\t\t\t2026-01-01T00:00:00Z";
        String[] bad = {
            "", "x", "f" + ok + "\textra", "f\t" + HASH.substring(1) + "\t1\t\t\t2026-01-01T00:00:00Z",
            "f\t" + HASH + "\t-1\t\t\t2026-01-01T00:00:00Z", "f\t" + HASH + "\t1\t\tyesterday\t2026-01-01T00:00:00Z",
            "f\t" + HASH + "\t1\t\t\t", "../etc/passwd" + ok, "a/b" + ok, "a\\b" + ok, ".." + ok, "." + ok,
            DirectoryState.FILE_NAME + ok, "bad%zz" + ok, "trail%2" + ok, "\u0001" + ok,
        };
        for (String line : bad) {
            assertNull(DirectoryState.parseLine(line), line);
        }
        assertEquals("f", DirectoryState.parseLine("f" + ok).name());
    }
}
