package dev.haul.internal.net;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Chooses the proxy for a URL from the environment and the command line, exactly as curl does
 * ({@code create_conn_helper_init_proxy} and {@code detect_proxy} in curl's {@code lib/url.c},
 * {@code lib/getenv.c}, and the {@code --proxy}/{@code --noproxy} manual).
 *
 * <ol>
 *   <li>The no-proxy list is {@code --noproxy} when given (even "", which switches the
 *       environment's list off), else {@code no_proxy}, else {@code NO_PROXY}. When it matches
 *       the URL's host (see {@link NoProxy}), the URL is reached directly. This applies to a
 *       {@code --proxy} too: curl checks the list before any proxy.</li>
 *   <li>Otherwise {@code --proxy} wins when given; {@code --proxy ""} means no proxy at all, and
 *       the environment is not consulted.</li>
 *   <li>Otherwise {@code <scheme>_proxy} in lower case ({@code http_proxy},
 *       {@code https_proxy}…), then the upper-case name, except that {@code HTTP_PROXY} is never
 *       read: a CGI program gets the request header {@code Proxy:} as {@code HTTP_PROXY}, so
 *       whoever sends the request could choose the proxy ("httpoxy", CVE-2016-5385). Then, for
 *       {@code ws} only {@code http_proxy}, for {@code wss} {@code https_proxy} and
 *       {@code HTTPS_PROXY}. Then {@code all_proxy}, then {@code ALL_PROXY}.</li>
 *   <li>A variable that is set but empty counts as unset, as in curl's {@code curl_getenv}: an
 *       empty {@code no_proxy} lets {@code NO_PROXY} through.</li>
 *   <li>The chosen value is parsed by {@link ProxyUrl#parse}; a malformed or unsupported proxy
 *       is an error that names where it came from, never a silent direct connection.</li>
 * </ol>
 * The map is read as given, with case-sensitive names as on POSIX; on Windows,
 * {@code System.getenv()} answers case-insensitively, so there the lower- and upper-case names
 * are one variable (as they are for curl on Windows).
 *
 * <p>Instances are immutable.
 */
public final class ProxyEnvironment {

    private final Map<String, String> env;
    private final String proxy;
    private final String noProxy;

    private ProxyEnvironment(Map<String, String> env, String proxy, String noProxy) {
        this.env = env;
        this.proxy = proxy;
        this.noProxy = noProxy;
    }

    /** Returns the proxy rules for this environment, with no command-line overrides. */
    public static ProxyEnvironment of(Map<String, String> env) {
        return new ProxyEnvironment(Map.copyOf(env), null, null);
    }

    /** Returns the proxy rules for this process's environment. */
    public static ProxyEnvironment fromSystem() {
        // not copied: the map is unmodifiable already, and a copy would lose its
        // case-insensitive lookups on Windows
        return new ProxyEnvironment(System.getenv(), null, null);
    }

    /**
     * Returns a copy with {@code --proxy}: a proxy URL that replaces the environment's, or ""
     * for no proxy at all. The URL is checked when a request needs it, as in curl; call
     * {@link ProxyUrl#parse} to check it up front.
     */
    public ProxyEnvironment withProxy(String proxyUrl) {
        return new ProxyEnvironment(env, Objects.requireNonNull(proxyUrl, "proxyUrl"), noProxy);
    }

    /**
     * Returns a copy with {@code --noproxy}: a list that replaces {@code no_proxy} and
     * {@code NO_PROXY}, or "" to ignore them.
     */
    public ProxyEnvironment withNoProxy(String list) {
        return new ProxyEnvironment(env, proxy, Objects.requireNonNull(list, "list"));
    }

    /**
     * Returns the proxy to use for {@code target}, or empty to connect directly. A URL without a
     * host never uses a proxy.
     *
     * @throws IllegalArgumentException when the proxy that applies is malformed or unsupported;
     *                                  the message names the variable or option it came from
     *                                  and never shows credentials
     */
    public Optional<ProxyUrl> proxyFor(URI target) {
        String host = target.getHost();
        String scheme = target.getScheme();
        if (host == null || host.isEmpty() || scheme == null) {
            return Optional.empty();
        }
        String list = noProxy != null ? noProxy : firstSet("no_proxy", "NO_PROXY");
        if (NoProxy.parse(list).matches(host)) {
            return Optional.empty();
        }
        String source;
        String value;
        if (proxy != null) {
            source = "--proxy";
            value = proxy;
        } else {
            source = null;
            value = null;
            for (String name : candidates(scheme.toLowerCase(Locale.ROOT))) {
                value = get(name);
                if (value != null) {
                    source = name;
                    break;
                }
            }
        }
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ProxyUrl.parse(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The variables curl reads for a URL with this scheme, in order. */
    private static String[] candidates(String scheme) {
        String lower = scheme + "_proxy";
        String upper = lower.toUpperCase(Locale.ROOT);
        if (scheme.equals("http")) {
            return new String[] {lower, "all_proxy", "ALL_PROXY"};
        }
        if (scheme.equals("ws")) {
            return new String[] {lower, upper, "http_proxy", "all_proxy", "ALL_PROXY"};
        }
        if (scheme.equals("wss")) {
            return new String[] {lower, upper, "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"};
        }
        return new String[] {lower, upper, "all_proxy", "ALL_PROXY"};
    }

    private String firstSet(String lower, String upper) {
        String value = get(lower);
        return value != null ? value : get(upper);
    }

    /** A variable's value, or null when it is unset or empty. */
    private String get(String name) {
        String value = env.get(name);
        return value == null || value.isEmpty() ? null : value;
    }

    /** Returns the overrides, never the environment's values (which may hold credentials). */
    @Override
    public String toString() {
        return "ProxyEnvironment[proxy=" + (proxy == null ? "env" : ProxyUrl.redact(proxy))
                + ", noproxy=" + (noProxy == null ? "env" : "\"" + noProxy + "\"") + "]";
    }
}
