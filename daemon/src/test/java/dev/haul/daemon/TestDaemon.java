package dev.haul.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A daemon on 127.0.0.1 and a free port, with its data and download directories in a temp dir. */
final class TestDaemon implements AutoCloseable {
    static final String TOKEN = "test-token-0123456789abcdef";

    final Path root;
    final Path data;
    final Path downloads;
    final Daemon daemon;
    final Http http;

    TestDaemon(Path root) throws IOException {
        this(root, Daemon.Settings.defaults());
    }

    TestDaemon(Path root, Daemon.Settings base) throws IOException {
        this.root = root;
        this.data = root.resolve("data");
        this.downloads = root.resolve("Downloads");
        Files.createDirectories(downloads);
        this.daemon = Daemon.start(base.dataDir(data).downloadDir(downloads)
                .listen("127.0.0.1", 0).token(TOKEN).keepAlive(Duration.ofMillis(300)));
        this.http = new Http(daemon.url(), TOKEN);
    }

    Http anonymous() {
        return new Http(daemon.url(), null);
    }

    EventStream events(String lastEventId) throws IOException, InterruptedException {
        return new EventStream(daemon.url().resolve("/api/v1/events"), TOKEN, lastEventId);
    }

    @Override
    public void close() {
        daemon.close();
    }
}
