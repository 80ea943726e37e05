package dev.haul.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The SHA-256 of a body, computed as the body arrives.
 *
 * <p>The first {@link #INLINE_BYTES} are hashed on the thread that delivers them. Past that, the
 * hashing moves to a pool shared by all downloads (one thread per CPU at most, ending after a
 * second idle), which hashes while the next buffers arrive: hashing in line costs about as much
 * time as receiving (the JDK hashes at ~1.4 GB/s here, the client receives at ~1 GB/s), so in line
 * it nearly halves the speed of a large download. The JDK client gives up its buffers once it has
 * passed them on ({@code BodySubscriber}'s contract), so they can be hashed later. At most
 * {@link #QUEUED_LISTS} buffer lists of one body wait; a deliverer that finds them all waiting
 * waits too, which keeps the memory held bounded. One body's buffers are hashed by one pool task
 * at a time, in order.
 *
 * <p>{@link #update} and {@link #finish} are called by one delivering thread at a time;
 * {@link #close} may come from any thread. A body that starts over takes a new checksum.
 */
final class Checksum {
    static final long INLINE_BYTES = 4L * 1024 * 1024;
    static final int QUEUED_LISTS = 16;
    private static final WorkerPool HASHERS = new WorkerPool(Runtime.getRuntime().availableProcessors(),
            TimeUnit.SECONDS.toNanos(1), Session.daemonThreads("haul-sha256-"));

    private final MessageDigest digest;
    private long bytes;
    private boolean handedOver;
    private final Queue<ByteBuffer[]> waiting = new ConcurrentLinkedQueue<>();
    private final Semaphore room = new Semaphore(QUEUED_LISTS);
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile boolean closed;

    Checksum() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Adds bytes already on hand (a resumed prefix), in line. Only before the first update. */
    void updateNow(ByteBuffer buffer) {
        bytes += buffer.remaining();
        digest.update(buffer);
    }

    /** Adds the remaining bytes of {@code buffers}, without moving their positions. */
    void update(List<ByteBuffer> buffers) throws InterruptedException {
        if (closed) {
            return;
        }
        if (!handedOver && bytes < INLINE_BYTES) {
            for (ByteBuffer b : buffers) {
                bytes += b.remaining();
                digest.update(b.duplicate());
            }
            return;
        }
        handedOver = true;
        ByteBuffer[] copies = new ByteBuffer[buffers.size()];
        for (int i = 0; i < copies.length; i++) {
            copies[i] = buffers.get(i).duplicate();
        }
        room.acquire();
        if (closed) {
            return;
        }
        waiting.add(copies);
        if (draining.compareAndSet(false, true)) {
            HASHERS.execute(this::drain);
        }
    }

    /** Hashes what waits, in order; runs on the shared pool, never two at once for one body. */
    private void drain() {
        while (true) {
            ByteBuffer[] list;
            while ((list = waiting.poll()) != null) {
                if (!closed) {
                    for (ByteBuffer b : list) {
                        digest.update(b);
                    }
                }
                room.release();
            }
            synchronized (this) {
                draining.set(false);
                notifyAll();
            }
            // A list added after the poll above and before the flag dropped found it still set.
            if (waiting.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }

    /** Waits for every byte to be hashed and returns the hex digest. */
    String finish() throws InterruptedException {
        synchronized (this) {
            while (draining.get() || !waiting.isEmpty()) {
                wait();
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The download ended: what waits is dropped, and a deliverer waiting for room goes on. */
    void close() {
        closed = true;
        waiting.clear();
        room.release(QUEUED_LISTS);
    }
}
