package dev.haul.internal;

/**
 * What identifies the representation being downloaded, so that a later request can prove it
 * continues the same bytes: the strong ETag or Last-Modified of the first response, its total
 * length, and the range of it the caller asked for.
 *
 * @param etag         a strong ETag, or null (weak ETags are never used: RFC 9110 §13.1.5)
 * @param lastModified the Last-Modified value, or null
 * @param total        the representation's full length, or -1 when unknown
 */
record ResumeState(String etag, String lastModified, long total) {

    static final ResumeState NONE = new ResumeState(null, null, -1);

    static ResumeState of(String etag, String lastModified, long total) {
        if (etag != null && (etag.startsWith("W/") || etag.startsWith("w/") || !etag.startsWith("\""))) {
            etag = null;
        }
        return new ResumeState(etag, lastModified, total);
    }

    /** The If-Range value: the strong ETag, else the date, else null. */
    String ifRange() {
        return etag != null ? etag : lastModified;
    }

    /** Whether a resumed response can be checked against something. */
    boolean canVerify() {
        return ifRange() != null || total >= 0;
    }
}
