package dev.haul;

import dev.haul.testing.FaultProxy;
import dev.haul.testing.FaultServer;
import dev.haul.testing.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every fault test class shares: a {@link FaultServer} on loopback, a temporary directory
 * whose {@code out.bin} is the file destination, managers with millisecond timeouts that are
 * closed after each test, and the helpers that read back what the server was asked.
 *
 * <p>Each scenario gets a fresh server and directory, also inside a test factory
 * ({@link #everyMode}, {@link #fresh}): dynamic tests share the factory's leak check, so running
 * a scenario in three modes costs one wait for the client's threads to end, not three.
 */
abstract class LoopbackFaultTest {
    @TempDir Path dir;
    Path out;
    FaultServer server;
    FaultProxy proxy;
    final List<DownloadManager> managers = new ArrayList<>();

    @BeforeEach
    void openServer() throws Exception {
        open(dir);
    }

    @AfterEach
    void closeServer() {
        closeAll();
    }

    /** A fresh server and an empty directory {@code where} for the destination {@code out.bin}. */
    void open(Path where) throws Exception {
        Files.createDirectories(where);
        server = FaultServer.start();
        out = where.resolve("out.bin");
    }

    void closeAll() {
        managers.forEach(DownloadManager::close);
        managers.clear();
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** The scenario once per destination, each with its own server and directory. */
    Stream<DynamicTest> everyMode(ModeScenario scenario) {
        return Stream.of(DownloadMode.values()).map(mode -> fresh(mode.name(), () -> scenario.run(mode)));
    }

    /** The scenario in these destinations only. */
    Stream<DynamicTest> modes(ModeScenario scenario, DownloadMode... modes) {
        return Stream.of(modes).map(mode -> fresh(mode.name(), () -> scenario.run(mode)));
    }

    /** A dynamic test with its own server and directory. */
    DynamicTest fresh(String name, Executable body) {
        return DynamicTest.dynamicTest(name, () -> {
            closeAll();
            open(dir.resolve(name.replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(Locale.ROOT)));
            try {
                body.execute();
            } finally {
                closeAll();
            }
        });
    }

    /** One scenario body, run per destination. */
    @FunctionalInterface
    interface ModeScenario {
        void run(DownloadMode mode) throws Throwable;
    }

    /** {@code n} retries with millisecond backoff. */
    static RetryPolicy retries(int n) {
        return RetryPolicy.ofRetries(n).withBackoff(Duration.ofMillis(5), Duration.ofMillis(20));
    }

    DownloadManager manager(RetryPolicy policy) {
        return manager(policy, Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    DownloadManager manager(RetryPolicy policy, Duration responseTimeout, Duration stallTimeout) {
        return manager(policy, responseTimeout, stallTimeout, null);
    }

    /** A manager on {@code time} (a {@link dev.haul.testing.FakeTime}), or the system clock when null. */
    DownloadManager manager(RetryPolicy policy, Duration responseTimeout, Duration stallTimeout,
                            dev.haul.TimeSource time) {
        DownloadManager.Builder b = DownloadManager.builder()
                .retryPolicy(policy)
                .responseTimeout(responseTimeout)
                .stallTimeout(stallTimeout)
                .connectTimeout(Duration.ofSeconds(2));
        if (time != null) {
            b.timeSource(time);
        }
        DownloadManager m = b.build();
        managers.add(m);
        return m;
    }

    /** Waits (real time, bounded) until the download holds {@code bytes}: the server's bytes arrived. */
    static void awaitBytes(Download<?> d, long bytes) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (d.progress().bytesDone() < bytes && !d.result().isDone() && System.nanoTime() < until) {
            Thread.sleep(2);
        }
        org.junit.jupiter.api.Assertions.assertEquals(bytes, d.progress().bytesDone(), "bytes received");
    }

    DownloadRequest.Builder get(String path) {
        return DownloadRequest.builder(server.url(path));
    }

    /** The Range and If-Range of each request for this path, as "Range|If-Range" ("-" for absent). */
    List<String> rangeHeaders(String path) {
        List<String> seen = new ArrayList<>();
        for (RecordedRequest r : server.requests(path)) {
            seen.add(value(r.header("Range")) + "|" + value(r.header("If-Range")));
        }
        return seen;
    }

    /** Waits up to a second for the destination's directory to hold exactly {@code names}. */
    void awaitListing(List<String> names) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (!Outcome.listing(out.getParent()).equals(names) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
    }

    private static String value(String v) {
        return v == null ? "-" : v;
    }
}
