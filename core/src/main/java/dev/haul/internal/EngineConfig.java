package dev.haul.internal;

import dev.haul.RetryPolicy;
import dev.haul.TimeSource;
import dev.haul.internal.sink.FileOps;
import java.io.IOException;
import java.io.InputStream;
import dev.haul.internal.http.ProxyRoute;
import java.net.Authenticator;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Properties;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * The settings of one {@code DownloadManager}, frozen at build time.
 *
 * @param timeSource the caller's clock and timer, or null for the system clock and a timer thread
 *                   of the manager's own
 * @param jdkClient  true to use the JDK's HTTP client for every exchange
 * @param routes     the proxy route of each URI (direct when none applies)
 * @param maxBytesPerSecond the limit shared by every download of the manager; 0 for none
 * @param credentials the {@code Authorization} value for a host (from a netrc file), or null
 * @param cookies    the cookie jar, or null for none
 * @param maxIdleConnectionsPerHost idle keep-alive connections Haul's transport keeps per origin
 */
public record EngineConfig(int maxConcurrentDownloads, int maxConnectionsPerHost,
                           Duration sessionIdleTimeout, Duration connectTimeout,
                           Duration stallTimeout, Duration responseTimeout, RetryPolicy retryPolicy,
                           int threads, String userAgent, SSLContext sslContext, boolean insecure,
                           HttpClient.Version httpVersion, boolean jdkClient, boolean fsync,
                           TimeSource timeSource, FileOps fileOps, Function<URI, ProxyRoute> routes,
                           Authenticator authenticator, long maxBytesPerSecond,
                           Function<String, String> credentials, Cookies cookies,
                           int maxIdleConnectionsPerHost) {

    /** Where the cookies of requests come from and responses' cookies go. */
    public interface Cookies {
        /** The Cookie header for {@code uri}, or "" for none. */
        String header(URI uri);

        /** Keeps one Set-Cookie value of a response to {@code uri}, if the rules allow it. */
        void store(URI uri, String setCookie);
    }

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
