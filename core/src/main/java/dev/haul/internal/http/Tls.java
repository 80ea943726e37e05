package dev.haul.internal.http;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS context a transport uses: the caller's, an insecure one on request, or the lazy default.
 */
public final class Tls {
    /**
     * The logger of the warning that verification is off, so a caller that warned already can mute
     * it.
     */
    public static final String LOGGER = "dev.haul.tls";

    private Tls() {
    }

    /** Logs, once per transport, that TLS verification is off. */
    public static void warnInsecure() {
        System.getLogger(LOGGER).log(System.Logger.Level.WARNING,
                "TLS verification is OFF: certificates and host names are not checked");
    }

    /** The context for {@code config}: never null. */
    public static SSLContext context(TransportConfig config) {
        if (config.insecure()) {
            return trustAll();
        }
        return config.sslContext() != null ? config.sslContext() : new LazyTlsContext();
    }

    /**
     * A context that accepts every certificate and host name. Dangerous: for {@code insecure} only.
     */
    public static SSLContext trustAll() {
        TrustManager tm = new X509ExtendedTrustManager() {
            // Host name verification lives in the trust manager, so accepting here skips it too.
            @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) { }
            @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) { }
            @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
            @Override public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {tm}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build an insecure TLS context", e);
        }
    }
}
