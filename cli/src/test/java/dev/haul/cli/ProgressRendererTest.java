package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.Destination;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The three output modes, on real downloads that take long enough to be drawn a few times. */
class ProgressRendererTest {

    @TempDir
    Path dir;

    LoopbackServer server;

    @BeforeEach
    void start() throws IOException {
        server = new LoopbackServer();
        for (String name : new String[] {"/a.bin", "/b.bin"}) {
            server.route(name, (ex, hit) -> {
                ex.sendResponseHeaders(200, 200_000);
                for (int i = 0; i < 20; i++) {
                    ex.getResponseBody().write(new byte[10_000]);
                    ex.getResponseBody().flush();
                    sleep(15);
                }
            });
        }
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    @Timeout(10)
    void barsRedrawInPlaceWithPercentSpeedEtaAndATotalLine() {
        String err = run(ProgressRenderer.Mode.BARS);

        assertTrue(err.contains("\033["), "ANSI cursor movement: " + err);
        assertTrue(err.matches("(?s).*a\\.bin +\\[[#-]+\\] +\\d+%.*"), err);
        assertTrue(err.contains("/ 195 KiB"), err);
        assertTrue(err.contains("/s"), err);
        assertTrue(err.contains("ETA"), err);
        assertTrue(err.contains("total: "), err);
        assertTrue(err.contains("saved "), err);
        for (String line : err.split("[\r\n]")) {   // each redraw starts with \r, then moves up
            String visible = line.replaceAll("\033\\[[0-9]*[AJK]", "");
            assertTrue(visible.length() < 80, "bars fit the width: " + visible);
        }
    }

    @Test
    @Timeout(10)
    void plainLinesWhenStderrIsNotATerminal() {
        String err = run(ProgressRenderer.Mode.LINES);

        assertFalse(err.contains("\033"), "no escape codes in a log: " + err);
        assertTrue(err.matches("(?s).*a\\.bin: [0-9.]+ KiB / 195 KiB \\(\\d+%\\), .*/s  ETA.*"), err);
        assertTrue(err.contains("total: "), err);
    }

    @Test
    @Timeout(10)
    void quietPrintsNothingButErrors() {
        String err = run(ProgressRenderer.Mode.QUIET);

        assertEquals("", err);
    }

    private String run(ProgressRenderer.Mode mode) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressRenderer out = new ProgressRenderer(mode, err, 80, Duration.ofMillis(40));
        List<Job> jobs = new ArrayList<>();
        for (String name : new String[] {"a.bin", "b.bin"}) {
            Path file = dir.resolve(name);
            DownloadRequest.Builder request = DownloadRequest.builder(server.url("/" + name));
            jobs.add(Job.of(server.url("/" + name), request.build().uri(), name, file, name, request,
                    Destination.file(file)));
        }
        Batch batch = new Batch(jobs, 2, out);
        try (DownloadManager manager = DownloadManager.builder().listener(batch).build()) {
            assertEquals(ExitCode.OK, batch.run(manager));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
