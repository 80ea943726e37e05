package dev.haul.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code --cacert FILE}: the certificate authorities to trust instead of the JDK's, from a PEM (or
 * DER) file of one or more X.509 certificates, as curl's {@code --cacert} replaces its bundle. For
 * a private CA, a TLS-inspecting corporate proxy, or a test server.
 */
final class CaCertificates {
    private CaCertificates() {
    }

    /**
     * A TLS context that trusts exactly the certificates in {@code file}.
     *
     * @throws IllegalArgumentException with a message for the user when the file cannot be used
     */
    static SSLContext trusting(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certs =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(
                        "cannot use --cacert " + file + ": no certificate in it");
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                store.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use --cacert " + file + ": "
                    + ProgressRenderer.oneLine(String.valueOf(e.getMessage())), e);
        }
    }
}
