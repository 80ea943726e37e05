package dev.haul;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The three destinations a fault test runs a download against, and the one way the fault tests
 * start a download and wait for its {@link Outcome}.
 */
enum DownloadMode {
    MEMORY, FILE, STREAM;

    /** The longest a single fault-test download may take before the test gives up on it. */
    static final long WAIT_SECONDS = 20;

    /** Starts {@code request} towards this destination ({@code file} for FILE) and waits for it. */
    Outcome run(DownloadManager manager, DownloadRequest.Builder request, Path file) throws InterruptedException {
        return await(start(manager, request, file), file);
    }

    /** Starts the download without waiting; pair with {@link #await}. */
    Started start(DownloadManager manager, DownloadRequest.Builder request, Path file) {
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        Destination<?> destination = switch (this) {
            case MEMORY -> Destination.memory();
            case FILE -> Destination.file(file);
            case STREAM -> Destination.stream(chunk -> {
                synchronized (streamed) {
                    streamed.write(chunk);
                }
            });
        };
        long t0 = System.nanoTime();
        var download = manager.download(request.build(), destination);
        return new Started(this, download, streamed, t0);
    }

    /** A download started by {@link #start}. */
    record Started(DownloadMode mode, Download<?> download, ByteArrayOutputStream streamed, long startNanos) {
    }

    static Outcome await(Started started, Path file) throws InterruptedException {
        DownloadResult<?> result = null;
        DownloadException failure = null;
        try {
            result = started.download().result().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof DownloadException de)) {
                throw new AssertionError("a download must fail with a DownloadException, not " + e.getCause(), e.getCause());
            }
            failure = de;
        } catch (TimeoutException e) {
            started.download().cancel();
            throw new AssertionError("the download neither finished nor failed in " + WAIT_SECONDS + " s");
        }
        long elapsed = System.nanoTime() - started.startNanos();
        byte[] streamed;
        synchronized (started.streamed()) {
            streamed = started.streamed().toByteArray();
        }
        return new Outcome(started.mode(), result, failure, streamed, file, elapsed);
    }
}
