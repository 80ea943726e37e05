package dev.haul.internal.transfer;

import dev.haul.internal.resume.Validators;

/**
 * What one attempt asks for, so its response can be checked against it.
 *
 * @param requestedFrom the first byte asked for with {@code Range}, or -1 when no byte range was
 *                      sent (a whole body, or the caller's own unparsed range)
 * @param rangeStart    the first byte of the caller's range (0 for a whole body)
 * @param rangeEnd      the last byte of the caller's range, or -1 for "to the end"
 * @param opaqueRange   the caller's Range header when it is not one we can continue, else null
 * @param held          body bytes already held
 * @param validators    what identifies the representation held; sent as If-Range
 * @param conditional   whether the caller's If-None-Match / If-Modified-Since are sent: only
 *                      while nothing is held (a held part already proves the body changed)
 */
record Plan(long requestedFrom, long rangeStart, long rangeEnd, String opaqueRange, long held,
            Validators validators, boolean conditional) {

    /** The plan for a download holding {@code held} bytes of the caller's range. */
    static Plan of(long rangeStart, long rangeEnd, String opaqueRange, long held,
                   Validators validators, boolean conditional) {
        return of(rangeStart, rangeEnd, opaqueRange, held, validators, conditional, false);
    }

    /**
     * As above; with {@code openRange}, a body from byte 0 is asked for as {@code bytes=0-}, so a
     * {@code 206} can prove at once that the server serves ranges (a download that may be split).
     */
    static Plan of(long rangeStart, long rangeEnd, String opaqueRange, long held,
                   Validators validators, boolean conditional, boolean openRange) {
        long from = rangeStart + held;
        boolean ranged = opaqueRange == null && (from > 0 || rangeEnd >= 0 || openRange);
        return new Plan(ranged ? from : -1, rangeStart, rangeEnd, opaqueRange, held, validators,
                conditional && held == 0);
    }

    /** The Range header to send, or null. */
    String rangeHeader() {
        if (opaqueRange != null) {
            return opaqueRange;
        }
        if (requestedFrom < 0) {
            return null;
        }
        return "bytes=" + requestedFrom + "-" + (rangeEnd >= 0 ? rangeEnd : "");
    }

    /** The If-Range header to send, or null: only when continuing bytes already held. */
    String ifRangeHeader() {
        return requestedFrom >= 0 && held > 0 ? validators.ifRange() : null;
    }
}
