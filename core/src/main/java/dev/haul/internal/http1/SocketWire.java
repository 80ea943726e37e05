package dev.haul.internal.http1;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * One TCP connection as a {@link Wire}, in one of two modes chosen by the thread that uses it.
 *
 * <p><b>Selector mode</b> (platform threads, and every connect phase): the channel is
 * non-blocking and has a {@link Selector} of its own. A read drains what the kernel holds; only
 * when nothing is there does the thread wait in {@code select}. Measured on loopback, this costs
 * a third of the CPU of parking in a blocking {@code recv}.
 *
 * <p><b>Blocking mode</b> (virtual threads, after connecting): the channel blocks, and the JDK
 * parks the virtual thread instead of its carrier, which is what a selector would do anyway.
 *
 * <p>While a deadline is set (the connect phase), every wait is bounded by it and running out
 * throws {@link ConnectException} "... timed out". {@link #abort()} may come from any thread: it
 * closes the channel and the selector, so a thread waiting in either wakes up and throws.
 */
final class SocketWire implements Wire {

    private volatile SocketChannel channel;
    private volatile Selector selector;
    private SelectionKey key;
    private boolean blocking;
    private long deadlineNanos;
    private boolean hasDeadline;
    private String deadlineMessage;
    private volatile boolean closed;
    private final ByteBuffer probe = ByteBuffer.allocate(1);

    /**
     * Connects a new channel to {@code address} in selector mode; the previous channel, if a
     * previous address failed, is closed first.
     */
    void connect(InetSocketAddress address) throws IOException {
        closeChannel();
        SocketChannel ch = SocketChannel.open();
        channel = ch;
        if (closed) {
            ch.close();
            throw closedException();
        }
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Selector sel = selector;
            if (sel == null) {
                sel = Selector.open();
                selector = sel;
                if (closed) {
                    sel.close();
                    throw closedException();
                }
            }
            key = ch.register(sel, SelectionKey.OP_CONNECT);
            blocking = false;
            if (!ch.connect(address)) {
                while (!ch.finishConnect()) {
                    await(SelectionKey.OP_CONNECT);
                }
            }
            key.interestOps(SelectionKey.OP_READ);
        } catch (ConnectException e) {
            throw closed ? closedException() : e;
        } catch (SocketException e) {
            // NoRouteToHost and friends: still a failure to connect, as callers classify it.
            if (closed) {
                throw closedException();
            }
            ConnectException ce = new ConnectException(e.getMessage() + " (" + address + ")");
            ce.initCause(e);
            throw ce;
        } catch (ClosedSelectorException | CancelledKeyException e) {
            throw closedException();
        }
    }

    /** Bounds every later wait by {@code deadlineNanos} (a {@code System.nanoTime()} value). */
    void deadline(long nanos, String timeoutMessage) {
        this.deadlineNanos = nanos;
        this.deadlineMessage = timeoutMessage;
        this.hasDeadline = true;
    }

    /** Lets waits last as long as they need (the caller's abort ends them). */
    void clearDeadline() {
        this.hasDeadline = false;
    }

    /** Switches to blocking mode: closes the selector, which deregisters the channel. */
    void useBlocking() throws IOException {
        if (blocking) {
            return;
        }
        Selector sel = selector;
        selector = null;
        key = null;
        if (sel != null) {
            sel.close();
        }
        channel.configureBlocking(true);
        blocking = true;
        if (closed) {
            throw closedException();
        }
    }

    /** Switches to selector mode: a fresh selector, the channel non-blocking. */
    void useSelector() throws IOException {
        if (!blocking) {
            return;
        }
        SocketChannel ch = channel;
        ch.configureBlocking(false);
        Selector sel = Selector.open();
        selector = sel;
        if (closed) {
            sel.close();
            throw closedException();
        }
        key = ch.register(sel, SelectionKey.OP_READ);
        blocking = false;
    }

    boolean blocking() {
        return blocking;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        SocketChannel ch = channel;
        if (blocking) {
            return ch.read(dst);
        }
        int total = 0;
        while (true) {
            int n = ch.read(dst);
            if (n > 0) {
                total += n;
                if (!dst.hasRemaining()) {
                    return total;
                }
            } else if (n < 0) {
                return total > 0 ? total : -1;
            } else if (total > 0) {
                return total;
            } else {
                await(SelectionKey.OP_READ);
            }
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        SocketChannel ch = channel;
        while (src.hasRemaining()) {
            if (ch.write(src) == 0 && !blocking) {
                await(SelectionKey.OP_WRITE);
            }
        }
    }

    /** One non-blocking write attempt, for a goodbye that must never wait (close_notify). */
    void tryWrite(ByteBuffer src) {
        SocketChannel ch = channel;
        try {
            if (blocking) {
                ch.configureBlocking(false);
            }
            ch.write(src);
        } catch (IOException | RuntimeException e) {
            // best effort: the connection is being closed either way
        }
    }

    @Override
    public boolean hasBufferedInput() {
        return false;
    }

    /**
     * Whether an idle connection is still quiet: nothing to read and no EOF. A server that closed
     * (or wrote anything) while the connection sat in the pool makes it unusable.
     */
    boolean probeIdle() {
        if (closed) {
            return false;
        }
        SocketChannel ch = channel;
        try {
            if (blocking) {
                ch.configureBlocking(false);
            }
            probe.clear();
            int n = ch.read(probe);
            if (blocking) {
                ch.configureBlocking(true);
            }
            return n == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void await(int ops) throws IOException {
        if (closed) {
            throw closedException();
        }
        try {
            Selector sel = selector;
            SelectionKey k = key;
            if (k.interestOps() != ops) {
                k.interestOps(ops);
            }
            if (!hasDeadline) {
                sel.select(SocketWire::ignore);
            } else {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new ConnectTimeoutException(deadlineMessage);
                }
                sel.select(SocketWire::ignore, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        } catch (ClosedSelectorException | CancelledKeyException e) {
            // abort() closed the selector (or cancelled the key) under our feet
            throw closedException();
        }
        if (closed) {
            throw closedException();
        }
    }

    private static IOException closedException() {
        return new IOException("connection aborted");
    }

    /** Closes the channel and the selector from any thread; a thread blocked in either wakes up. */
    void abort() {
        closed = true;
        closeChannel();
        Selector sel = selector;
        if (sel != null) {
            // close() wakes a thread in select() first, then waits for it to leave: bounded.
            try {
                sel.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }

    /** Closes the connection (owner thread); same as {@link #abort()}. */
    void close() {
        abort();
    }

    boolean isClosed() {
        return closed;
    }

    private void closeChannel() {
        SocketChannel ch = channel;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // the descriptor is released either way
            }
        }
    }

    /** select(action) instead of selectedKeys(): no HashSet node is allocated per wait. */
    private static void ignore(SelectionKey key) {
        // the caller retries its read or write after the wait: a ready key needs nothing here
    }
}
