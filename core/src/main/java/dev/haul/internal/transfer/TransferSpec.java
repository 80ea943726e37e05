package dev.haul.internal.transfer;

import dev.haul.ChunkCallback;
import dev.haul.Mirror;
import dev.haul.RetryPolicy;
import dev.haul.UrlRefresher;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One download as the engine sees it: the public request with the manager's defaults filled in,
 * and where its bytes go. Built by {@code dev.haul.DownloadManager}.
 *
 * @param uri            the URL, possibly with userinfo (sent as Basic credentials, never as
 *                       part of the URL)
 * @param headers        the caller's headers, in order, without Range (which is {@code range})
 * @param range          the caller's Range header, or null
 * @param kind           where the bytes go
 * @param path           the file or directory of a FILE or DIRECTORY destination, else null
 * @param callback       the chunk callback of a STREAM destination, else null
 * @param totalSizeHint  a size for progress only, or -1
 * @param expectedSize   the size the body must have, or -1
 * @param expectedSha256 lower-case hex, or null
 * @param deadline       the time the whole download may take, or null
 * @param wantsPercent   whether a percent callback listens
 * @param maxBytesPerSecond this download's bandwidth limit; 0 for none
 * @param ifNoneMatch    an ETag: download only if the representation changed (304
 *                       otherwise), or null
 * @param ifModifiedSince an HTTP date: download only if modified since (304 otherwise), or null
 * @param remoteTime     set a file's modification time from the response's Last-Modified
 * @param connections    how many connections the body may use
 * @param splitThreshold the smallest body split over several connections
 * @param mirrors        other URLs of the same file, possibly empty
 * @param urlRefresher   gives a fresh URL when the URL expires, or null
 */
public record TransferSpec(URI uri, Map<String, String> headers, String range, Kind kind, Path path,
                           ChunkCallback callback, long maxMemoryBytes, boolean continueExisting,
                           long totalSizeHint, long expectedSize, String expectedSha256,
                           RetryPolicy retryPolicy, Duration stallTimeout, Duration responseTimeout,
                           Duration deadline, int maxRedirects, boolean keepCredentialsOnRedirect,
                           boolean wantsPercent, long maxBytesPerSecond, String ifNoneMatch,
                           String ifModifiedSince, boolean remoteTime,
                           dev.haul.Connections connections, long splitThreshold,
                           List<Mirror> mirrors, UrlRefresher urlRefresher) {

    /** Whether the body may be split over several connections: not a caller's own range. */
    public boolean splits() {
        return connections.max() > 1 && range == null;
    }

    /** Whether the request is conditional: a 304 then means "unchanged", a success. */
    public boolean conditional() {
        return ifNoneMatch != null || ifModifiedSince != null;
    }

    /** Where the bytes of a download go. */
    public enum Kind { MEMORY, FILE, DIRECTORY, STREAM }
}
