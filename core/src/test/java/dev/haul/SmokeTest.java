package dev.haul;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SmokeTest {
    @TempDir Path dir;

    @Test
    void memoryFileAndStream() throws Exception {
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) body[i] = (byte) (i % 251);
        try (TestServer s = new TestServer(); DownloadManager m = DownloadManager.builder().build()) {
            s.serve("/a", body, false).serve("/c", body, true);
            DownloadResult r = m.download(DownloadRequest.builder(s.url("/a")).build()).result().get(10, TimeUnit.SECONDS);
            assertArrayEquals(body, r.body());
            Path f = dir.resolve("out.bin");
            m.download(DownloadRequest.builder(s.url("/c")).destination(Destination.file(f)).build()).result().get(10, TimeUnit.SECONDS);
            assertArrayEquals(body, Files.readAllBytes(f));
            java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
            m.download(DownloadRequest.builder(s.url("/a")).destination(Destination.stream(bo::write)).build()).result().get(10, TimeUnit.SECONDS);
            assertArrayEquals(body, bo.toByteArray());
            assertEquals(1, s.connections());
        }
    }
}
