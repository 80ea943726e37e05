package dev.haul.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy on 127.0.0.1 for tests: {@code CONNECT host:port} tunnels (for https) and
 * absolute-form forwarding ({@code GET http://host:port/path}, for plain http), with optional
 * Basic credentials, recording every request head it receives and counting connections.
 *
 * <pre>{@code
 * try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("u", "p")) {
 *     ... route requests through 127.0.0.1:proxy.port() ...
 *     assertEquals("CONNECT origin:443 HTTP/1.1", proxy.requests().get(0).requestLine());
 * }
 * }</pre>
 *
 * <p>Forwarded requests reach the origin in origin-form without {@code Proxy-Authorization} or
 * {@code Proxy-Connection}, as a real proxy sends them; the response comes back byte for byte.
 * Tunnels relay bytes both ways until either side closes. Names can be mapped to addresses with
 * {@link #resolve}, so tests can use host names that no resolver knows.
 */
public final class HttpProxyServer extends ThreadedServer {
    private static final int MAX_LINE = 16 * 1024;

    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final Map<String, String> hosts = new ConcurrentHashMap<>();
    private final AtomicInteger challenges = new AtomicInteger();
    private volatile String expectedAuthorization;
    private volatile int refuseStatus;

    private HttpProxyServer() throws IOException {
        super("fault-proxy-http");
    }

    /** Binds 127.0.0.1 on an ephemeral port and starts accepting. */
    public static HttpProxyServer start() throws IOException {
        HttpProxyServer proxy = new HttpProxyServer();
        proxy.startAccepting();
        return proxy;
    }

    /** Answers 407 (and closes) unless {@code Proxy-Authorization: Basic user:password}. */
    public HttpProxyServer requireCredentials(String user, String password) {
        String pair = user + ":" + password;
        this.expectedAuthorization = "Basic "
                + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Answers every request (after the credential check) with this status and closes. */
    public HttpProxyServer refuseWith(int status) {
        this.refuseStatus = status;
        return this;
    }

    /** Connects to {@code address} when a request names {@code host}. */
    public HttpProxyServer resolve(String host, String address) {
        hosts.put(host.toLowerCase(Locale.ROOT), address);
        return this;
    }

    /** Every request head received, CONNECT and forwarded alike, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** How many 407 challenges were sent. */
    public int challenges() {
        return challenges.get();
    }

    /** {@code host:port} of this proxy on loopback. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    @Override
    void serve(Socket client, int connectionId) throws IOException {
        InputStream in = client.getInputStream();
        OutputStream out = client.getOutputStream();
        Socket upstream = null;
        String upstreamAuthority = null;
        int sequence = 0;
        try {
            while (!isClosed()) {
                RecordedRequest request = readHead(in, connectionId, sequence++);
                if (request == null) {
                    return;
                }
                requests.add(request);
                String expected = expectedAuthorization;
                if (expected != null && !expected.equals(request.header("Proxy-Authorization"))) {
                    challenges.incrementAndGet();
                    write(out, "HTTP/1.1 407 Proxy Authentication Required\r\n"
                            + "Proxy-Authenticate: Basic realm=\"haul-test\"\r\n"
                            + "Content-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                if (refuseStatus != 0) {
                    write(out, "HTTP/1.1 " + refuseStatus + " Refused\r\nContent-Length: 0\r\n"
                            + "Connection: close\r\n\r\n");
                    return;
                }
                if (request.method().equals("CONNECT")) {
                    tunnel(client, out, request.target());
                    return;
                }
                URI target = URI.create(request.target());
                int port = target.getPort() < 0 ? 80 : target.getPort();
                String authority = target.getHost() + ":" + port;
                if (upstream == null || !authority.equals(upstreamAuthority)) {
                    if (upstream != null) {
                        closeQuietly(upstream);
                    }
                    try {
                        upstream = connect(target.getHost(), port);
                    } catch (IOException e) {
                        write(out, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                                + "Connection: close\r\n\r\n");
                        return;
                    }
                    upstreamAuthority = authority;
                    Socket from = upstream;
                    spawn("response", () -> relay(from, client));
                }
                upstream.getOutputStream().write(originForm(request, target)
                        .getBytes(StandardCharsets.ISO_8859_1));
            }
        } finally {
            if (upstream != null) {
                closeQuietly(upstream);
            }
        }
    }

    private void tunnel(Socket client, OutputStream out, String authority) throws IOException {
        int colon = authority.lastIndexOf(':');
        String host = authority.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        Socket upstream;
        try {
            upstream = connect(host, Integer.parseInt(authority.substring(colon + 1)));
        } catch (IOException | RuntimeException e) {
            write(out, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        write(out, "HTTP/1.1 200 Connection established\r\n\r\n");
        Thread back = spawn("tunnel", () -> relay(upstream, client));
        relay(client, upstream);
        try {
            back.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(upstream);
    }

    private Socket connect(String host, int port) throws IOException {
        String mapped = hosts.get(host.toLowerCase(Locale.ROOT));
        InetAddress address = InetAddress.getByName(mapped != null ? mapped : host);
        Socket socket = track(new Socket());
        socket.connect(new InetSocketAddress(address, port), 5_000);
        return socket;
    }

    /** The request as a real proxy forwards it: origin-form, without proxy-only headers. */
    private static String originForm(RecordedRequest request, URI target) {
        String path = target.getRawPath() == null || target.getRawPath().isEmpty()
                ? "/" : target.getRawPath();
        if (target.getRawQuery() != null) {
            path += "?" + target.getRawQuery();
        }
        StringBuilder sb = new StringBuilder(request.method()).append(' ').append(path)
                .append(' ').append(request.version()).append("\r\n");
        for (String line : request.headerLines()) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("proxy-authorization:")
                    && !lower.startsWith("proxy-connection:")) {
                sb.append(line).append("\r\n");
            }
        }
        return sb.append("\r\n").toString();
    }

    private static RecordedRequest readHead(InputStream in, int connectionId, int sequence)
            throws IOException {
        StringBuilder raw = new StringBuilder();
        String requestLine = readLine(in, MAX_LINE);
        if (requestLine == null) {
            return null;
        }
        raw.append(requestLine).append("\r\n");
        List<String[]> headers = new ArrayList<>();
        for (String line; !(line = readLine(in, MAX_LINE)).isEmpty(); ) {
            raw.append(line).append("\r\n");
            int colon = line.indexOf(':');
            headers.add(colon < 0 ? new String[] {line, ""}
                    : new String[] {line.substring(0, colon).trim(),
                        line.substring(colon + 1).trim()});
        }
        raw.append("\r\n");
        return new RecordedRequest(requestLine, headers, connectionId, sequence, sequence,
                raw.toString());
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public String toString() {
        return "HttpProxyServer[" + address() + ", connections=" + connectionCount() + "]";
    }
}
