package dev.haul.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A SOCKS5 proxy (RFC 1928) on 127.0.0.1 for tests, with optional user/password authentication
 * (RFC 1929), recording what each client asked for and counting connections.
 *
 * <pre>{@code
 * try (Socks5ProxyServer socks = Socks5ProxyServer.start().resolve("origin.test", "127.0.0.1")) {
 *     ... route requests through socks5h://127.0.0.1:socks.port() ...
 *     assertEquals(3, socks.requests().get(0).addressType()); // the name went to the proxy
 * }
 * }</pre>
 *
 * <p>A name the client sends (address type 3) is looked up in the {@link #resolve} map first, so
 * a test can prove remote resolution with a name no local resolver knows. {@link #replyWith}
 * makes every CONNECT fail with that reply code.
 */
public final class Socks5ProxyServer extends ThreadedServer {
    /** What one client asked for. */
    public record Request(List<Integer> methods, String user, String password, int addressType,
                          String host, int port) {
    }

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, String> hosts = new ConcurrentHashMap<>();
    private volatile String user;
    private volatile String password;
    private volatile int failReply;

    private Socks5ProxyServer() throws IOException {
        super("fault-proxy-socks");
    }

    /** Binds 127.0.0.1 on an ephemeral port and starts accepting. */
    public static Socks5ProxyServer start() throws IOException {
        Socks5ProxyServer proxy = new Socks5ProxyServer();
        proxy.startAccepting();
        return proxy;
    }

    /** Accepts only user/password authentication with these credentials. */
    public Socks5ProxyServer requireCredentials(String user, String password) {
        this.user = user;
        this.password = password;
        return this;
    }

    /** Answers every CONNECT with this reply code (1-8) instead of connecting. */
    public Socks5ProxyServer replyWith(int code) {
        this.failReply = code;
        return this;
    }

    /** Connects to {@code address} when a client sends the name {@code host}. */
    public Socks5ProxyServer resolve(String host, String address) {
        hosts.put(host.toLowerCase(Locale.ROOT), address);
        return this;
    }

    /** Every CONNECT request received, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    void serve(Socket client, int connectionId) throws IOException {
        DataInputStream in = new DataInputStream(client.getInputStream());
        OutputStream out = client.getOutputStream();
        if (in.readUnsignedByte() != 5) {
            return;
        }
        int count = in.readUnsignedByte();
        Integer[] methods = new Integer[count];
        for (int i = 0; i < count; i++) {
            methods[i] = in.readUnsignedByte();
        }
        List<Integer> offered = List.of(methods);
        String gotUser = null;
        String gotPassword = null;
        if (user != null) {
            if (!offered.contains(2)) {
                out.write(new byte[] {5, (byte) 0xff});
                requests.add(new Request(offered, null, null, 0, null, 0));
                return;
            }
            out.write(new byte[] {5, 2});
            if (in.readUnsignedByte() != 1) {
                return;
            }
            gotUser = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
            gotPassword = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
            boolean ok = user.equals(gotUser) && password.equals(gotPassword);
            out.write(new byte[] {1, (byte) (ok ? 0 : 1)});
            if (!ok) {
                requests.add(new Request(offered, gotUser, gotPassword, 0, null, 0));
                return;
            }
        } else {
            if (!offered.contains(0)) {
                out.write(new byte[] {5, (byte) 0xff});
                return;
            }
            out.write(new byte[] {5, 0});
        }
        int version = in.readUnsignedByte();
        int command = in.readUnsignedByte();
        in.readUnsignedByte();
        int type = in.readUnsignedByte();
        String host;
        if (type == 1) {
            host = InetAddress.getByAddress(in.readNBytes(4)).getHostAddress();
        } else if (type == 4) {
            host = InetAddress.getByAddress(in.readNBytes(16)).getHostAddress();
        } else if (type == 3) {
            host = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.US_ASCII);
        } else {
            reply(out, 8);
            return;
        }
        int port = in.readUnsignedShort();
        requests.add(new Request(offered, gotUser, gotPassword, type, host, port));
        if (version != 5 || command != 1) {
            reply(out, 7);
            return;
        }
        if (failReply != 0) {
            reply(out, failReply);
            return;
        }
        Socket upstream;
        try {
            String mapped = hosts.get(host.toLowerCase(Locale.ROOT));
            upstream = track(new Socket());
            upstream.connect(new InetSocketAddress(
                    InetAddress.getByName(mapped != null ? mapped : host), port), 5_000);
        } catch (IOException e) {
            reply(out, 5);
            return;
        }
        reply(out, 0);
        Thread back = spawn("tunnel", () -> relay(upstream, client));
        relay(client, upstream);
        try {
            back.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(upstream);
    }

    private static void reply(OutputStream out, int code) throws IOException {
        out.write(new byte[] {5, (byte) code, 0, 1, 127, 0, 0, 1, 0, 0});
        out.flush();
    }

    @Override
    public String toString() {
        return "Socks5ProxyServer[127.0.0.1:" + port() + ", connections=" + connectionCount() + "]";
    }
}
