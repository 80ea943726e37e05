package dev.haul.internal.transfer;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.internal.Redaction;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * The redirect policy: which statuses redirect, where to, and which redirects are refused. It
 * decides; the transfer follows.
 */
final class Redirects {
    static final Set<Integer> STATUSES = Set.of(301, 302, 303, 307, 308);

    private Redirects() {
    }

    /** What to do with a redirect. */
    sealed interface Decision {
    }

    /** Follow to {@code next}. */
    record Follow(Cursor next) implements Decision {
    }

    /** Refuse: the download fails. */
    record Refuse(DownloadException failure) implements Decision {
    }

    /** The decision for a redirect to {@code location} (null when it had none or a bad one). */
    static Decision decide(Cursor from, URI location, int maxRedirects, boolean keepCredentials,
            String url) {
        if (location == null) {
            return new Refuse(new DownloadException(Reason.PROTOCOL, url,
                    "redirect with an invalid Location"));
        }
        String scheme =
                location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return new Refuse(new DownloadException(Reason.POLICY, url,
                    "redirect to a non-HTTP URL refused: " + scheme + ":"));
        }
        if (location.getHost() == null || location.getHost().isEmpty()) {
            return new Refuse(new DownloadException(Reason.PROTOCOL, url,
                    "redirect to a URL without a host"));
        }
        if (from.uri.getScheme().equalsIgnoreCase("https") && scheme.equals("http")) {
            return new Refuse(new DownloadException(Reason.POLICY, url,
                    "redirect from HTTPS to HTTP refused: " + Redaction.redact(location)));
        }
        if (from.redirects + 1 > maxRedirects) {
            return new Refuse(new DownloadException(Reason.POLICY, url,
                    "too many redirects (more than " + maxRedirects + ")"));
        }
        return new Follow(from.redirectTo(location, keepCredentials));
    }

    /** The absolute target of a Location value, or null when it cannot be one. */
    static URI resolve(URI base, String location) {
        if (location == null) {
            return null;
        }
        try {
            return base.resolve(new URI(location.trim()));
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }
}
