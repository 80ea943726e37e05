package dev.haul;

import dev.haul.internal.Redaction;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * Another URL for the same file as a request's own ({@link DownloadRequest.Builder#mirror}).
 *
 * <p>Haul uses mirrors in two ways. <b>Failover</b>, always: when the URL in use fails (it refuses
 * connections, answers 404 or 5xx, stalls, or serves a body that does not check out), the next
 * mirror continues at once, fastest first, and a mirror that failed waits before it is tried
 * again, so a dead mirror costs seconds, not the download. <b>Several at once</b>, only when they
 * are proven to serve the same bytes: a split download ({@link Connections}) fetches ranges from
 * a mirror alongside the first URL when the mirror names the same total length and either the
 * request has an {@linkplain DownloadRequest.Builder#expectedSha256 expected SHA-256} (checked once
 * the body is whole: a mismatch makes the download start over from one URL alone) or the mirror
 * sends the same strong {@code ETag}. Every range from a mirror is checked as every range is (an
 * exact {@code 206}); a mirror that fails the proof is used for failover only.
 *
 * <p>Credentials stay home: the request's {@code Authorization} and {@code Cookie} headers, its
 * other custom headers and its URL's user info go to a mirror of another origin (scheme, host and
 * port) only when the caller says so with {@link #withCredentials()}. A mirror's own user info is
 * sent to that mirror only. Immutable.
 *
 * <pre>{@code
 * DownloadRequest request = DownloadRequest.builder("https://a.example/iso")
 *         .mirror("https://b.example/pub/iso")
 *         .mirror(Mirror.of("https://c.example/iso").withCredentials())
 *         .expectedSha256(sha)
 *         .connections(Connections.adaptive(8))
 *         .build();
 * }</pre>
 */
public final class Mirror {
    private final URI uri;
    private final boolean credentials;

    private Mirror(URI uri, boolean credentials) {
        this.uri = uri;
        this.credentials = credentials;
    }

    /**
     * A mirror at {@code url}; throws {@link IllegalArgumentException} if it is not http(s) with a
     * host.
     *
     * @param url the mirror's URL
     * @return the mirror, without the request's credentials
     */
    public static Mirror of(String url) {
        Objects.requireNonNull(url, "url");
        try {
            return of(new URI(url.trim()));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid mirror URL: " + e.getMessage(), e);
        }
    }

    /**
     * A mirror at {@code uri}; throws {@link IllegalArgumentException} if it is not http(s) with a
     * host.
     *
     * @param uri the mirror's URL
     * @return the mirror, without the request's credentials
     */
    public static Mirror of(URI uri) {
        Objects.requireNonNull(uri, "uri");
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("a mirror must be http or https: "
                    + Redaction.redact(uri));
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("a mirror needs a host: " + Redaction.redact(uri));
        }
        return new Mirror(uri, false);
    }

    /**
     * This mirror, sent the request's credentials and custom headers even when it is of another
     * origin than the request's URL: for a mirror the caller trusts with them.
     *
     * @return a mirror that gets the request's credentials
     */
    public Mirror withCredentials() {
        return new Mirror(uri, true);
    }

    /**
     * The mirror's URL.
     *
     * @return the URL, as given
     */
    public URI uri() {
        return uri;
    }

    /**
     * Whether the request's credentials go to this mirror whatever its origin.
     *
     * @return true after {@link #withCredentials()}
     */
    public boolean sendsCredentials() {
        return credentials;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mirror m && m.uri.equals(uri) && m.credentials == credentials;
    }

    @Override
    public int hashCode() {
        return uri.hashCode() * 31 + (credentials ? 1 : 0);
    }

    @Override
    public String toString() {
        return "Mirror{" + Redaction.redact(uri) + (credentials ? ", with credentials" : "") + "}";
    }
}
