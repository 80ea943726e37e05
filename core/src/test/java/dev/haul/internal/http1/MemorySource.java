package dev.haul.internal.http1;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * An in-memory {@link ByteSource} that hands out its bytes in pieces: all at once, one byte per
 * read, or random sizes from a seeded generator, so the parser meets every read boundary without
 * a socket.
 */
final class MemorySource implements ByteSource {
    private final byte[] data;
    private final SplittableRandom random;
    private final int maxPiece;
    private int position;
    private int reads;

    /** Pieces of at most {@code maxPiece} bytes, sized at random when {@code random} is set. */
    MemorySource(byte[] data, int maxPiece, SplittableRandom random) {
        this.data = data;
        this.maxPiece = maxPiece;
        this.random = random;
    }

    static MemorySource whole(byte[] data) {
        return new MemorySource(data, Integer.MAX_VALUE, null);
    }

    static MemorySource oneByteAtATime(byte[] data) {
        return new MemorySource(data, 1, null);
    }

    @Override
    public int read(ByteBuffer dst) {
        if (!dst.hasRemaining()) {
            throw new AssertionError("read() called with no room in the buffer");
        }
        reads++;
        if (position == data.length) {
            return -1;
        }
        int piece = random == null ? maxPiece : 1 + random.nextInt(maxPiece);
        int n = Math.min(Math.min(dst.remaining(), data.length - position), piece);
        dst.put(data, position, n);
        position += n;
        return n;
    }

    /** Whether every byte has been handed out. */
    boolean exhausted() {
        return position == data.length;
    }

    int position() {
        return position;
    }

    int reads() {
        return reads;
    }
}
