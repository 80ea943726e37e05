package dev.haul.internal.http1;

import dev.haul.internal.http.ProxyException;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.http.TransportConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Opens connections: resolves, connects (trying each address in order), runs the proxy
 * handshake (HTTP CONNECT or SOCKS5) and the TLS handshake, all within one connect timeout.
 */
final class Connector {
    private static final String[] ALPN = {"http/1.1"};

    private final TransportConfig config;
    private final Supplier<SSLContext> tls;
    private final long timeoutNanos;

    Connector(TransportConfig config, Supplier<SSLContext> tls) {
        this.config = config;
        this.tls = tls;
        Duration timeout = config.connectTimeout();
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        // Zero or negative means no bound, as for Socket.connect; huge values must not overflow.
        this.timeoutNanos = nanos <= 0 ? Long.MAX_VALUE / 2 : Math.min(nanos, Long.MAX_VALUE / 2);
    }

    /**
     * A connected, handshaken connection for {@code key}. It is attached to {@code exchange}
     * before the first socket exists, so an abort closes it at any stage.
     *
     * @param proxyAuth credentials for an HTTP proxy's CONNECT, or null
     */
    Connection open(Http1Exchange exchange, PoolKey key, PasswordAuthentication proxyAuth,
            boolean virtualThread) throws IOException {
        Connection c = new Connection(key);
        exchange.attach(c);
        boolean ok = false;
        try {
            c.socket.deadline(System.nanoTime() + timeoutNanos, "connect to " + key
                    + " timed out after " + config.connectTimeout().toMillis() + " ms");
            ProxyRoute route = key.route;
            if (route instanceof ProxyRoute.Http http) {
                tcp(c, http.host(), http.port());
                if (key.https) {
                    tunnel(c, http, proxyAuth, exchange);
                }
            } else if (route instanceof ProxyRoute.Socks5 socks) {
                tcp(c, socks.host(), socks.port());
                Socks5Handshake.run(c.socket, socks, key);
            } else {
                tcp(c, key.host, key.port);
            }
            if (key.https) {
                c.startTls(engine(key));
            }
            c.socket.clearDeadline();
            c.adaptTo(virtualThread);
            ok = true;
            return c;
        } finally {
            if (!ok) {
                c.abort();
            }
        }
    }

    /** Connects to the first of {@code host}'s addresses that accepts, in resolver order. */
    private static void tcp(Connection c, String host, int port) throws IOException {
        InetAddress[] addresses = InetAddress.getAllByName(host);
        ConnectException last = null;
        for (InetAddress address : addresses) {
            try {
                c.socket.connect(new InetSocketAddress(address, port));
                return;
            } catch (ConnectTimeoutException e) {
                throw e; // the deadline covers all addresses: none is left to try
            } catch (ConnectException e) {
                if (c.socket.isClosed()) {
                    throw e;
                }
                if (last != null) {
                    e.addSuppressed(last);
                }
                last = e;
            }
        }
        throw last != null ? last : new ConnectException("no address for " + host);
    }

    /** Opens a CONNECT tunnel to the origin through an HTTP proxy. */
    private static void tunnel(Connection c, ProxyRoute.Http proxy, PasswordAuthentication auth,
            Http1Exchange exchange) throws IOException {
        c.socket.write(ByteBuffer.wrap(RequestWriter.connect(c.key, auth)));
        ResponseHead head;
        try {
            head = c.reader.readHead(false, true);
        } catch (ProtocolException e) {
            ProxyException pe = new ProxyException(0, "proxy " + proxy
                    + " answered CONNECT with a malformed response: " + e.getMessage());
            pe.initCause(e);
            throw pe;
        }
        int status = head.status();
        if (status < 200 || status > 299) {
            exchange.proxyChallenge(head.header("Proxy-Authenticate"));
            throw new ProxyException(status, "proxy " + proxy + " refused CONNECT to "
                    + c.key.authority + " with status " + status);
        }
        if (c.reader.hasBuffered()) {
            throw new ProxyException(0, "proxy " + proxy + " sent bytes after its CONNECT answer");
        }
    }

    /**
     * A client engine for the origin: host name verification and SNI for the origin's name
     * (never the proxy's), unless the configuration says insecure, which skips verification but
     * still sends SNI so that virtual hosts serve the right certificate.
     */
    private SSLEngine engine(PoolKey key) {
        SSLEngine engine = tls.get().createSSLEngine(key.host, key.port);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        if (!config.insecure()) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (!isIpLiteral(key.host)) {
            String name = key.host.endsWith(".")
                    ? key.host.substring(0, key.host.length() - 1) : key.host;
            try {
                params.setServerNames(List.of(new SNIHostName(name)));
            } catch (IllegalArgumentException e) {
                // Not a valid SNI name (e.g. an underscore): send none rather than fail.
            }
        }
        params.setApplicationProtocols(ALPN);
        engine.setSSLParameters(params);
        return engine;
    }

    /** IPv4 dotted quad or IPv6 (the key's host has no brackets); SNI must not carry them. */
    static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true;
        }
        int dots = 0;
        for (int i = 0; i < host.length(); i++) {
            char ch = host.charAt(i);
            if (ch == '.') {
                dots++;
            } else if (ch < '0' || ch > '9') {
                return false;
            }
        }
        return dots == 3;
    }

    /** RFC 1928 (and RFC 1929 user/password) client handshake on a connected socket. */
    static final class Socks5Handshake {
        private static final String[] REPLIES = {"succeeded", "general SOCKS server failure",
            "connection not allowed by ruleset", "network unreachable", "host unreachable",
            "connection refused", "TTL expired", "command not supported",
            "address type not supported"};

        private Socks5Handshake() {
        }

        static void run(SocketWire socket, ProxyRoute.Socks5 proxy, PoolKey key)
                throws IOException {
            ByteBuffer b = ByteBuffer.allocate(4 + 2 * 256);
            PasswordAuthentication credentials = proxy.credentials();
            if (credentials == null) {
                b.put((byte) 5).put((byte) 1).put((byte) 0);
            } else {
                b.put((byte) 5).put((byte) 2).put((byte) 0).put((byte) 2);
            }
            send(socket, b);
            receive(socket, b, 2, proxy);
            if (b.get(0) != 5) {
                throw new ProxyException(0, "proxy " + proxy + " does not speak SOCKS5");
            }
            int method = b.get(1) & 0xff;
            if (method == 2 && credentials != null) {
                authenticate(socket, b, credentials, proxy);
            } else if (method == 0xff) {
                // 407 by analogy with HTTP: the proxy wants credentials we do not have (see
                // SEAM-NOTES.md), or refuses every method we offered.
                throw new ProxyException(credentials == null ? 407 : 0, "proxy " + proxy
                        + (credentials == null ? " requires authentication"
                        : " accepts none of our authentication methods"));
            } else if (method != 0) {
                throw new ProxyException(0, "proxy " + proxy + " chose SOCKS5 method " + method
                        + ", which we did not offer");
            }
            b.clear();
            b.put((byte) 5).put((byte) 1).put((byte) 0);
            putAddress(b, proxy, key);
            b.putShort((short) key.port);
            send(socket, b);
            receive(socket, b, 4, proxy);
            int reply = b.get(1) & 0xff;
            if (b.get(0) != 5) {
                throw new ProxyException(0, "proxy " + proxy + " sent a bad SOCKS5 reply");
            }
            if (reply != 0) {
                String why = reply < REPLIES.length ? REPLIES[reply] : "reply code " + reply;
                throw new ProxyException(-reply, "proxy " + proxy + " could not connect to "
                        + key.authority + ": " + why);
            }
            int type = b.get(3) & 0xff;
            int addressBytes;
            if (type == 1) {
                addressBytes = 4;
            } else if (type == 4) {
                addressBytes = 16;
            } else if (type == 3) {
                receive(socket, b, 1, proxy);
                addressBytes = b.get(0) & 0xff;
            } else {
                throw new ProxyException(0, "proxy " + proxy + " sent address type " + type);
            }
            receive(socket, b, addressBytes + 2, proxy); // bound address and port: unused
        }

        private static void authenticate(SocketWire socket, ByteBuffer b,
                PasswordAuthentication credentials, ProxyRoute.Socks5 proxy) throws IOException {
            byte[] user = credentials.getUserName().getBytes(StandardCharsets.UTF_8);
            byte[] password =
                    new String(credentials.getPassword()).getBytes(StandardCharsets.UTF_8);
            if (user.length > 255 || password.length > 255) {
                throw new IOException("SOCKS5 user name or password longer than 255 bytes");
            }
            b.clear();
            b.put((byte) 1).put((byte) user.length).put(user).put((byte) password.length)
                    .put(password);
            send(socket, b);
            Arrays.fill(password, (byte) 0);
            receive(socket, b, 2, proxy);
            if (b.get(1) != 0) {
                throw new ProxyException(407, "proxy " + proxy + " refused our credentials");
            }
        }

        /** The destination: an IP literal as is, a name (ATYP 3) with remote DNS, else resolved. */
        private static void putAddress(ByteBuffer b, ProxyRoute.Socks5 proxy, PoolKey key)
                throws IOException {
            InetAddress address = null;
            if (isIpLiteral(key.host)) {
                address = InetAddress.getByName(key.host); // a literal: no lookup
            } else if (!proxy.remoteDns()) {
                address = InetAddress.getAllByName(key.host)[0];
            }
            if (address == null) {
                byte[] name = key.host.getBytes(StandardCharsets.US_ASCII);
                if (name.length > 255) {
                    throw new IOException("host name longer than SOCKS5 allows: " + name.length);
                }
                b.put((byte) 3).put((byte) name.length).put(name);
            } else {
                b.put((byte) (address instanceof Inet4Address ? 1 : 4)).put(address.getAddress());
            }
        }

        private static void send(SocketWire socket, ByteBuffer b) throws IOException {
            b.flip();
            socket.write(b);
            b.clear();
        }

        /** Reads exactly {@code n} bytes into {@code b} from 0; never a byte of the tunnel. */
        private static void receive(SocketWire socket, ByteBuffer b, int n, ProxyRoute.Socks5 proxy)
                throws IOException {
            b.clear().limit(n);
            while (b.hasRemaining()) {
                if (socket.read(b) < 0) {
                    throw new ProxyException(0, "proxy " + proxy
                            + " closed the connection during the SOCKS5 handshake");
                }
            }
            b.flip();
        }
    }
}
