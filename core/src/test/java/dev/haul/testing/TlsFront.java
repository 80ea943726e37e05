package dev.haul.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * Terminates TLS in front of a plain server (usually a {@link FaultServer}), so every fault
 * script can run over https: each accepted connection does a server handshake with the given
 * context and then relays plaintext to the backend, both ways.
 *
 * <p>It records the SNI name each client sent (the empty string when none) and counts failed
 * handshakes. When the backend ends a connection, the front either sends close_notify (the
 * default) or, after {@link #withoutCloseNotify()}, just closes TCP: the truncation a client must
 * not take for a clean end of a framed body.
 */
public final class TlsFront extends ThreadedServer {
    private final SSLContext context;
    private final int backendPort;
    private final List<String> serverNames = new CopyOnWriteArrayList<>();
    private final AtomicInteger handshakeFailures = new AtomicInteger();
    private volatile boolean closeNotify = true;

    private TlsFront(SSLContext context, int backendPort, InetAddress bind) throws IOException {
        super("fault-server-tls", bind);
        this.context = context;
        this.backendPort = backendPort;
    }

    /** Serves TLS on 127.0.0.1 with {@code context}, relaying to 127.0.0.1:{@code backendPort}. */
    public static TlsFront start(SSLContext context, int backendPort) throws IOException {
        TlsFront front = new TlsFront(context, backendPort, InetAddress.getLoopbackAddress());
        front.startAccepting();
        return front;
    }

    /** Ends connections by closing TCP without close_notify. */
    public TlsFront withoutCloseNotify() {
        this.closeNotify = false;
        return this;
    }

    /** {@code https://127.0.0.1:PORT} + path. */
    public URI uri(String path) {
        return URI.create("https://127.0.0.1:" + port() + path);
    }

    /** {@code https://HOST:PORT} + path, for a host that resolves to 127.0.0.1. */
    public URI uri(String host, String path) {
        return URI.create("https://" + host + ":" + port() + path);
    }

    /** The SNI host name of every completed handshake, in order ("" when the client sent none). */
    public List<String> serverNames() {
        return new ArrayList<>(serverNames);
    }

    /** Handshakes that failed (an untrusted certificate, a wrong host name, plain text...). */
    public int handshakeFailures() {
        return handshakeFailures.get();
    }

    @Override
    void serve(Socket plain, int connectionId) throws IOException {
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, null, true);
        tls.setUseClientMode(false);
        try {
            tls.startHandshake();
        } catch (SSLException e) {
            handshakeFailures.incrementAndGet();
            return;
        }
        String name = "";
        if (tls.getSession() instanceof ExtendedSSLSession) {
            ExtendedSSLSession session = (ExtendedSSLSession) tls.getSession();
            for (SNIServerName n : session.getRequestedServerNames()) {
                if (n instanceof SNIHostName) {
                    name = ((SNIHostName) n).getAsciiName();
                }
            }
        }
        serverNames.add(name);
        Socket backend = track(new Socket());
        backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), backendPort),
                5_000);
        Thread up = spawn("up", () -> {
            relayPlain(tls, backend);
        });
        try {
            byte[] buffer = new byte[16 * 1024];
            for (int n; (n = backend.getInputStream().read(buffer)) != -1; ) {
                tls.getOutputStream().write(buffer, 0, n);
                tls.getOutputStream().flush();
            }
        } catch (IOException e) {
            // either side went away
        }
        if (closeNotify) {
            closeQuietly(tls); // sends close_notify, then closes the socket underneath
        } else {
            closeQuietly(plain); // TCP FIN without close_notify
        }
        closeQuietly(backend);
        try {
            up.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void relayPlain(SSLSocket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            for (int n; (n = from.getInputStream().read(buffer)) != -1; ) {
                to.getOutputStream().write(buffer, 0, n);
                to.getOutputStream().flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(to);
        }
    }

    @Override
    public String toString() {
        return "TlsFront[127.0.0.1:" + port() + " -> " + backendPort + "]";
    }
}
