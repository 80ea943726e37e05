package dev.haul.internal.http1;

import java.net.ConnectException;

/**
 * The connect phase (TCP, proxy handshake and TLS handshake together) outlasted the transport's
 * connect timeout. A {@link ConnectException}, so callers classify it as a failure to connect;
 * its message says "timed out".
 */
final class ConnectTimeoutException extends ConnectException {
    private static final long serialVersionUID = 1L;

    ConnectTimeoutException(String message) {
        super(message);
    }
}
