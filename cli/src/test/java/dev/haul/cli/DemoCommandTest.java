package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(20)
    void demoDownloadsResumesVerifiesAndSaysWhere() throws IOException {
        CliRun run = CliRun.of("demo", "-d", dir.toString(), "--speed", "20");

        assertEquals(0, run.code(), run::toString);
        for (String name : new String[] {DemoCommand.WELCOME, DemoCommand.PHOTOS, DemoCommand.VIDEO, DemoCommand.ISO}) {
            assertTrue(Files.exists(dir.resolve(name)), name + "\n" + run);
            assertFalse(Files.exists(dir.resolve(name + ".part")), name);
        }
        assertEquals(16 * DemoCommand.MIB, Files.size(dir.resolve(DemoCommand.VIDEO)));
        assertTrue(run.stderr().contains("retry " + DemoCommand.VIDEO), run::toString);
        assertTrue(run.stderr().contains("Range: bytes="), run::toString);
        assertTrue(run.stderr().contains("SHA-256 verified"), run::toString);   // the saved line
        assertTrue(run.stderr().contains("-, 206)"), run::toString);
        assertTrue(run.stderr().contains("The files are in " + dir), run::toString);
        assertEquals(0, run.stdout().length, "the demo writes to stderr only");
    }
}
