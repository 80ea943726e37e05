package dev.haul.internal.retry;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.internal.http.ProxyException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertificateException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/** Turns whatever an exchange threw into a typed {@link DownloadException}. */
public final class Failures {
    private Failures() {
    }

    /**
     * The typed failure for {@code t}, thrown while connecting ({@code connected} false) or after
     * the connection was up.
     */
    public static DownloadException classify(Throwable t, String url) {
        t = unwrap(t);
        if (t instanceof DownloadException de) {
            return de;
        }
        String detail = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (t instanceof ProxyException pe) {
            return new DownloadException(Reason.PROXY, url, pe.status() > 0 ? pe.status() : -1,
                    "proxy refused: " + detail, t);
        }
        if (t instanceof HttpConnectTimeoutException) {
            return new DownloadException(Reason.CONNECT, url, "connect timed out", t);
        }
        if (t instanceof HttpTimeoutException) {
            return new DownloadException(Reason.TIMEOUT, url, "no response headers in time", t);
        }
        if (t instanceof ConnectException && t.getMessage() != null
                && t.getMessage().contains("timed out")) {
            return new DownloadException(Reason.CONNECT, url, "connect timed out", t);
        }
        if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
            return new DownloadException(Reason.CONNECT, url, "cannot connect: "
                    + (t.getMessage() == null ? "connection refused" : t.getMessage()), t);
        }
        if (t instanceof SocketTimeoutException && !(t.getCause() instanceof IOException)) {
            return new DownloadException(Reason.CONNECT, url, "connect timed out", t);
        }
        if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
            return new DownloadException(Reason.CONNECT, url, "cannot resolve the host name", t);
        }
        if ((t instanceof SSLException && !(t.getCause() instanceof java.net.SocketException)
                && !(t.getCause() instanceof EOFException))
                || hasCause(t, CertificateException.class)) {
            // Handshake, certificate and record-layer failures ("Unrecognized SSL message"): a
            // retry cannot fix them. A TLS-wrapped reset or EOF is the network's fault and falls
            // through.
            return new DownloadException(Reason.TLS, url, "TLS failed: " + detail, t);
        }
        if (t instanceof ProtocolException) {
            return new DownloadException(Reason.PROTOCOL, url, "protocol error: " + detail, t);
        }
        if (t instanceof IOException) {
            return new DownloadException(Reason.NETWORK, url, "connection failed: " + detail, t);
        }
        return new DownloadException(Reason.PROTOCOL, url, "unexpected failure: " + t, t);
    }

    /** Strips the wrappers of futures. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
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
