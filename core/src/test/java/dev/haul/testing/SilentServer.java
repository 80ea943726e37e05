package dev.haul.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * Accepts TCP connections on 127.0.0.1 and never sends a byte: a TLS handshake, a proxy
 * handshake or a response that never comes, to test connect timeouts and aborts. It reads and
 * discards what clients send, so their writes never block, until {@link #close()}.
 */
public final class SilentServer extends ThreadedServer {
    private SilentServer() throws IOException {
        super("fault-server-silent");
    }

    /** Binds 127.0.0.1 on an ephemeral port and starts accepting. */
    public static SilentServer start() throws IOException {
        SilentServer server = new SilentServer();
        server.startAccepting();
        return server;
    }

    @Override
    void serve(Socket socket, int connectionId) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] sink = new byte[4096];
        while (in.read(sink) != -1) {
            // discard
        }
    }
}
