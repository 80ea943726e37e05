package dev.haul.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed certificates made with the JDK's {@code keytool} at test time (once per JVM and
 * name), and TLS contexts that serve or trust them, for tests in any package.
 *
 * <pre>{@code
 * Path ks = TestCertificates.keystore("localhost", "ip:127.0.0.1,dns:localhost");
 * SSLContext server = TestCertificates.serverContext(ks);
 * SSLContext client = TestCertificates.trusting(ks);
 * }</pre>
 */
public final class TestCertificates {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final Map<String, Path> CACHE = new ConcurrentHashMap<>();

    private TestCertificates() {
    }

    /**
     * A PKCS12 key store with a fresh self-signed RSA certificate for CN={@code name} and this
     * subjectAltName extension (keytool syntax, e.g. {@code dns:localhost,ip:127.0.0.1}); made
     * once per JVM, since each keytool run is a JVM start.
     */
    public static synchronized Path keystore(String name, String san) throws IOException {
        String id = name + "|" + san;
        Path ks = CACHE.get(id);
        if (ks != null && Files.exists(ks)) {
            return ks;
        }
        Path dir = Files.createTempDirectory("haul-certs");
        ks = dir.resolve(name.replaceAll("[^A-Za-z0-9.-]", "_") + ".p12");
        Process p = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keyalg", "RSA", "-keysize", "2048", "-alias", "t",
                "-dname", "CN=" + name, "-ext", "SAN=" + san, "-validity", "2",
                "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(ks)) {
                throw new IOException("keytool failed: " + new String(out));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        }
        ks.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        CACHE.put(id, ks);
        return ks;
    }

    /** A server context presenting the key store's certificate. */
    public static SSLContext serverContext(Path ks) throws IOException, GeneralSecurityException {
        KeyManagerFactory kmf =
                KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(ks), PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** A client context trusting exactly the key store's certificate. */
    public static SSLContext trusting(Path ks) throws IOException, GeneralSecurityException {
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(ks));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static KeyStore load(Path ks) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, PASSWORD);
        }
        return store;
    }
}
