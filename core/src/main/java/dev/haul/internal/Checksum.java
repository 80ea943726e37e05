package dev.haul.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The SHA-256 of a body, computed as the body arrives.
 *
 * <p>The first {@link #INLINE_BYTES} are hashed on the thread that delivers them. Past that, a
 * helper thread hashes while the next buffers arrive: hashing in line costs as much time as
 * receiving (the JDK hashes at ~1.4 GB/s here, the client receives at ~1 GB/s), so in line it
 * nearly halves the speed of a large download. The JDK client gives up its buffers once it has
 * passed them on ({@code BodySubscriber}'s contract), so they can be hashed later; at most
 * {@link #QUEUED_LISTS} buffer lists wait, and a delivering thread that finds the queue full waits
 * for the hasher, which keeps the memory held bounded.
 *
 * <p>{@link #update} and {@link #finish} are called by one delivering thread at a time;
 * {@link #close} may come from any thread. A body that starts over takes a new checksum.
 */
final class Checksum {
    static final long INLINE_BYTES = 4L * 1024 * 1024;
    static final int QUEUED_LISTS = 16;
    private static final List<ByteBuffer> END = List.of();

    private final MessageDigest digest;
    private long bytes;
    private volatile BlockingQueue<List<ByteBuffer>> queue;
    private volatile Thread hasher;
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
        if (queue == null && bytes < INLINE_BYTES) {
            for (ByteBuffer b : buffers) {
                bytes += b.remaining();
                digest.update(b.duplicate());
            }
            return;
        }
        BlockingQueue<List<ByteBuffer>> q = queue;
        if (q == null && (q = startHasher()) == null) {
            return; // closed meanwhile
        }
        ByteBuffer[] copies = new ByteBuffer[buffers.size()];
        for (int i = 0; i < copies.length; i++) {
            copies[i] = buffers.get(i).duplicate();
        }
        q.put(List.of(copies));
    }

    /** Starts the helper and returns its queue, or null when closed already. */
    private synchronized BlockingQueue<List<ByteBuffer>> startHasher() {
        if (closed) {
            return null;
        }
        BlockingQueue<List<ByteBuffer>> q = new ArrayBlockingQueue<>(QUEUED_LISTS);
        Thread t = new Thread(() -> {
            try {
                for (List<ByteBuffer> list = q.take(); list != END; list = q.take()) {
                    for (ByteBuffer b : list) {
                        digest.update(b); // the digest is ours alone until finish() joins us
                    }
                }
            } catch (InterruptedException e) {
                // closed
            }
        }, "haul-sha256");
        t.setDaemon(true);
        queue = q;
        hasher = t;
        t.start();
        return q;
    }

    /** Waits for every byte to be hashed and returns the hex digest. */
    String finish() throws InterruptedException {
        Thread t = hasher;
        if (t != null) {
            queue.put(END);
            t.join();
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The download ended: stops the helper thread, if any, without waiting for it. */
    synchronized void close() {
        closed = true;
        if (hasher != null) {
            queue.clear(); // unblocks a delivering thread waiting to put
            hasher.interrupt();
        }
    }
}
