package dev.haul.cli;

import dev.haul.Destination;
import dev.haul.Download;
import dev.haul.DownloadRequest;
import dev.haul.DownloadResult;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** One URL of a run: where it goes, and once it ran, how it ended. */
final class Job {
    /** The URL as the user typed it; shown only {@link Urls#redact(String) redacted}. */
    final String input;
    /** The parsed URL, or null when {@link #early} says why there is none. */
    final URI uri;
    /** The short name in progress lines: the file name, or the URL's last segment for stdout. */
    final String label;
    /** Where the file ends up, or null for stdout. */
    final Path target;
    /** How the target is shown to the user: as typed for -o, relative to -d for derived names. */
    final String shown;
    /** The request, or null when the job failed before it could start. */
    final DownloadRequest.Builder request;
    /** Where the bytes go, or null when the job failed before it could start. */
    final Destination<?> destination;
    /** A failure found before starting (bad URL, no free name), else null. */
    final Failure early;
    /** For -J: the directory the server's suggested name goes into; else null. */
    final Path namedIn;
    /**
     * For a job that needs no request (the file is already there): the line that says so;
     * else null.
     */
    final String skipped;
    /** Where a finished file is recorded ({@code -d}), or null. */
    DirectoryState state;
    /** The URL's hash in {@link #state}. */
    String urlHash;

    volatile Download<?> download;
    volatile long startNanos;
    final List<String> retries = new CopyOnWriteArrayList<>();
    /** A failover to another source was just reported: the retry event after it is not. */
    volatile boolean sourceChanged;
    volatile DownloadResult<?> result;
    volatile Failure failure;
    final CompletableFuture<Void> finished = new CompletableFuture<>();

    private Job(String input, URI uri, String label, Path target, String shown,
                DownloadRequest.Builder request, Destination<?> destination, Failure early,
                Path namedIn, String skipped) {
        this.input = input;
        this.uri = uri;
        this.label = label;
        this.target = target;
        this.shown = shown;
        this.request = request;
        this.destination = destination;
        this.early = early;
        this.namedIn = namedIn;
        this.skipped = skipped;
    }

    static Job of(String input, URI uri, String label, Path target, String shown,
                  DownloadRequest.Builder request, Destination<?> destination) {
        return new Job(input, uri, label, target, shown, request, destination, null, null, null);
    }

    /** A job whose file the server names (-J), in {@code dir}. */
    static Job named(String input, URI uri, String label, Path dir,
            DownloadRequest.Builder request) {
        return new Job(input, uri, label, null, null, request, dev.haul.Destination.directory(dir),
                null, dir, null);
    }

    static Job failed(String input, URI uri, Failure early) {
        return new Job(input, uri, input, null, null, null, null, early, null, null);
    }

    /** A job whose file is already there: no request; {@code note} says why. */
    static Job skipped(String input, URI uri, String label, Path target, String shown,
            String note) {
        return new Job(input, uri, label, target, shown, null, null, null, null, note);
    }

    /** Records the finished file in {@code state} under {@code urlHash}. */
    Job recordIn(DirectoryState state, String urlHash) {
        this.state = state;
        this.urlHash = urlHash;
        return this;
    }

    /** The URL for messages: redacted. */
    String url() {
        return uri != null ? Urls.redact(uri) : Urls.redact(input);
    }

    boolean succeeded() {
        return result != null;
    }

    /** Why a job failed: the exit code it maps to and one line for stderr. */
    record Failure(ExitCode code, String url, String reason) {
        String line() {
            return "haul: error: " + url + ": " + reason;
        }
    }
}
