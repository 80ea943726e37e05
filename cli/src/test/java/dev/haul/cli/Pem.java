package dev.haul.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Base64;

/** The certificate of one of {@code TestCertificates}' key stores, as the PEM file {@code --cacert} reads. */
final class Pem {
    private Pem() {
    }

    static Path certificateOf(Path pkcs12, Path pem) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(pkcs12)) {
            store.load(in, "changeit".toCharArray());
        }
        byte[] der = store.getCertificate(store.aliases().nextElement()).getEncoded();
        String text = "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
        return Files.writeString(pem, text);
    }
}
