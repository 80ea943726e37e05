package dev.haul;

import dev.haul.internal.Redaction;
import java.net.URI;

/**
 * Gives a download a fresh URL when its URL expires: signed URLs (S3, CDNs, model hubs) stop
 * working after a while and answer {@code 401}, {@code 403} or {@code 410}, often in the middle of
 * a large download. Set it with {@link DownloadRequest.Builder#urlRefresher}.
 *
 * <p>When the request's URL (or the last one this hook gave) answers one of those statuses, Haul
 * calls the hook once, whichever of the download's connections saw it first; the others wait for
 * its answer and continue with the new URL. The download keeps the bytes it has: the new URL is
 * asked for the rest with {@code If-Range}, and its answers are checked as every resume's are, so
 * a URL that serves other bytes starts the body over rather than splicing it. A fresh URL that
 * fails the same way before serving anything ends the download with that status: the hook is not
 * called in a loop.
 *
 * <p>The hook runs on one of the download's threads and should return promptly; what it throws
 * ends the download with {@link DownloadException.Reason#CALLBACK_FAILED}. It returns null when
 * it has no fresh URL, and the download fails with the status it got. The request's credentials
 * follow a fresh URL of another origin only as they follow a redirect
 * ({@link DownloadRequest.Builder#keepCredentialsOnRedirect}).
 *
 * <pre>{@code
 * DownloadRequest request = DownloadRequest.builder(signer.sign(key))
 *         .urlRefresher(expired -> signer.sign(key))
 *         .build();
 * }</pre>
 */
@FunctionalInterface
public interface UrlRefresher {

    /**
     * A fresh URL for the download, or null when there is none.
     *
     * @param expired what expired
     * @return the URL to continue from (http or https), or null
     * @throws Exception anything; the download then fails with {@code CALLBACK_FAILED}
     */
    URI refresh(Expired expired) throws Exception;

    /** A URL that stopped working, and how. */
    final class Expired {
        private final URI url;
        private final int status;
        private final int refreshes;

        /**
         * Made by Haul; public so that tests of a hook can make one.
         *
         * @param url       the URL that expired
         * @param status    the status it answered
         * @param refreshes how many fresh URLs this download got before this one
         */
        public Expired(URI url, int status, int refreshes) {
            this.url = url;
            this.status = status;
            this.refreshes = refreshes;
        }

        /**
         * The URL that expired: the request's own, or the last one the hook gave.
         *
         * @return the URL that expired
         */
        public URI url() {
            return url;
        }

        /**
         * The status it answered: 401, 403 or 410.
         *
         * @return the status
         */
        public int status() {
            return status;
        }

        /**
         * How many fresh URLs this download got before this call.
         *
         * @return 0 on the first expiry
         */
        public int refreshes() {
            return refreshes;
        }

        @Override
        public String toString() {
            return "Expired{" + Redaction.redact(url) + ", " + status + ", refreshes=" + refreshes
                    + "}";
        }
    }
}
