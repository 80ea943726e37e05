package dev.haul;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of a running download: bytes done, the total when known and where it came from,
 * speed, estimated time left, and how many connections are transferring. Immutable.
 */
public final class Progress {

    /** Where the total came from. */
    public enum TotalSource {
        /**
         * The caller's {@link DownloadRequest.Builder#totalSizeHint(long) hint} or expected size.
         */
        CALLER,
        /** The response's Content-Length. */
        CONTENT_LENGTH,
        /** The total in the response's Content-Range (a resumed download). */
        CONTENT_RANGE,
        /** Not known yet, or the server did not say. */
        UNKNOWN
    }

    private final long bytesDone;
    private final long totalBytes;
    private final TotalSource totalSource;
    private final double bytesPerSecond;
    private final int attempt;
    private final int connections;

    Progress(long bytesDone, long totalBytes, TotalSource totalSource, double bytesPerSecond,
             int attempt, int connections) {
        this.bytesDone = bytesDone;
        this.totalBytes = totalBytes;
        this.totalSource = totalSource;
        this.bytesPerSecond = bytesPerSecond;
        this.attempt = attempt;
        this.connections = connections;
    }

    /**
     * Body bytes received so far, counting a resumed prefix.
     *
     * @return body bytes received so far, counting a resumed prefix
     */
    public long bytesDone() {
        return bytesDone;
    }

    /**
     * The expected total, or -1 when unknown.
     *
     * @return the expected total, or -1 when unknown
     */
    public long totalBytes() {
        return totalBytes;
    }

    /**
     * Where {@link #totalBytes()} came from.
     *
     * @return where {@link #totalBytes()} came from
     */
    public TotalSource totalSource() {
        return totalSource;
    }

    /**
     * Recent speed, averaged over a few seconds; 0 before the first sample.
     *
     * @return recent speed, averaged over a few seconds; 0 before the first sample
     */
    public double bytesPerSecond() {
        return bytesPerSecond;
    }

    /**
     * 1 for the first attempt, 2 for the first retry, and so on.
     *
     * @return 1 for the first attempt, 2 for the first retry, and so on
     */
    public int attempt() {
        return attempt;
    }

    /**
     * Connections transferring body bytes now: 0 while none is, usually 1.
     *
     * @return connections transferring body bytes now: 0 while none is, usually 1
     */
    public int connections() {
        return connections;
    }

    /**
     * Whether the total is known.
     *
     * @return whether the total is known
     */
    public boolean totalKnown() {
        return totalBytes >= 0;
    }

    /**
     * The estimated time left, when the total and the speed are known.
     *
     * @return the estimated time left, when the total and the speed are known
     */
    public Optional<Duration> eta() {
        if (!totalKnown() || bytesPerSecond <= 0) {
            return Optional.empty();
        }
        double seconds = Math.max(0, totalBytes - bytesDone) / bytesPerSecond;
        return Optional.of(Duration.ofMillis((long) (seconds * 1000)));
    }

    /**
     * The share done as 0.0–1.0, or -1 when the total is unknown.
     *
     * @return the share done as 0.0–1.0, or -1 when the total is unknown
     */
    public double fraction() {
        if (!totalKnown()) {
            return -1;
        }
        return totalBytes == 0 ? 1.0 : Math.min(1.0, (double) bytesDone / totalBytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Progress p && p.bytesDone == bytesDone && p.totalBytes == totalBytes
                && p.totalSource == totalSource
                && Double.compare(p.bytesPerSecond, bytesPerSecond) == 0 && p.attempt == attempt
                && p.connections == connections;
    }

    @Override
    public int hashCode() {
        return Objects.hash(bytesDone, totalBytes, totalSource, bytesPerSecond, attempt,
                connections);
    }

    @Override
    public String toString() {
        return "Progress{" + bytesDone + "/" + (totalKnown() ? totalBytes : "?") + " ("
                + totalSource + "), " + (long) bytesPerSecond + " B/s, attempt " + attempt + ", "
                + connections + " connection(s)}";
    }
}
