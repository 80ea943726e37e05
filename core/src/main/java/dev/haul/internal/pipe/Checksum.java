package dev.haul.internal.pipe;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.concurrent.Executor;

/**
 * The SHA-256 of a body, computed as the body arrives.
 *
 * <p>The first {@link #INLINE_BYTES} are hashed on the thread that delivers them. Past that, each
 * buffer is copied and hashed on the manager's hashing pool (one thread per CPU at most) while the
 * next buffers arrive: hashing in line costs about as much time as receiving (the JDK hashes at
 * ~1.4 GB/s here; loopback delivers 1–2 GB/s), so in line it nearly halves the speed of a large
 * download, while a copy costs a tenth of the hashing. At most {@link #QUEUED} copies of one body
 * wait; a deliverer that finds them all waiting waits too, which bounds the memory held to
 * {@code QUEUED} buffers per hashing download. Copies are reused. One body's buffers are hashed
 * by one pool task at a time, in order.
 *
 * <p>{@link #update} and {@link #finish} are called by one delivering thread at a time;
 * {@link #close} may come from any thread. A body that starts over takes a new checksum.
 */
public final class Checksum {
    static final long INLINE_BYTES = 4L * 1024 * 1024;
    static final int QUEUED = 4;

    private final Executor pool;
    private final MessageDigest digest;
    private long bytes;
    // Guarded by this.
    private final ArrayDeque<ByteBuffer> waiting = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private int copies;
    private boolean draining;
    private boolean closed;

    /** A checksum whose large bodies are hashed on {@code pool}. */
    public Checksum(Executor pool) {
        this.pool = pool;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Adds the remaining bytes of {@code buffer} without moving its position. */
    public void update(ByteBuffer buffer) throws InterruptedException {
        int n = buffer.remaining();
        if (bytes + n <= INLINE_BYTES && !handedOver()) {
            bytes += n;
            digest.update(buffer.duplicate());
            return;
        }
        bytes += n;
        ByteBuffer copy;
        boolean start;
        synchronized (this) {
            while (!closed && free.isEmpty() && copies >= QUEUED) {
                wait();
            }
            if (closed) {
                return;
            }
            copy = free.pollFirst();
            if (copy == null) {
                copies++; // fewer than QUEUED exist: make another
            }
        }
        if (copy == null || copy.capacity() < n) {
            copy = ByteBuffer.allocate(Math.max(n, 64 * 1024));
        }
        copy.clear();
        copy.put(buffer.duplicate()).flip();
        synchronized (this) {
            waiting.addLast(copy);
            start = !draining;
            draining = true;
        }
        if (start) {
            pool.execute(this::drain);
        }
    }

    private synchronized boolean handedOver() {
        return draining || !waiting.isEmpty() || copies > 0;
    }

    /** Hashes what waits, in order; runs on the pool, never two at once for one body. */
    private void drain() {
        while (true) {
            ByteBuffer next;
            synchronized (this) {
                next = waiting.pollFirst();
                if (next == null || closed) {
                    draining = false;
                    waiting.clear();
                    notifyAll();
                    return;
                }
            }
            digest.update(next);
            synchronized (this) {
                free.addLast(next);
                notifyAll();
            }
        }
    }

    /** Waits for every byte to be hashed and returns the hex digest. */
    public String finish() throws InterruptedException {
        synchronized (this) {
            while (draining) {
                wait();
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The download ended: what waits is dropped, and a deliverer waiting for room goes on. */
    public void close() {
        synchronized (this) {
            closed = true;
            waiting.clear();
            notifyAll();
        }
    }
}
