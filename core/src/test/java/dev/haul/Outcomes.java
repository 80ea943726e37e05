package dev.haul;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.haul.internal.sink.FileOps;
import dev.haul.testing.FaultyFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * What a fault test looks at afterwards: the caller's outcome (a result or a typed failure) and
 * the exact directory listing, plus the fast retry settings every fault test uses.
 */
final class Outcomes {
    private Outcomes() {
    }

    /** The longest a single download may take in these tests before the test gives up. */
    static final long WAIT_SECONDS = 10;

    /** Retries with millisecond backoffs, so a retried fault costs milliseconds, not seconds. */
    static RetryPolicy fastRetries(int n) {
        return RetryPolicy.ofRetries(n).withBackoff(Duration.ofMillis(5), Duration.ofMillis(20));
    }

    /** A manager with fast retries (2), and 2 s response and stall timeouts. */
    static DownloadManager.Builder fastManager() {
        return DownloadManager.builder().retryPolicy(fastRetries(2))
                .responseTimeout(Duration.ofSeconds(2)).stallTimeout(Duration.ofSeconds(2));
    }

    static <T> DownloadResult<T> success(Download<T> d) throws Exception {
        return d.result().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Waits for the download to fail and returns its typed failure. */
    static DownloadException failure(Download<?> d) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> d.result().get(WAIT_SECONDS, TimeUnit.SECONDS), "the download should fail");
        return assertInstanceOf(DownloadException.class, e.getCause(), () -> "untyped failure: " + e.getCause());
    }

    /** The names in {@code dir}, sorted. */
    static List<String> listing(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Adapts the test kit's faulty files to the engine's file-operations seam. */
    static FileOps fileOps(FaultyFiles faults) {
        return new FileOps() {
            @Override
            public FileChannel open(Path path, Set<? extends OpenOption> options,
                                    java.nio.file.attribute.FileAttribute<?>... attributes) throws IOException {
                return faults.open(path, options, attributes);
            }

            @Override
            public void move(Path source, Path target, CopyOption... options) throws IOException {
                faults.move(source, target, options);
            }
        };
    }
}
