package dev.haul.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A {@link FileChannel} that delegates to a real one and fails on command: "No space left on
 * device" once a write budget is spent, and failures in {@code force} and {@code close}. Made by
 * {@link FaultyFiles}, which shares one write budget across its channels like a real disk.
 *
 * <p>A write that crosses the budget writes the bytes that fit and then throws, so the file holds
 * exactly the budget and a caller that never loops still sees the error.
 */
public final class FaultyFileChannel extends FileChannel {
  private final FileChannel delegate;
  private final FaultyFiles faults;
  private volatile boolean delegateClosed;

  FaultyFileChannel(FileChannel delegate, FaultyFiles faults) {
    this.delegate = delegate;
    this.faults = faults;
  }

  /** The real channel underneath. */
  public FileChannel delegate() {
    return delegate;
  }

  /** True once the real channel was closed (even when close then threw). */
  public boolean delegateClosed() {
    return delegateClosed;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return write(src, -1);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int wanted = src.remaining();
    long allowed = faults.reserve(wanted);
    int written = 0;
    if (allowed > 0) {
      ByteBuffer slice = src.duplicate();
      slice.limit(slice.position() + (int) allowed);
      written = position < 0 ? delegate.write(slice) : delegate.write(slice, position);
      src.position(src.position() + written);
      faults.unreserve(allowed - written);
    }
    if (allowed < wanted) throw new IOException("No space left on device");
    return written;
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      while (srcs[i].hasRemaining()) {
        int n = write(srcs[i]);
        if (n == 0) return total;
        total += n;
      }
    }
    return total;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    if (faults.forced()) throw new IOException("Input/output error (injected force failure)");
    delegate.force(metaData);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    try {
      delegate.close();
    } finally {
      delegateClosed = true;
      faults.closed(this);
    }
    if (faults.failClose) throw new IOException("Input/output error (injected close failure)");
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    // Route through write() so the budget applies to this path as well.
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(64 * 1024, Math.max(1, count)));
    long done = 0;
    while (done < count) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
      int n = src.read(buffer);
      if (n <= 0) break;
      buffer.flip();
      while (buffer.hasRemaining()) done += write(buffer, position + done);
    }
    return done;
  }

  // Everything below only delegates.

  @Override public int read(ByteBuffer dst) throws IOException { return delegate.read(dst); }

  @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return delegate.read(dsts, offset, length);
  }

  @Override public int read(ByteBuffer dst, long position) throws IOException { return delegate.read(dst, position); }

  @Override public long position() throws IOException { return delegate.position(); }

  @Override public FileChannel position(long newPosition) throws IOException {
    delegate.position(newPosition);
    return this;
  }

  @Override public long size() throws IOException { return delegate.size(); }

  @Override public FileChannel truncate(long size) throws IOException {
    delegate.truncate(size);
    return this;
  }

  @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return delegate.transferTo(position, count, target);
  }

  @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return delegate.map(mode, position, size);
  }

  @Override public FileLock lock(long position, long size, boolean shared) throws IOException {
    return delegate.lock(position, size, shared);
  }

  @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return delegate.tryLock(position, size, shared);
  }
}
