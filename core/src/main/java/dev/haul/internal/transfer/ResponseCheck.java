package dev.haul.internal.transfer;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.Progress.TotalSource;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.resume.ContentRange;
import dev.haul.internal.resume.Validators;
import dev.haul.internal.retry.RetryAfter;
import dev.haul.internal.retry.RetryRules;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * Decides, from the response head alone and before a body byte is stored, what a response means
 * for the download: a redirect, an error, a body to store (continuing what is held, or starting
 * over), or a refusal. It decides and returns; the transfer acts.
 *
 * <p>A {@code 206} continues the bytes held only when its {@code Content-Range} starts exactly
 * where we asked, ends where we asked, and names the same total as before; anything else is a
 * protocol failure, never a splice. A {@code 200} to a range request means the server ignored the
 * range or the representation changed (our {@code If-Range} failed): the body starts over.
 */
final class ResponseCheck {
    private ResponseCheck() {
    }

    /** What the download expects of a response besides the plan. */
    record Limits(boolean canStartOver, long expectedSize, long maxMemoryBytes, String url) {
    }

    /** What a response means. */
    sealed interface Verdict {
    }

    /** A redirect to {@code location} (null when its Location is not a URI). */
    record Redirect(URI location) implements Verdict {
    }

    /** An error status: the attempt failed, and the server may have said when to come back. */
    record HttpError(DownloadException failure, Duration retryAfter) implements Verdict {
    }

    /** A 304 to a conditional request: what the caller has is current. */
    record NotModified() implements Verdict {
    }

    /** A 416 proving the held bytes are the whole body already. */
    record AlreadyComplete() implements Verdict {
    }

    /** A 416 that does not: the range cannot be served, start over. */
    record RangeRefused() implements Verdict {
    }

    /** A response whose body must not be stored. */
    record Refuse(DownloadException failure) implements Verdict {
    }

    /**
     * A body to store.
     *
     * @param bodyBytes       the body's length, or -1 when unknown
     * @param startOver       discard what is held first (a whole body answered a range request)
     * @param wholeBody       the caller's range no longer applies: this is the whole representation
     * @param validators      what identifies the representation from now on
     * @param newRepresentation whether the validators changed (the sidecar must say so)
     * @param total           the complete body's length, or -1
     * @param totalSource     where {@code total} came from
     */
    record Accept(long bodyBytes, boolean startOver, boolean wholeBody, Validators validators,
                  boolean newRepresentation, long total, TotalSource totalSource)
            implements Verdict {
    }

    static Verdict check(ResponseHead head, Plan plan, Limits limits, URI base, long nowMillis) {
        int status = head.status();
        String url = limits.url();
        if (Redirects.STATUSES.contains(status) && head.header("Location") != null) {
            return new Redirect(Redirects.resolve(base, head.header("Location")));
        }
        if (status == 304 && plan.conditional()) {
            return new NotModified();
        }
        if (status == 416 && plan.requestedFrom() > 0) {
            ContentRange cr = ContentRange.parse(head.header("Content-Range"));
            long held = plan.held();
            Validators v = plan.validators();
            // "bytes */N" with N what we hold: the body is complete already. (Had we sent If-Range
            // with a stale validator, the server would have answered 200 instead.)
            if (cr != null && cr.unsatisfied() && plan.rangeEnd() < 0 && plan.rangeStart() == 0
                    && cr.total() == held && (v.total() < 0 || v.total() == held)) {
                return new AlreadyComplete();
            }
            return new RangeRefused();
        }
        if (status < 200 || status > 299) {
            return new HttpError(httpFailure(status, url),
                    RetryAfter.parse(head.header("Retry-After"), nowMillis));
        }
        long contentLength = head.contentLength();
        String contentType =
                head.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        Validators offered = Validators.of(head.header("ETag"), head.header("Last-Modified"), -1);
        Accept accept;
        if (status == 206 && plan.opaqueRange() == null) {
            if (plan.requestedFrom() < 0) {
                return refuse(url, "206 Partial Content to a request without Range");
            }
            if (contentType.startsWith("multipart/")) {
                return refuse(url, "multipart 206 to a single-range request");
            }
            ContentRange cr = ContentRange.parse(head.header("Content-Range"));
            if (cr == null || cr.unsatisfied()) {
                return refuse(url, "206 without a valid Content-Range");
            }
            if (cr.first() != plan.requestedFrom()) {
                return refuse(url, "asked for bytes from " + plan.requestedFrom()
                        + ", server sent from " + cr.first());
            }
            if (plan.rangeEnd() >= 0 ? cr.last() > plan.rangeEnd()
                    : (cr.total() >= 0 && cr.last() != cr.total() - 1)) {
                return refuse(url, "Content-Range " + cr.first() + "-" + cr.last() + "/"
                        + cr.total() + " does not end where asked");
            }
            Validators held = plan.validators();
            if (held.total() >= 0 && cr.total() >= 0 && cr.total() != held.total()) {
                return refuse(url, "resource length changed from " + held.total() + " to "
                        + cr.total());
            }
            if (contentLength >= 0 && contentLength != cr.length()) {
                return refuse(url, "Content-Length " + contentLength
                        + " disagrees with Content-Range");
            }
            // Nothing identified the bytes held (a first response, or a join on the total alone
            // that a SHA-256 will decide): from now on this response's validators do.
            boolean first = held.ifRange() == null;
            Validators next = first
                    ? Validators.of(offered.etag(), offered.lastModified(), cr.total())
                    : held.withTotal(cr.total());
            accept = new Accept(cr.length(), false, false, next, first, plan.held() + cr.length(),
                    TotalSource.CONTENT_RANGE);
        } else {
            boolean wasRanged =
                    plan.requestedFrom() > 0 || plan.rangeEnd() >= 0 || plan.opaqueRange() != null;
            boolean startOver = wasRanged && plan.held() > 0;
            if (startOver && !limits.canStartOver()) {
                return new Refuse(new DownloadException(Reason.CANNOT_RESUME, url,
                        "server sent the whole body (" + status + ") instead of resuming at byte "
                        + plan.requestedFrom() + ", and delivered chunks cannot be taken back"));
            }
            long bodyBytes = status == 206 ? -1 : contentLength;
            accept = new Accept(bodyBytes, startOver, wasRanged,
                    Validators.of(offered.etag(), offered.lastModified(), contentLength), true,
                    contentLength, TotalSource.CONTENT_LENGTH);
        }
        long total = accept.bodyBytes() < 0 ? -1
                : (accept.startOver() || accept.wholeBody() ? 0 : plan.held()) + accept.bodyBytes();
        if (limits.maxMemoryBytes() >= 0 && total > limits.maxMemoryBytes()) {
            return new Refuse(new DownloadException(Reason.TOO_LARGE, url, "body of " + total
                    + " bytes exceeds the memory cap of " + limits.maxMemoryBytes()));
        }
        if (limits.expectedSize() >= 0 && total >= 0 && total != limits.expectedSize()) {
            return new Refuse(new DownloadException(Reason.INTEGRITY, url, "server announces "
                    + total + " bytes, expected " + limits.expectedSize()));
        }
        return accept;
    }

    static DownloadException httpFailure(int status, String url) {
        if (status >= 300 && status < 400) {
            // We send no conditional request, and a redirect needs a Location: either is a broken
            // server.
            return new DownloadException(Reason.PROTOCOL, url, status, status == 304
                    ? "unsolicited 304 Not Modified"
                    : "redirect status " + status + " without Location", null);
        }
        return new DownloadException(RetryRules.transientStatus(status) ? Reason.HTTP_TRANSIENT
                : Reason.HTTP_STATUS, url, status, "HTTP " + status, null);
    }

    private static Refuse refuse(String url, String message) {
        return new Refuse(new DownloadException(Reason.PROTOCOL, url, message));
    }
}
