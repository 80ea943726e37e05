package dev.haul.internal.transfer;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.Mirror;
import dev.haul.UrlRefresher;
import dev.haul.internal.Redaction;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Where each source of one download sends its next request (source 0 is the request's URL, then
 * its mirrors), as a {@link Cursor} that redirects move on, and the refreshes of a URL that
 * expires. Read and moved by the transfer's own attempts and by every connection of a split body.
 *
 * <p>A URL that expires (401, 403, 410) is refreshed through the request's
 * {@link UrlRefresher}, once per expiry however many connections see it: each request remembers
 * the generation of the URL it went to, and an expiry of an older generation just takes the URL
 * another connection already got. A fresh URL that expires again before it served a byte is not
 * refreshed again: the hook evidently cannot help.
 */
final class SourceUrls {
    private final TransferSpec spec;
    private final String userAgent;
    /** The request's URL as messages show it. */
    private final String url;
    private final AtomicReferenceArray<Cursor> cursors;

    private final Object lock = new Object();
    // Guarded by lock.
    /** Per source: how many times its URL was refreshed. */
    private final int[] generations;
    /** The URL the refresh hook last gave (or the request's): what it is told expired. */
    private URI refreshed;
    /** The URL the hook gave has not served yet: another expiry ends the download. */
    private boolean freshUnproven;
    private int refreshes;

    SourceUrls(TransferSpec spec, String userAgent, String url) {
        this.spec = spec;
        this.userAgent = userAgent;
        this.url = url;
        List<Mirror> mirrors = spec.mirrors();
        this.cursors = new AtomicReferenceArray<>(1 + mirrors.size());
        cursors.set(0, new Cursor(spec.uri(), headers(spec.uri(), true), 0));
        for (int i = 0; i < mirrors.size(); i++) {
            Mirror m = mirrors.get(i);
            boolean credentials = m.sendsCredentials()
                    || Cursor.origin(m.uri()).equals(Cursor.origin(spec.uri()));
            cursors.set(i + 1, new Cursor(m.uri(), headers(m.uri(), credentials), 0));
        }
        this.generations = new int[1 + mirrors.size()];
        this.refreshed = spec.uri();
    }

    /** Where {@code source}'s next request goes. */
    Cursor get(int source) {
        return cursors.get(source);
    }

    /** Moves {@code source} on (a redirect the transfer's own attempt followed). */
    void set(int source, Cursor next) {
        cursors.set(source, next);
    }

    /** Moves {@code source} on from {@code seen} only: of two connections, one redirect wins. */
    boolean compareAndSet(int source, Cursor seen, Cursor next) {
        return cursors.compareAndSet(source, seen, next);
    }

    /** How many times {@code source}'s URL was refreshed: a request remembers it. */
    int generation(int source) {
        synchronized (lock) {
            return generations[source];
        }
    }

    /**
     * {@code source} answered 401, 403 or 410 to a request made at {@code generation}. Returns
     * true when a fresh URL is in place: another connection got one since that request, or the
     * hook gives one now. Only the request's own URL (source 0) is refreshed.
     *
     * @throws DownloadException {@code CALLBACK_FAILED} when the hook throws, {@code POLICY} when
     *                           it gives a URL that is not http(s) or takes https to http
     */
    boolean expired(int source, int status, int generation) throws DownloadException {
        synchronized (lock) {
            if (generations[source] != generation) {
                return true; // refreshed while this request was under way
            }
            if (source != 0 || spec.urlRefresher() == null || freshUnproven) {
                return false;
            }
            URI fresh;
            try {
                fresh = spec.urlRefresher().refresh(new UrlRefresher.Expired(
                        Cursor.withoutUserInfo(refreshed), status, refreshes));
            } catch (Exception | LinkageError e) {
                throw new DownloadException(Reason.CALLBACK_FAILED, url,
                        "the URL refresher threw " + e, e);
            }
            if (fresh == null) {
                return false;
            }
            String scheme = fresh.getScheme() == null ? ""
                    : fresh.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || fresh.getHost() == null) {
                throw new DownloadException(Reason.POLICY, url,
                        "the URL refresher gave no http(s) URL: " + Redaction.redact(fresh));
            }
            if (spec.uri().getScheme().equalsIgnoreCase("https") && scheme.equals("http")) {
                throw new DownloadException(Reason.POLICY, url,
                        "the URL refresher gave an http URL for an https download");
            }
            boolean sameOrigin = Cursor.origin(fresh).equals(Cursor.origin(spec.uri()));
            cursors.set(0, new Cursor(fresh, headers(fresh,
                    sameOrigin || spec.keepCredentialsOnRedirect()), 0));
            refreshed = fresh;
            refreshes++;
            generations[0]++;
            freshUnproven = true;
            return true;
        }
    }

    /** {@code source} served bytes: a fresh URL of it proved itself. */
    void served(int source) {
        if (source == 0) {
            synchronized (lock) {
                freshUnproven = false;
            }
        }
    }

    /**
     * The headers of requests to {@code uri}: the caller's when {@code credentials} (the request's
     * origin, or one the caller trusts), else only those that may cross origins; credentials from
     * {@code uri}'s own user info are added.
     */
    private Map<String, String> headers(URI uri, boolean credentials) {
        Map<String, String> h = new LinkedHashMap<>();
        spec.headers().forEach((name, value) -> {
            if (credentials || Cursor.mayCrossOrigins(name)) {
                h.put(name, value);
            }
        });
        if (spec.headers().keySet().stream().noneMatch("User-Agent"::equalsIgnoreCase)) {
            h.put("User-Agent", userAgent);
        }
        if (spec.headers().keySet().stream().noneMatch("Accept-Encoding"::equalsIgnoreCase)) {
            h.put("Accept-Encoding", "identity"); // byte offsets must mean bytes of the stored file
        }
        String userInfo = uri.getRawUserInfo() != null ? uri.getRawUserInfo()
                : credentials ? spec.uri().getRawUserInfo() : null;
        if (userInfo != null
                && h.keySet().stream().noneMatch("Authorization"::equalsIgnoreCase)) {
            String decoded = java.net.URLDecoder.decode(userInfo.replace("+", "%2B"),
                    StandardCharsets.UTF_8);
            h.put("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString(decoded.getBytes(StandardCharsets.UTF_8)));
        }
        return h;
    }
}
