package dev.haul.internal.http;

import java.io.IOException;

/**
 * A proxy refused or failed to set up the route: a {@code CONNECT} (or, for plain http, the proxied
 * request) answered with 407, a {@code CONNECT} answered with any other status than 2xx, or a
 * SOCKS5 reply with an error code. The origin was never reached, and the transport never falls
 * back to a direct connection.
 */
public final class ProxyException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status the proxy's HTTP status (407, 403, 502…); 407 also when a SOCKS5 proxy
     *               refuses or requires user/password authentication; for other SOCKS5 errors the
     *               reply code (1–8) as a negative number; 0 when the proxy broke its protocol
     */
    public ProxyException(int status, String message) {
        super(message);
        this.status = status;
    }

    /**
     * @param status as for {@link #ProxyException(int, String)}
     * @param cause  why the route could not be made
     */
    public ProxyException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The proxy's HTTP status, a negated SOCKS5 reply code, or 0. */
    public int status() {
        return status;
    }
}
