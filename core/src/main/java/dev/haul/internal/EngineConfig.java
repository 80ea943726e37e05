package dev.haul.internal;

import dev.haul.RetryPolicy;
import dev.haul.TimeSource;
import dev.haul.internal.sink.FileOps;
import java.io.IOException;
import java.io.InputStream;
import java.net.Authenticator;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Properties;
import javax.net.ssl.SSLContext;

/**
 * The settings of one {@code DownloadManager}, frozen at build time.
 *
 * @param timeSource the caller's clock and timer, or null for the system clock and a timer thread
 *                   of the manager's own
 * @param jdkClient  true to use the JDK's HTTP client for every exchange
 * @param proxy      the caller's proxy selector, or null for direct connections
 */
public record EngineConfig(int maxConcurrentDownloads, int maxConnectionsPerHost,
                           Duration sessionIdleTimeout, Duration connectTimeout,
                           Duration stallTimeout, Duration responseTimeout, RetryPolicy retryPolicy,
                           int threads, String userAgent, SSLContext sslContext, boolean insecure,
                           HttpClient.Version httpVersion, boolean jdkClient, boolean fsync,
                           TimeSource timeSource, FileOps fileOps, ProxySelector proxy,
                           Authenticator authenticator) {

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
