package dev.haul.daemon;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A static-file HTTP/1.1 server on raw sockets that counts <em>connections</em>: how many are
 * open at once (from accept until either side closes) and the most ever open, which is what a
 * server's per-client connection limit sees. Keep-alive, {@code Range} with {@code If-Range}
 * ({@code 206}), a strong ETag, and a pace per connection so downloads last long enough to
 * overlap.
 */
final class CountingServer implements AutoCloseable {
    private final ServerSocket socket;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "counting-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger current = new AtomicInteger();
    private final AtomicInteger max = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Map<String, AtomicLong> lastRequestNanos = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final long bytesPerSecond;
    private volatile boolean closed;

    CountingServer(long bytesPerSecondPerConnection) throws IOException {
        this.bytesPerSecond = bytesPerSecondPerConnection;
        this.socket = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    String url(String path) {
        return "http://127.0.0.1:" + socket.getLocalPort() + path;
    }

    CountingServer file(String path, byte[] body) {
        files.put(path, body);
        return this;
    }

    /** The most connections that were ever open at once. */
    int maxOpen() {
        return max.get();
    }

    int open() {
        return current.get();
    }

    int accepted() {
        return accepted.get();
    }

    int requests(String path) {
        AtomicInteger n = requests.get(path);
        return n == null ? 0 : n.get();
    }

    /** When the last request for {@code path} arrived ({@link System#nanoTime()}), or 0. */
    long lastRequestNanos(String path) {
        AtomicLong t = lastRequestNanos.get(path);
        return t == null ? 0 : t.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            int now = current.incrementAndGet();
            max.accumulateAndGet(now, Math::max);
            open.add(s);
            threads.execute(() -> serve(s));
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            BufferedInputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return; // the client closed
                }
                if (!respond(head, s, in, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away (a killed daemon's connections are reset)
        } finally {
            open.remove(s);
            current.decrementAndGet();
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) {
                return b.toString();
            }
            if (b.length() > 16 * 1024) {
                throw new IOException("head too long");
            }
        }
        return null;
    }

    private boolean respond(String head, Socket s, BufferedInputStream in, OutputStream out)
            throws IOException {
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        String path = requestLine.length > 1 ? requestLine[1] : "/";
        String range = null;
        String ifRange = null;
        boolean close = false;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (name) {
                case "range" -> range = value;
                case "if-range" -> ifRange = value;
                case "connection" -> close = value.equalsIgnoreCase("close");
                default -> { }
            }
        }
        requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        lastRequestNanos.computeIfAbsent(path, p -> new AtomicLong()).set(System.nanoTime());
        byte[] body = files.get(path);
        if (body == null) {
            write(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            return !close;
        }
        String etag = "\"" + Integer.toHexString(java.util.Arrays.hashCode(body)) + "\"";
        long from = 0;
        long to = body.length - 1L;
        boolean partial = false;
        if (range != null && range.startsWith("bytes=") && (ifRange == null
                || ifRange.equals(etag))) {
            String[] ab = range.substring(6).split("-", -1);
            from = Long.parseLong(ab[0]);
            if (ab.length > 1 && !ab[1].isEmpty()) {
                to = Math.min(to, Long.parseLong(ab[1]));
            }
            partial = true;
        }
        boolean headOnly = requestLine[0].equals("HEAD");
        StringBuilder h = new StringBuilder();
        if (partial && from >= body.length) {
            write(out, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */"
                    + body.length + "\r\nContent-Length: 0\r\n\r\n");
            return !close;
        }
        long length = to - from + 1;
        h.append(partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n");
        h.append("ETag: ").append(etag).append("\r\nAccept-Ranges: bytes\r\n");
        if (partial) {
            h.append("Content-Range: bytes ").append(from).append('-').append(to).append('/')
                    .append(body.length).append("\r\n");
        }
        h.append("Content-Length: ").append(length).append("\r\n\r\n");
        write(out, h.toString());
        if (!headOnly) {
            pacedWrite(s, in, out, body, (int) from, (int) length);
        }
        return !close;
    }

    private void pacedWrite(Socket s, BufferedInputStream in, OutputStream out, byte[] body,
            int from, int length) throws IOException {
        long start = System.nanoTime();
        int sent = 0;
        while (sent < length) {
            int n = Math.min(16 * 1024, length - sent);
            out.write(body, from + sent, n);
            sent += n;
            if (bytesPerSecond > 0) {
                long wait = start + sent * 1_000_000_000L / bytesPerSecond - System.nanoTime();
                if (wait > 0 && closedWhileWaiting(s, in, wait)) {
                    throw new IOException("the client closed the connection");
                }
            }
        }
        out.flush();
    }

    /**
     * The server's pace between two writes, spent watching the socket: a client that closes
     * (or resets) the connection is seen at once, as a real server's event loop sees it, not at
     * the next paced write. So "open at once" counts what the client holds, not the lag of a
     * sleeping server thread. True when the client closed.
     */
    private static boolean closedWhileWaiting(Socket s, BufferedInputStream in, long waitNanos)
            throws IOException {
        long until = System.nanoTime() + waitNanos;
        while (true) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            s.setSoTimeout((int) Math.max(1, left / 1_000_000));
            try {
                in.mark(1);
                int c = in.read();
                if (c < 0) {
                    return true;
                }
                in.reset(); // the next request's first byte: keep it, and keep the pace
                if (until - System.nanoTime() > 0) {
                    sleepNanos(until - System.nanoTime());
                }
                return false;
            } catch (java.net.SocketTimeoutException e) {
                // nothing from the client while waiting: the pace continues
            } finally {
                s.setSoTimeout(0);
            }
        }
    }

    private static void sleepNanos(long nanos) throws IOException {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos); // the server's pace, not a test's wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
        threads.shutdownNow();
    }
}
