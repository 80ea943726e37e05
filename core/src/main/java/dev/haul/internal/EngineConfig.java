package dev.haul.internal;

import dev.haul.RetryPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Properties;
import javax.net.ssl.SSLContext;

/** The settings of one {@code DownloadManager}, frozen at build time. */
public record EngineConfig(int maxConcurrentDownloads, int maxConnectionsPerHost, Duration sessionIdleTimeout,
                           Duration connectTimeout, Duration stallTimeout, Duration responseTimeout,
                           RetryPolicy retryPolicy, int threads, String userAgent, SSLContext sslContext,
                           boolean insecure, HttpClient.Version httpVersion, boolean fsync, Ticker ticker,
                           FileOps fileOps) {

    private static final String VERSION = readVersion();

    /** {@code haul/<version>}. */
    public static String defaultUserAgent() {
        return "haul/" + VERSION;
    }

    /** The library's version, from the build. */
    public static String version() {
        return VERSION;
    }

    private static String readVersion() {
        try (InputStream in = EngineConfig.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            String v = p.getProperty("version", "dev");
            return v.startsWith("${") ? "dev" : v;
        } catch (IOException e) {
            return "dev";
        }
    }
}
