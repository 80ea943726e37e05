package dev.haul.internal.pipe;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The copy loops' buffers: direct, so a socket read and a file write need no copy through the
 * heap, and reused, because a direct buffer is costly to allocate and is freed only by the garbage
 * collector. A few idle buffers are kept; more are dropped.
 */
public final class BufferPool {
    /**
     * 256 KiB: large reads cost fewer system calls; the bake-off's fastest readers used this size.
     */
    public static final int BUFFER_BYTES = 256 * 1024;

    private final int maxIdle;
    private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();

    public BufferPool(int maxIdle) {
        this.maxIdle = maxIdle;
    }

    /** A cleared buffer of {@link #BUFFER_BYTES}. */
    public ByteBuffer take() {
        synchronized (idle) {
            ByteBuffer b = idle.pollFirst();
            if (b != null) {
                return b.clear();
            }
        }
        return ByteBuffer.allocateDirect(BUFFER_BYTES);
    }

    /** Gives {@code buffer} back; the caller must not use it again. */
    public void give(ByteBuffer buffer) {
        if (buffer == null) {
            return;
        }
        synchronized (idle) {
            if (idle.size() < maxIdle) {
                idle.addFirst(buffer);
            }
        }
    }
}
