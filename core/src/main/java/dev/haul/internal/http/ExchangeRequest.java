package dev.haul.internal.http;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one exchange sends: a GET or HEAD of an http(s) URI without userinfo, with the engine's
 * headers in order. Immutable.
 *
 * <p>The engine has already validated every header (no CR, LF or NUL; names are tokens) and never
 * sets {@code Host}, {@code Connection}, {@code Content-Length} or {@code Transfer-Encoding}: the
 * transport writes those. Transports still refuse CR/LF in a header as a last line of defence.
 */
public final class ExchangeRequest {
    private final String method;
    private final URI uri;
    private final List<String[]> headers;
    private final boolean freshConnection;

    private ExchangeRequest(Builder b) {
        this.method = b.method;
        this.uri = b.uri;
        this.headers = List.copyOf(b.headers);
        this.freshConnection = b.freshConnection;
    }

    public static Builder get(URI uri) {
        return new Builder("GET", uri);
    }

    public static Builder head(URI uri) {
        return new Builder("HEAD", uri);
    }

    public String method() {
        return method;
    }

    /** An absolute http or https URI without userinfo. */
    public URI uri() {
        return uri;
    }

    /** Header name/value pairs, in the order they are sent. */
    public List<String[]> headers() {
        return headers;
    }

    /** The first value of header {@code name} (case-insensitive), or null. */
    public String header(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    /**
     * Whether this exchange must not reuse a pooled connection (a segment that replaces a slow
     * connection wants a new one). The new connection may be pooled afterwards.
     */
    public boolean freshConnection() {
        return freshConnection;
    }

    @Override
    public String toString() {
        return method + " " + uri.getScheme() + "://" + uri.getHost()
                + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + uri.getRawPath();
    }

    /** Builds an {@link ExchangeRequest}. */
    public static final class Builder {
        private final String method;
        private final URI uri;
        private final List<String[]> headers = new ArrayList<>();
        private boolean freshConnection;

        private Builder(String method, URI uri) {
            this.method = method;
            this.uri = Objects.requireNonNull(uri, "uri");
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("not an http(s) URI: " + scheme);
            }
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("userinfo must be removed before sending");
            }
        }

        public Builder header(String name, String value) {
            headers.add(new String[] {Objects.requireNonNull(name), Objects.requireNonNull(value)});
            return this;
        }

        public Builder freshConnection(boolean fresh) {
            this.freshConnection = fresh;
            return this;
        }

        public ExchangeRequest build() {
            return new ExchangeRequest(this);
        }
    }
}
