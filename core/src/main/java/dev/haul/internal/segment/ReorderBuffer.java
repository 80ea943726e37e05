package dev.haul.internal.segment;

import dev.haul.internal.pipe.BodyTarget;
import dev.haul.internal.sink.PositionalSink;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts the bytes of several connections back in order for a destination that takes them only in
 * order (a chunk callback). Bytes at the frontier go straight through; bytes ahead of it wait in
 * heap copies, at most {@link #budget} bytes in all, and a connection whose bytes do not fit waits
 * until the frontier moves. The connection at the frontier never waits, so the download cannot
 * deadlock. Deliveries are serialized: one thread at a time hands bytes to the target, and never
 * while this buffer's lock is held.
 */
public final class ReorderBuffer implements PositionalSink {
    private final BodyTarget target;
    private final long budget;
    private final Object lock = new Object();
    // Guarded by lock.
    private final TreeMap<Long, byte[]> waiting = new TreeMap<>();
    private long frontier;
    private long buffered;
    private boolean delivering;
    private boolean closed;
    private IOException failure;

    /**
     * @param target where the bytes go, in order, from {@code frontier}
     * @param budget the most bytes held ahead of the frontier
     */
    public ReorderBuffer(BodyTarget target, long frontier, long budget) {
        this.target = target;
        this.frontier = frontier;
        this.budget = budget;
    }

    /** The most bytes held ahead of the frontier. */
    public long budget() {
        return budget;
    }

        /** The bytes delivered in order so far. */
    public long frontier() {
        synchronized (lock) {
            return frontier;
        }
    }

    @Override
    public void writeAt(long position, ByteBuffer src) throws dev.haul.DownloadException {
        try {
            put(position, src);
        } catch (dev.haul.DownloadException e) {
            throw e;
        } catch (IOException e) {
            throw new dev.haul.DownloadException(dev.haul.DownloadException.Reason.LOCAL_IO, null,
                    e.getMessage(), e);
        }
    }

    private void put(long position, ByteBuffer src) throws IOException {
        int n = src.remaining();
        synchronized (lock) {
            while (true) {
                check();
                if (position + n <= frontier) {
                    return; // delivered already (a range fetched twice after a steal)
                }
                if (position <= frontier && !delivering) {
                    delivering = true;
                    src.position(src.position() + (int) (frontier - position));
                    break;
                }
                if (position > frontier && buffered + n <= budget) {
                    byte[] copy = new byte[n];
                    src.get(copy);
                    waiting.merge(position, copy, (a, b) -> a.length >= b.length ? a : b);
                    buffered += n;
                    lock.notifyAll();
                    return;
                }
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reordering");
                }
            }
        }
        deliver(src);
    }

    /** Hands {@code src} and then every waiting piece that joins the frontier to the target. */
    private void deliver(ByteBuffer first) throws IOException {
        ByteBuffer next = first;
        try {
            while (next != null) {
                int n = next.remaining();
                target.write(next);
                synchronized (lock) {
                    frontier += n;
                    next = null;
                    while (!waiting.isEmpty()) {
                        Map.Entry<Long, byte[]> e = waiting.firstEntry();
                        long end = e.getKey() + e.getValue().length;
                        if (end <= frontier) { // overtaken: drop it
                            waiting.pollFirstEntry();
                            buffered -= e.getValue().length;
                            continue;
                        }
                        if (e.getKey() > frontier) {
                            break;
                        }
                        waiting.pollFirstEntry();
                        buffered -= e.getValue().length;
                        next = ByteBuffer.wrap(e.getValue(), (int) (frontier - e.getKey()),
                                (int) (end - frontier));
                        break;
                    }
                    if (next == null) {
                        delivering = false;
                    }
                    lock.notifyAll();
                }
            }
        } catch (IOException | RuntimeException e) {
            synchronized (lock) {
                delivering = false;
                failure = e instanceof IOException io ? io : new IOException(e);
                lock.notifyAll();
            }
            throw e;
        }
    }

    private void check() throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (closed) {
            throw new InterruptedIOException("the download stopped");
        }
    }

    /** Wakes every waiting connection: the download stops. */
    void close() {
        synchronized (lock) {
            closed = true;
            waiting.clear();
            buffered = 0;
            lock.notifyAll();
        }
    }
}
