package dev.haul;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What a successful download produced.
 *
 * @param uri        the requested URI
 * @param finalUri   the URI that served the body, after redirects
 * @param statusCode the status of the final response (200, or 206 when resumed)
 * @param size       the size of the complete body in bytes
 * @param body       the body for {@link Destination#memory()}, else {@code null}
 * @param file       the file for {@link Destination#file(java.nio.file.Path)}, else {@code null}
 * @param sha256     the SHA-256 of the body as lower-case hex, when it was computed, else null
 * @param attempts   how many attempts it took (1 without retries)
 * @param resumedFrom the offset the last attempt resumed from, 0 when it started at the beginning
 * @param elapsed    wall time from start to completion
 */
public record DownloadResult(URI uri, URI finalUri, int statusCode, long size, byte[] body, Path file,
                             String sha256, int attempts, long resumedFrom, Duration elapsed) {

    /** The body of a memory download. */
    public Optional<byte[]> bytes() {
        return Optional.ofNullable(body);
    }
}
