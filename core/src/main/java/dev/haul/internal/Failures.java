package dev.haul.internal;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/** Turns whatever an attempt threw into a typed {@link DownloadException}. */
final class Failures {
    private Failures() {
    }

    /** Carries a {@link DownloadException} through JDK code that only lets unchecked ones pass. */
    static final class Carrier extends RuntimeException {
        final DownloadException exception;

        Carrier(DownloadException exception) {
            super(exception.getMessage(), exception, false, false);
            this.exception = exception;
        }
    }

    static DownloadException classify(Throwable t, String url) {
        t = unwrap(t);
        if (t instanceof DownloadException de) {
            return de;
        }
        if (t instanceof Carrier c) {
            return c.exception;
        }
        String detail = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (t instanceof HttpConnectTimeoutException) {
            return new DownloadException(Reason.CONNECT, url, "connect timed out", t);
        }
        if (t instanceof HttpTimeoutException) {
            return new DownloadException(Reason.TIMEOUT, url, "no response headers in time", t);
        }
        if (t instanceof ConnectException) {
            return new DownloadException(Reason.CONNECT, url, "cannot connect: "
                    + (t.getMessage() == null ? "connection refused" : t.getMessage()), t);
        }
        if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
            return new DownloadException(Reason.CONNECT, url, "cannot resolve the host name", t);
        }
        if (t instanceof SSLException && !(t.getCause() instanceof java.net.SocketException)
                && !(t.getCause() instanceof java.io.EOFException)
                || hasCause(t, java.security.cert.CertificateException.class)) {
            // Handshake, certificate and record-layer failures ("Unrecognized SSL message"): a retry
            // cannot fix them. A TLS-wrapped reset or EOF is the network's fault and falls through.
            return new DownloadException(Reason.TLS, url, "TLS failed: " + detail, t);
        }
        if (t instanceof ProtocolException) {
            return new DownloadException(Reason.PROTOCOL, url, "protocol error: " + detail, t);
        }
        if (t instanceof CancellationException) {
            return new DownloadException(Reason.CANCELLED, url, "cancelled", t);
        }
        if (t instanceof IOException) {
            return new DownloadException(Reason.NETWORK, url, "connection failed: " + detail, t);
        }
        return new DownloadException(Reason.PROTOCOL, url, "unexpected failure: " + t, t);
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        // The JDK client wraps failures of our body handler in an IOException.
        if (t instanceof IOException && t.getCause() instanceof Carrier c) {
            return c;
        }
        return t;
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}
