package dev.haul;

import java.time.Duration;
import java.util.Optional;

/**
 * A snapshot of a running download: bytes done, the total when known and where it came from,
 * speed and estimated time left.
 *
 * @param bytesDone      body bytes received so far, counting a resumed prefix
 * @param totalBytes     the expected total, or -1 when unknown
 * @param totalSource    where {@code totalBytes} came from
 * @param bytesPerSecond recent speed, averaged over a few seconds; 0 before the first sample
 * @param attempt        1 for the first attempt, 2 for the first retry, …
 */
public record Progress(long bytesDone, long totalBytes, TotalSource totalSource,
                       double bytesPerSecond, int attempt) {

    /** Where the total came from. */
    public enum TotalSource {
        /** The caller's {@link DownloadRequest.Builder#totalSizeHint(long) hint} or expected size. */
        CALLER,
        /** The response's Content-Length. */
        CONTENT_LENGTH,
        /** The total in the response's Content-Range (a resumed download). */
        CONTENT_RANGE,
        /** Not known yet, or the server did not say. */
        UNKNOWN
    }

    /** Whether the total is known. */
    public boolean totalKnown() {
        return totalBytes >= 0;
    }

    /** The estimated time left, when the total and the speed are known. */
    public Optional<Duration> eta() {
        if (!totalKnown() || bytesPerSecond <= 0) {
            return Optional.empty();
        }
        double seconds = Math.max(0, totalBytes - bytesDone) / bytesPerSecond;
        return Optional.of(Duration.ofMillis((long) (seconds * 1000)));
    }

    /** The share done as 0.0–1.0, or -1 when the total is unknown. */
    public double fraction() {
        if (!totalKnown()) {
            return -1;
        }
        return totalBytes == 0 ? 1.0 : Math.min(1.0, (double) bytesDone / totalBytes);
    }
}
