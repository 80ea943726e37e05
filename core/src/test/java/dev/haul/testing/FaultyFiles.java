package dev.haul.testing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A factory of {@link FaultyFileChannel}s with the same two methods as the library's
 * package-private {@code FileOps} seam ({@code open} and {@code move}), so a test adapts it in one
 * line and injects local faults: disk full after N bytes, failing {@code force}, {@code close} or
 * {@code move}. With no fault set it behaves like {@link FileChannel#open} and {@link Files#move}.
 *
 * <p>The write budget is shared by every channel it opened, as free space on one disk is.
 */
public final class FaultyFiles {
  private long writeBudget = Long.MAX_VALUE;
  volatile boolean failForce;
  volatile boolean failClose;
  private volatile IOException moveFailure;
  private final List<FaultyFileChannel> opened = new CopyOnWriteArrayList<>();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger forces = new AtomicInteger();
  private final AtomicInteger forcesToFail = new AtomicInteger();
  private final List<Path[]> moves = new CopyOnWriteArrayList<>();

  /** Writes fail with "No space left on device" once {@code bytes} more have been written. */
  public synchronized FaultyFiles diskFullAfter(long bytes) {
    if (bytes < 0) throw new IllegalArgumentException("bytes < 0: " + bytes);
    this.writeBudget = bytes;
    return this;
  }

  /** When true, {@code force} throws an IOException (fsync failure). */
  public FaultyFiles failForce(boolean fail) {
    this.failForce = fail;
    return this;
  }

  /**
   * The first {@code n} calls to {@code force} throw an IOException, later ones succeed: like
   * Linux, which reports a writeback error to one fsync and not again.
   */
  public FaultyFiles failFirstForces(int n) {
    this.forcesToFail.set(n);
    return this;
  }

  /** When true, {@code close} closes the real channel and then throws an IOException. */
  public FaultyFiles failClose(boolean fail) {
    this.failClose = fail;
    return this;
  }

  /** When non-null, {@link #move} throws this (e.g. {@code AtomicMoveNotSupportedException}). */
  public FaultyFiles failMove(IOException failure) {
    this.moveFailure = failure;
    return this;
  }

  /** Same contract as {@link FileChannel#open(Path, Set, FileAttribute[])}, with the faults. */
  public FileChannel open(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes)
      throws IOException {
    FaultyFileChannel channel = new FaultyFileChannel(FileChannel.open(path, options, attributes), this);
    opened.add(channel);
    open.incrementAndGet();
    return channel;
  }

  /** Same contract as {@link Files#move}, or throws the failure set by {@link #failMove}. */
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    IOException failure = moveFailure;
    if (failure != null) throw failure;
    Files.move(source, target, options);
    moves.add(new Path[] {source, target});
  }

  /** Every channel opened so far. */
  public List<FaultyFileChannel> channels() {
    return List.copyOf(opened);
  }

  /** Channels opened and not yet closed. */
  public int openChannels() {
    return open.get();
  }

  /** Calls to {@code force} so far, failed or not. */
  public int forceCount() {
    return forces.get();
  }

  /** Successful moves so far, as {source, target}. */
  public List<Path[]> moves() {
    return List.copyOf(moves);
  }

  /** Takes up to {@code wanted} bytes from the budget; returns how many may be written. */
  synchronized long reserve(long wanted) {
    long allowed = Math.min(wanted, writeBudget);
    if (writeBudget != Long.MAX_VALUE) writeBudget -= allowed;
    return allowed;
  }

  synchronized void unreserve(long bytes) {
    if (writeBudget != Long.MAX_VALUE) writeBudget += bytes;
  }

  /** Counts a force; true when it must fail. */
  boolean forced() {
    forces.incrementAndGet();
    return failForce || forcesToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
  }

  void closed(FaultyFileChannel channel) {
    open.decrementAndGet();
  }
}
