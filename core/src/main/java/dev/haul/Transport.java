package dev.haul;

/**
 * Which HTTP client carries a manager's downloads. Both behave the same: the same fault suite runs
 * against each, and a difference is a bug.
 *
 * <pre>{@code
 * DownloadManager h2 = DownloadManager.builder().transport(Transport.JDK)
 *         .httpVersion(java.net.http.HttpClient.Version.HTTP_2).build();
 * }</pre>
 */
public enum Transport {
    /**
     * Haul's own HTTP/1.1 client, the default: keep-alive connections, non-blocking reads straight
     * into direct buffers, strict response limits, TLS through the JDK's {@code SSLEngine} with
     * host name verification and SNI, HTTP {@code CONNECT} and SOCKS5 proxies. The fastest choice
     * for downloads, cold and warm (bench/README.md).
     */
    HAUL,
    /**
     * The JDK's {@code java.net.http.HttpClient}: HTTP/2 over TLS (ALPN) when the manager's
     * {@code httpVersion} is {@code HTTP_2}, else HTTP/1.1. It cannot use a SOCKS proxy: such a
     * download fails with {@link DownloadException.Reason#PROXY} instead of connecting directly.
     * Nor does it send Basic proxy credentials on the {@code CONNECT} of an https tunnel unless
     * the JVM runs with {@code -Djdk.http.auth.tunneling.disabledSchemes=}: without it, a proxy
     * URL with credentials for an https download fails with {@code PROXY} before the proxy is
     * asked, and the message names that property.
     */
    JDK
}
