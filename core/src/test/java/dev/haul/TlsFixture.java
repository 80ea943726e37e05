package dev.haul;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed certificates made with {@code keytool} at test time, and a loopback
 * {@link HttpsServer} serving with one of them.
 */
final class TlsFixture implements AutoCloseable {
    private static final char[] PASSWORD = "changeit".toCharArray();

    final HttpsServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tls-fixture");
        t.setDaemon(true);
        return t;
    });

    TlsFixture(SSLContext context) throws IOException {
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.setExecutor(executor);
        server.start();
    }

    String url(String path) {
        return "https://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    TlsFixture handle(String path, HttpHandler handler) {
        server.createContext(path, handler);
        return this;
    }

    /** Serves {@code body} with a Content-Length. */
    TlsFixture serve(String path, byte[] body) {
        return handle(path, ex -> {
            ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final java.util.Map<String, Path> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    /** Like {@link #keystore}, made once per JVM run (keytool is a whole JVM start). */
    static synchronized Path cachedKeystore(String name, String san) throws IOException, InterruptedException {
        Path ks = CACHE.get(name + "|" + san);
        if (ks == null || !Files.exists(ks)) {
            Path dir = Files.createTempDirectory("haul-tls");
            ks = keystore(dir, name, san);
            ks.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            CACHE.put(name + "|" + san, ks);
        }
        return ks;
    }

    /** A PKCS12 key store holding a fresh self-signed RSA certificate with this SAN extension. */
    static Path keystore(Path dir, String name, String san) throws IOException, InterruptedException {
        Path ks = dir.resolve(name + ".p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keyalg", "RSA", "-keysize", "2048", "-alias", "t", "-dname", "CN=" + name,
                "-ext", "SAN=" + san, "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(ks)) {
            throw new IOException("keytool failed: " + new String(out));
        }
        return ks;
    }

    private static KeyStore load(Path ks) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, PASSWORD);
        }
        return store;
    }

    /** A server context presenting the key store's certificate. */
    static SSLContext serverContext(Path ks) throws IOException, GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(ks), PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** A client context trusting exactly the key store's certificate. */
    static SSLContext trusting(Path ks) throws IOException, GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(ks));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
