package dev.haul;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Cookies a manager sends and keeps, in the Netscape cookie file format that curl ({@code -b},
 * {@code -c}), wget and browsers' exporters use.
 *
 * <p>Cookies go only where RFC 6265 says: a host-only cookie to its host, a domain cookie to that
 * domain and its subdomains, never to another site (so never across a redirect to another site),
 * along their path, {@code Secure} ones over https only, and never once expired. A
 * {@code Set-Cookie} from a response is kept only when its {@code Domain} covers the host that set
 * it. A hostile file cannot break a download: malformed lines are skipped and sizes are capped.
 * Thread-safe.
 *
 * <pre>{@code
 * CookieJar jar = CookieJar.load(Path.of("cookies.txt"));
 * try (DownloadManager m = DownloadManager.builder().cookieJar(jar).build()) {
 *     ...
 * }
 * jar.save(Path.of("cookies.txt"));   // written atomically, owner-only
 * }</pre>
 */
public final class CookieJar {
    private final dev.haul.internal.net.CookieJar jar;

    private CookieJar(dev.haul.internal.net.CookieJar jar) {
        this.jar = jar;
    }

    /**
     * An empty jar, keeping what responses set.
     *
     * @return an empty jar
     */
    public static CookieJar inMemory() {
        return new CookieJar(new dev.haul.internal.net.CookieJar(() -> System.currentTimeMillis(
                ) / 1000));
    }

    /**
     * A jar holding the cookies of a Netscape cookie file.
     *
     * @throws IOException when the file cannot be read (a malformed line is skipped, not an error)
     *
     * @param file a Netscape cookie file
     * @return a jar holding the file's cookies
     * @throws IOException when the file cannot be read
     */
    public static CookieJar load(Path file) throws IOException {
        CookieJar j = inMemory();
        j.jar.load(Objects.requireNonNull(file, "file"));
        return j;
    }

    /**
     * Writes every cookie that has not expired to {@code file}, atomically and owner-only.
     *
     * @param file where the jar goes
     * @throws IOException when the file cannot be written
     */
    public void save(Path file) throws IOException {
        jar.save(Objects.requireNonNull(file, "file"));
    }

    /**
     * The {@code Cookie} header value for a request to {@code uri}, or "" when none applies.
     *
     * @param uri the URI of the request
     * @return the Cookie header value, or "" when none applies
     */
    public String cookieHeader(URI uri) {
        String h = jar.cookieHeader(uri);
        return h == null ? "" : h;
    }

    /**
     * Takes one {@code Set-Cookie} value from a response to {@code uri}; false when refused.
     *
     * @param uri the URI that answered
     * @param setCookie one Set-Cookie header value
     * @return whether the jar kept (or deleted) a cookie
     */
    public boolean setCookie(URI uri, String setCookie) {
        return jar.setCookie(uri, setCookie);
    }

    /**
     * How many cookies the jar holds.
     *
     * @return how many cookies the jar holds
     */
    public int size() {
        return jar.size();
    }

    @Override
    public String toString() {
        return "CookieJar{" + size() + " cookies}";
    }
}
