package dev.haul;

import static dev.haul.Outcomes.fastManager;
import static dev.haul.Outcomes.listing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.DownloadException.Reason;
import dev.haul.internal.sink.FileOps;
import dev.haul.testing.FakeTime;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.io.IOException;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * User code that throws, and the control surface of a download: the result future belongs to the
 * download, cancellation has one form, a cancel racing the commit agrees with the disk, and a
 * manager closing while downloads start completes every future.
 */
@ExtendWith(LeakCheck.class)
@Timeout(60)
class UserCodeAndControlTest {
    @TempDir
    Path dir;
    private FaultServer server;
    private final byte[] body = TestBodies.random(96 * 1024, 7);

    @BeforeEach
    void start() throws IOException {
        server = FaultServer.start();
        // 8 KiB every 10 ms: several progress events per download, and time to act mid-body.
        server.handle("/f", ServeBytes.of(body).throttle(8 * 1024, 10));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** The points where user code runs, and so where it may throw. */
    enum Point { QUEUED, STARTED, RESPONSE, FIRST_PROGRESS, MID_BODY_PROGRESS, FINAL_PROGRESS, RETRY,
        FIRST_PERCENT, HUNDRED_PERCENT, CHUNK, MANAGER_LISTENER }

    /** A user exception, so a test can check the very instance comes back as the cause. */
    static final class Boom extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Boom(Point at) {
            super("boom at " + at);
        }
    }

    @ParameterizedTest
    @EnumSource(Point.class)
    void userCodeThatThrowsAnywhereEndsTheDownloadWithCallbackFailedAndReleasesEverything(Point at)
            throws Exception {
        Boom boom = new Boom(at);
        CountDownLatch thrown = new CountDownLatch(1);
        Path out = dir.resolve("out.bin");
        server.handle("/retry", ServeBytes.of(body).cutOnRequest(1, 20_000, ServeBytes.Cut.FIN));
        DownloadListener throwing = new DownloadListener() {
            private void maybe(Point p) {
                if (p == at) {
                    thrown.countDown();
                    throw boom;
                }
            }

            @Override
            public void onQueued(Download<?> d) {
                maybe(Point.QUEUED);
            }

            @Override
            public void onStarted(Download<?> d) {
                maybe(Point.STARTED);
            }

            @Override
            public void onResponse(Download<?> d, ResponseInfo r) {
                maybe(Point.RESPONSE);
            }

            @Override
            public void onProgress(Download<?> d, Progress p) {
                if (p.bytesDone() == body.length) {
                    maybe(Point.FINAL_PROGRESS);
                } else if (p.bytesDone() > 0) {
                    maybe(Point.MID_BODY_PROGRESS);
                }
                maybe(Point.FIRST_PROGRESS);
            }

            @Override
            public void onRetry(Download<?> d, DownloadException c, int n, Duration delay, long from) {
                maybe(Point.RETRY);
            }
        };
        DownloadManager.Builder mb = fastManager().maxConcurrentDownloads(1).maxConnectionsPerHost(1);
        DownloadRequest.Builder rb = DownloadRequest.builder(server.url(at == Point.RETRY ? "/retry" : "/f"));
        if (at == Point.MANAGER_LISTENER) {
            mb.listener(new DownloadListener() {
                @Override
                public void onProgress(Download<?> d, Progress p) {
                    if (d.id() == 1) { // the first download only: the second must go through
                        thrown.countDown();
                        throw boom;
                    }
                }
            });
        } else {
            rb.listener(throwing);
        }
        if (at == Point.FIRST_PERCENT || at == Point.HUNDRED_PERCENT) {
            rb.progressCallback(pct -> {
                if (at == Point.FIRST_PERCENT || pct == 100) {
                    thrown.countDown();
                    throw boom;
                }
            });
        }
        Destination<?> destination = at == Point.CHUNK ? Destination.stream(chunk -> {
            thrown.countDown();
            throw boom;
        }) : Destination.file(out);
        try (DownloadManager m = mb.build()) {
            Download<?> d = m.download(rb.build(), destination);
            assertTrue(thrown.await(10, TimeUnit.SECONDS), "the user code ran");
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> d.result().get(1, TimeUnit.SECONDS), "completes within a second of the throw");
            DownloadException failure = assertInstanceOf(DownloadException.class, e.getCause());
            assertEquals(Reason.CALLBACK_FAILED, failure.reason(), failure.toString());
            assertSame(boom, failure.getCause(), "the user's exception is the cause");
            assertFalse(Files.exists(out), "the destination is untouched");

            // The host slot, the session and the file claim were released: the same download
            // succeeds on the same manager, which admits one download and one connection at a time.
            var again = m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.file(out));
            assertEquals(out, again.result().get(10, TimeUnit.SECONDS).body());
            assertArrayEquals(body, Files.readAllBytes(out));
        }
    }

    @Test
    void theResultFutureCannotBeCompletedFromOutside() throws Exception {
        try (DownloadManager m = fastManager().build()) {
            Download<byte[]> d = m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory());
            CompletableFuture<DownloadResult<byte[]>> f = d.result();
            assertThrows(UnsupportedOperationException.class, () -> f.complete(null));
            assertThrows(UnsupportedOperationException.class, () -> f.completeExceptionally(new IOException()));
            assertThrows(UnsupportedOperationException.class, () -> f.obtrudeValue(null));
            assertThrows(UnsupportedOperationException.class, () -> f.obtrudeException(new IOException()));
            assertThrows(UnsupportedOperationException.class, () -> f.completeAsync(() -> null));
            assertThrows(UnsupportedOperationException.class,
                    () -> f.completeOnTimeout(null, 1, TimeUnit.MILLISECONDS));
            // Dependent futures are the caller's own, and ordinary.
            CompletableFuture<Integer> size = f.thenApply(r -> r.body().length);
            assertFalse(f.isDone(), "nothing completed the download's future");
            assertArrayEquals(body, f.get(10, TimeUnit.SECONDS).body(), "the download went on");
            assertEquals(body.length, size.get(1, TimeUnit.SECONDS));
            CompletableFuture<String> mine = f.thenApply(r -> "x");
            mine.get(1, TimeUnit.SECONDS);
            assertFalse(mine.complete("y"), "a dependent is an ordinary future");
        }
    }

    /** How a caller stops a download. */
    enum Stop { DOWNLOAD_CANCEL, FUTURE_CANCEL, MANAGER_CLOSE }

    @ParameterizedTest
    @EnumSource(Stop.class)
    void cancellationHasOneFormWhoeverCancels(Stop how) throws Exception {
        Path out = dir.resolve("out.bin");
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch receiving = new CountDownLatch(1);
        DownloadManager m = fastManager().listener(new DownloadListener() {
            @Override
            public void onProgress(Download<?> d, Progress p) {
                receiving.countDown();
            }

            @Override
            public void onFailed(Download<?> d, Throwable failure) {
                events.add("failed " + failure);
            }

            @Override
            public void onCancelled(Download<?> d) {
                events.add("cancelled");
            }
        }).build();
        try {
            Download<Path> d = m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.file(out));
            assertTrue(receiving.await(10, TimeUnit.SECONDS));
            switch (how) {
                case DOWNLOAD_CANCEL -> assertTrue(d.cancel());
                case FUTURE_CANCEL -> assertTrue(d.result().cancel(true));
                case MANAGER_CLOSE -> m.close();
            }
            assertTrue(d.result().isCancelled());
            assertThrows(CancellationException.class, () -> d.result().get(1, TimeUnit.SECONDS));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (events.isEmpty() && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            assertEquals(List.of("cancelled"), events, "one terminal event, and it says cancelled");
            assertFalse(Files.exists(out));
        } finally {
            m.close();
        }
    }

    @Test
    void orTimeoutStopsTheDownloadOnTheManagersClock() throws Exception {
        FakeTime time = new FakeTime();
        server.handle("/slow", ServeBytes.of(body).throttle(1024, 50));
        // Timeouts far beyond 30 s, so that only the future's own timeout can end it.
        try (DownloadManager m = fastManager().timeSource(time).responseTimeout(Duration.ofMinutes(10))
                .stallTimeout(Duration.ofMinutes(10)).build()) {
            Download<byte[]> d = m.download(DownloadRequest.builder(server.url("/slow")).build(),
                    Destination.memory());
            d.result().orTimeout(30, TimeUnit.SECONDS);
            time.advance(Duration.ofSeconds(29));
            assertFalse(d.result().isDone(), "not yet: the manager's clock says 29 s");
            time.advance(Duration.ofSeconds(1));
            ExecutionException e = assertThrows(ExecutionException.class, () -> d.result().get(2, TimeUnit.SECONDS));
            assertInstanceOf(TimeoutException.class, e.getCause());
        }
    }

    @Test
    void aCancelWhileTheFileIsMovedIntoPlaceIsRefusedAndTheDownloadSucceeds() throws Exception {
        Path out = dir.resolve("out.bin");
        CountDownLatch moving = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        FileOps slowMove = new FileOps() {
            @Override
            public void move(Path source, Path target, CopyOption... options) throws IOException {
                moving.countDown();
                try {
                    letGo.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                FileOps.super.move(source, target, options);
            }
        };
        try (DownloadManager m = fastManager().fileOps(slowMove).build()) {
            Download<Path> d = m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.file(out));
            assertTrue(moving.await(10, TimeUnit.SECONDS));
            assertFalse(d.cancel(), "too late: the verified body is being moved into place");
            assertFalse(d.result().isCancelled());
            letGo.countDown();
            assertEquals(out, d.result().get(10, TimeUnit.SECONDS).body());
            assertArrayEquals(body, Files.readAllBytes(out), "the outcome and the disk agree");
        }
    }

    @Test
    void aCancelJustBeforeTheCommitWinsAndNothingIsMovedIntoPlace() throws Exception {
        Path out = dir.resolve("out.bin");
        CountDownLatch complete = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        DownloadRequest request = DownloadRequest.builder(server.url("/f")).listener(new DownloadListener() {
            @Override
            public void onProgress(Download<?> d, Progress p) {
                if (p.bytesDone() == body.length) { // the final event, before the commit
                    complete.countDown();
                    try {
                        cancelled.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }).build();
        try (DownloadManager m = fastManager().build()) {
            Download<Path> d = m.download(request, Destination.file(out));
            assertTrue(complete.await(10, TimeUnit.SECONDS));
            assertTrue(d.cancel(), "in time: nothing has been committed yet");
            cancelled.countDown();
            assertThrows(CancellationException.class, () -> d.result().get(5, TimeUnit.SECONDS));
        } // close() waits for the cancelled transfer to let go of its files
        assertFalse(Files.exists(out), "the outcome and the disk agree");
    }

    @Test
    @SuppressWarnings("try") // m.close() inside the try on purpose: the check needs the files let go
    void cancelsAtRandomMomentsAlwaysAgreeWithTheDisk() throws Exception {
        server.handle("/small", ServeBytes.of(TestBodies.random(20_000, 3)).throttle(2048, 2));
        byte[] small = TestBodies.random(20_000, 3);
        Random random = new Random(42);
        try (DownloadManager m = fastManager().maxConcurrentDownloads(8).build()) {
            List<Download<Path>> all = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                all.add(m.download(DownloadRequest.builder(server.url("/small")).build(),
                        Destination.file(dir.resolve("f" + i))));
            }
            for (Download<Path> d : all) {
                if (random.nextBoolean()) {
                    Thread.sleep(random.nextInt(3)); // a moment, not a wait for a condition
                    d.cancel();
                }
            }
            int cancelled = 0;
            for (int i = 0; i < all.size(); i++) {
                Download<Path> d = all.get(i);
                Path f = dir.resolve("f" + i);
                try {
                    d.result().get(10, TimeUnit.SECONDS);
                    assertArrayEquals(small, Files.readAllBytes(f), "a success has its whole file");
                } catch (CancellationException e) {
                    cancelled++;
                }
            }
            m.close(); // waits for the cancelled transfers to let go of their files
            for (int i = 0; i < all.size(); i++) {
                assertEquals(all.get(i).result().isCancelled(), !Files.exists(dir.resolve("f" + i)),
                        "#" + i + ": cancelled exactly when the file is absent");
            }
            assertTrue(cancelled > 0, "some downloads were cancelled in time");
        }
    }

    @Test
    void closeRacingNewDownloadsCompletesEveryFuture() throws Exception {
        ExecutorService starters = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 20; round++) {
                DownloadManager m = fastManager().maxConcurrentDownloads(3).build();
                List<Future<Download<byte[]>>> started = new ArrayList<>();
                CountDownLatch go = new CountDownLatch(1);
                for (int i = 0; i < 12; i++) {
                    started.add(starters.submit(() -> {
                        go.await();
                        return m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory());
                    }));
                }
                go.countDown();
                Thread.sleep(0, 200_000 * (round % 5)); // close at a different moment each round
                m.close();
                AtomicInteger refused = new AtomicInteger();
                for (Future<Download<byte[]>> s : started) {
                    Download<byte[]> d;
                    try {
                        d = s.get(5, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        assertInstanceOf(IllegalStateException.class, e.getCause(), "only a closed manager refuses");
                        refused.incrementAndGet();
                        continue;
                    }
                    try {
                        assertArrayEquals(body, d.result().get(5, TimeUnit.SECONDS).body());
                    } catch (CancellationException e) {
                        assertTrue(d.result().isCancelled());
                    }
                }
            }
        } finally {
            starters.shutdownNow();
        }
    }
}
