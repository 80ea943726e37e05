package dev.haul;

import static dev.haul.Outcomes.fastManager;
import static dev.haul.Outcomes.listing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.DownloadException.Reason;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Destination#directory}: the name comes from Content-Disposition (RFC 6266 and 8187) or
 * the final URL, is made safe, and never leaves the directory; the file is then written as any
 * file destination is.
 */
@ExtendWith(LeakCheck.class)
@Timeout(30)
class DirectoryDestinationTest {
    @TempDir
    Path root;
    private Path dir;
    private FaultServer server;
    private DownloadManager manager;
    private final byte[] body = TestBodies.random(5_000, 11);

    @BeforeEach
    void start() throws Exception {
        dir = Files.createDirectory(root.resolve("downloads"));
        server = FaultServer.start();
        manager = fastManager().build();
    }

    @AfterEach
    void stop() {
        manager.close();
        server.close();
    }

    private Path download(String path) throws Exception {
        Download<Path> d = manager.download(DownloadRequest.builder(server.url(path)).build(),
                Destination.directory(dir));
        Path saved = d.result().get(10, TimeUnit.SECONDS).body();
        assertEquals(dir, saved.getParent(), "inside the directory: " + saved);
        assertArrayEquals(body, Files.readAllBytes(saved));
        assertEquals(List.of(), listing(root).stream().filter(n -> !n.equals("downloads")).toList(),
                "nothing outside the directory");
        return saved;
    }

    private void serveWith(String path, String contentDisposition) {
        server.always(path, Responses.ok(body).withHeader("Content-Disposition", contentDisposition));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "attachment; filename=\"report 2026.pdf\"                         | report 2026.pdf",
        "attachment; filename=plain.txt                                   | plain.txt",
        "attachment; filename*=UTF-8''na%C3%AFve%20file.txt               | naïve file.txt",
        "attachment; filename=\"fallback.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt | résumé.txt",
        "attachment; filename*=utf-8''%E2%82%AC%20rates.csv; filename=\"EUR rates.csv\" | € rates.csv",
        "inline; filename=\"../../etc/passwd\"                            | etc_passwd",
        "attachment; filename=\"..\\\\..\\\\boot.ini\"                     | boot.ini",
        "attachment; filename=\"/etc/shadow\"                             | etc_shadow",
        "attachment; filename*=UTF-8''..%2F..%2Fescape.sh                 | escape.sh",
        "attachment; filename=\".bashrc\"                                 | bashrc",
        "attachment; filename=\"CON.txt\"                                 | _CON.txt",
    })
    void theNameComesFromContentDispositionAndStaysInside(String header, String expected) throws Exception {
        serveWith("/get", header.strip());
        assertEquals(expected.strip(), download("/get").getFileName().toString());
        assertEquals(List.of(expected.strip()), listing(dir));
    }

    @Test
    void withoutContentDispositionTheFinalUrlNamesTheFile() throws Exception {
        server.always("/files/archive.tar.gz", Responses.ok(body));
        assertEquals("archive.tar.gz", download("/files/archive.tar.gz").getFileName().toString());
    }

    @Test
    void theLastUrlAfterRedirectsNamesTheFile() throws Exception {
        server.always("/latest", Responses.redirect(302, "/releases/app-1.2.3.zip"));
        server.always("/releases/app-1.2.3.zip", Responses.ok(body));
        assertEquals("app-1.2.3.zip", download("/latest").getFileName().toString());
    }

    @Test
    void aUrlEndingInASlashIsSavedAsIndexHtml() throws Exception {
        server.always("/docs/", Responses.ok(body));
        assertEquals("index.html", download("/docs/").getFileName().toString());
    }

    @Test
    void anEmptyOrUnusableSuggestionFallsBackToTheUrl() throws Exception {
        serveWith("/data.bin", "attachment; filename=\"...\"");
        assertEquals("data.bin", download("/data.bin").getFileName().toString());
    }

    @Test
    void anExistingFileOfThatNameIsReplacedOnlyByACompleteBody() throws Exception {
        Files.write(dir.resolve("report.pdf"), new byte[] {1, 2, 3});
        serveWith("/r", "attachment; filename=report.pdf");
        assertEquals("report.pdf", download("/r").getFileName().toString());
    }

    @Test
    void aPartLeftByAnEarlierRunForTheSameNameIsContinued() throws Exception {
        byte[] big = TestBodies.random(3 * 1024 * 1024, 5); // past the size that keeps a sidecar
        server.handle("/big", ServeBytes.of(big).cutOnRequest(1, 2 * 1024 * 1024, ServeBytes.Cut.FIN));
        DownloadRequest request = DownloadRequest.builder(server.url("/big"))
                .retryPolicy(RetryPolicy.NONE).build();
        DownloadException cut = Outcomes.failure(manager.download(request, Destination.directory(dir)));
        assertEquals(Reason.NETWORK, cut.reason());
        assertEquals(List.of("big.part", "big.part.meta"), listing(dir));
        Path saved = manager.download(request, Destination.directory(dir)).result().get(10, TimeUnit.SECONDS).body();
        assertArrayEquals(big, Files.readAllBytes(saved));
        assertEquals(List.of("big"), listing(dir));
        List<String> ranges = server.requests("/big").stream().map(r -> r.header("Range")).toList();
        assertNull(ranges.get(1), "the second run asks once without knowing the name ...");
        assertTrue(ranges.get(2).startsWith("bytes=2"), "... then continues the part: " + ranges);
    }

    @Test
    void aMissingDirectoryIsLocalIo() throws Exception {
        DownloadException e = Outcomes.failure(manager.download(DownloadRequest.builder(server.url("/x")).build(),
                Destination.directory(root.resolve("missing"))));
        assertEquals(Reason.LOCAL_IO, e.reason());
        assertEquals(0, server.requests("/x").size(), "nothing is asked before the directory is known good");
    }
}
