package dev.haul.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The plumbing the test proxies and the TLS front share: a listener on loopback, a named daemon
 * thread per connection (and per relay direction), every socket and thread tracked so that
 * {@link #close()} closes them all and joins the threads, leaving nothing for {@link LeakCheck}.
 */
abstract class ThreadedServer implements AutoCloseable {
    private static final long JOIN_MS = 3_000;

    private final ServerSocket listener;
    private final String name;
    private final Thread acceptor;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger threadIds = new AtomicInteger();
    private volatile boolean closed;

    ThreadedServer(String name) throws IOException {
        this(name, InetAddress.getLoopbackAddress());
    }

    ThreadedServer(String name, InetAddress bindAddress) throws IOException {
        this.name = name;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(bindAddress, 0), 50);
        this.acceptor = new Thread(this::acceptLoop, name + "-accept-" + port());
        acceptor.setDaemon(true);
    }

    /** Starts accepting; subclasses call it at the end of their factory. */
    final void startAccepting() {
        acceptor.start();
    }

    /** Serves one accepted connection on its own thread; the socket is closed afterwards. */
    abstract void serve(Socket socket, int connectionId) throws IOException;

    /** The port this server listens on. */
    public final int port() {
        return listener.getLocalPort();
    }

    /** TCP connections accepted so far. */
    public final int connectionCount() {
        return accepted.get();
    }

    /** Waits until {@code n} connections have been accepted; false on timeout. */
    public final boolean awaitConnections(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (accepted) {
            while (accepted.get() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(accepted, left);
            }
            return true;
        }
    }

    final boolean isClosed() {
        return closed;
    }

    /** Tracks a socket this server opened (e.g. to a target) so close() closes it too. */
    final Socket track(Socket socket) {
        sockets.add(socket);
        if (closed) {
            closeQuietly(socket);
        }
        return socket;
    }

    /** Runs {@code task} on a new tracked daemon thread. */
    final Thread spawn(String role, Runnable task) {
        Thread t = new Thread(task, name + "-" + port() + "-" + role + "-"
                + threadIds.getAndIncrement());
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return t;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                return;
            }
            int id;
            synchronized (accepted) {
                id = accepted.getAndIncrement();
                accepted.notifyAll();
            }
            track(socket);
            spawn("conn", () -> {
                try {
                    serve(socket, id);
                } catch (IOException | RuntimeException e) {
                    // the client or the target went away; the connection ends
                } finally {
                    closeQuietly(socket);
                }
            });
        }
    }

    /**
     * Copies {@code from} to {@code to} until either ends, then half-closes {@code to} so the
     * other side sees the end; runs on the calling thread.
     */
    static void relay(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buffer)) != -1; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(to);
            closeQuietly(from);
        }
    }

    /** Closes the listener and every socket, then joins every thread (bounded). */
    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MS);
        join(acceptor, deadline);
        // Threads may start more threads while we join: go round until the list is stable.
        for (int round = 0; round < 3; round++) {
            for (Thread t : threads) {
                join(t, deadline);
            }
            for (Socket s : sockets) {
                closeQuietly(s);
            }
        }
    }

    private static void join(Thread t, long deadline) {
        try {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left > 0) {
                t.join(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // best effort
        }
    }

    /** Reads a CRLF- or LF-terminated line as ISO-8859-1; null at EOF before any byte. */
    static String readLine(InputStream in, int max) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (sb.length() == 0) {
                    return null;
                }
                throw new IOException("EOF in the middle of a line");
            }
            if (b == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            if (sb.length() >= max) {
                throw new IOException("line longer than " + max);
            }
            sb.append((char) b);
        }
    }
}
