package dev.haul;

import static org.junit.jupiter.api.Assertions.*;

import dev.haul.testing.LeakCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The README's snippets, verbatim between the markers, compiled and run against a local server. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class ReadmeExamplesTest {
    @TempDir Path dir;

    @Test
    void facadeAndInstanceSnippetsWork() throws Exception {
        byte[] bytes = Bodies.of(50_000);
        try (TestServer server = new TestServer()) {
            server.serveRanges("/app.mpk", bytes, "\"v1\"");
            String url = server.url("/app.mpk");
            Path downloads = Files.createDirectory(dir.resolve("downloads"));
            String token = "secret";
            String sha256 = Bodies.sha256(bytes);
            Path outfile = downloads.resolve("app.mpk");

            // README: facade
            byte[] data = DownloadManager.downloadUrl(url).join();          // null on failure
            boolean ok = DownloadManager.downloadUrl(url, outfile,
                    DownloadOptions.builder()
                            .progressCallback(percent -> System.out.println(percent + "%"))
                            .headers(Map.of("Authorization", "Bearer " + token))
                            .build()).join();                              // true or false
            // README: end

            assertArrayEquals(bytes, data);
            assertTrue(ok);

            // README: instance
            try (DownloadManager manager = DownloadManager.builder()
                    .maxConnectionsPerHost(4)
                    .stallTimeout(Duration.ofSeconds(10))
                    .build()) {
                DownloadRequest request = DownloadRequest.builder(url)
                        .expectedSha256(sha256)
                        .retryPolicy(RetryPolicy.ofRetries(5))
                        .build();
                Download<Path> download = manager.download(request, Destination.file(downloads.resolve("big.iso")));
                Progress p = download.progress();       // bytes, total, speed, ETA: any time
                try {
                    DownloadResult<Path> result = download.result().join();
                    System.out.println(result.size() + " bytes in " + result.body());
                } catch (java.util.concurrent.CompletionException e) {
                    DownloadException failure = (DownloadException) e.getCause();
                    System.out.println(failure.reason() + (failure.retryable() ? " (worth retrying)" : ""));
                }
            }
            // README: end

            assertArrayEquals(bytes, Files.readAllBytes(downloads.resolve("big.iso")));

            String mirrorUrl = server.url("/app.mpk");
            Signer signer = () -> java.net.URI.create(url);
            // README: fast
            try (DownloadManager manager = DownloadManager.builder().build()) {
                DownloadRequest request = DownloadRequest.builder(url)
                        .mirror(mirrorUrl)                            // failover; joins only once proven the same
                        .expectedSha256(sha256)
                        .connections(Connections.adaptive(8))         // split when the server proves it safe
                        .urlRefresher(expired -> signer.freshUrl())   // a signed URL that expires mid-download
                        .build();
                Path iso = manager.download(request, Destination.file(downloads.resolve("fast.iso")))
                        .result().join().body();
            }
            // README: end

            assertArrayEquals(bytes, Files.readAllBytes(downloads.resolve("fast.iso")));
            DownloadManager.closeSession().get(5, TimeUnit.SECONDS);
        }
    }

    /** The snippets above are the README's, line for line: a README change must change them too. */
    @Test
    void theSnippetsAreTheReadmes() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        java.util.List<String> source = Files.readAllLines(
                Path.of("src", "test", "java", "dev", "haul", "ReadmeExamplesTest.java"));
        int snippets = 0;
        for (int i = 0; i < source.size(); i++) {
            if (!source.get(i).strip().startsWith("// README: ") || source.get(i).contains("README: end")) {
                continue;
            }
            StringBuilder snippet = new StringBuilder();
            int indent = -1;
            for (int j = i + 1; !source.get(j).contains("// README: end"); j++) {
                String line = source.get(j);
                if (indent < 0) {
                    indent = line.length() - line.stripLeading().length();
                }
                snippet.append(line.length() >= indent ? line.substring(indent) : line.strip()).append('\n');
            }
            assertTrue(readme.contains(snippet.toString()), "README lacks this snippet:\n" + snippet);
            snippets++;
        }
        assertEquals(3, snippets);
    }

    /** Stands for whatever signs the caller's URLs. */
    interface Signer {
        java.net.URI freshUrl();
    }
}
