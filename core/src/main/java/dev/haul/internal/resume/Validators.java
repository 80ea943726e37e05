package dev.haul.internal.resume;

/**
 * What identifies the representation being downloaded, so that a later request can prove it
 * continues the same bytes: the strong ETag or Last-Modified of the first response, and its total
 * length.
 *
 * @param etag         a strong ETag, or null (weak ETags are never used: RFC 9110 §13.1.5)
 * @param lastModified the Last-Modified value, or null
 * @param total        the representation's full length, or -1 when unknown
 */
public record Validators(String etag, String lastModified, long total) {

    /** Nothing known yet. */
    public static final Validators NONE = new Validators(null, null, -1);

    /** Validators from response headers; a weak or malformed ETag is dropped. */
    public static Validators of(String etag, String lastModified, long total) {
        if (etag != null
                && (etag.startsWith("W/") || etag.startsWith("w/") || !etag.startsWith("\""))) {
            etag = null;
        }
        return new Validators(etag, lastModified, total);
    }

    /** The If-Range value: the strong ETag, else the date, else null. */
    public String ifRange() {
        return etag != null ? etag : lastModified;
    }

    /** Whether a resumed response can be checked against something. */
    public boolean canVerify() {
        return ifRange() != null || total >= 0;
    }

    /** The same validators with another total. */
    public Validators withTotal(long newTotal) {
        return new Validators(etag, lastModified, newTotal);
    }

    /**
     * Whether {@code offered} (from a later response) names the same representation: the same
     * strong ETag when both have one, else the same Last-Modified when both have one.
     */
    public boolean sameAs(Validators offered) {
        if (etag != null && offered.etag != null) {
            return etag.equals(offered.etag);
        }
        if (lastModified != null && offered.lastModified != null) {
            return lastModified.equals(offered.lastModified);
        }
        return false;
    }
}
