package dev.haul.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An in-process TCP proxy on 127.0.0.1 that puts Toxiproxy-style faults between a client and any
 * server: latency, bandwidth, slicing into tiny writes, a data limit, RST, blackhole-then-close,
 * a delayed close, and the whole proxy going down (connections refused).
 *
 * <pre>{@code
 * try (FaultServer server = FaultServer.start();
 *      FaultProxy proxy = FaultProxy.start(server.port())) {
 *   proxy.downstream(FaultProxy.Toxics.none().slicer(1, 0));              // one byte per write
 *   proxy.downstream(FaultProxy.Toxics.none().resetPeer(100).firstConnections(1)); // dropped once
 *   ... download proxy.url("/file") ...
 * }
 * }</pre>
 *
 * <p>Downstream means server to client (what a download reads); upstream means client to server.
 * Toxics may change while connections are open: each pump reads the current ones before every
 * chunk. Byte limits count per connection and direction. Threads are daemon, named
 * {@code fault-proxy-*}, and joined by {@link #close()}.
 */
public final class FaultProxy implements AutoCloseable {
  /** How long the bytes passed before a reset get to reach the peer (see the reset in the pump). */
  private static final long RST_SETTLE_NANOS = 100_000_000L;
  /** How often an idle pump re-reads its toxics and deadlines. */
  private static final int POLL_MS = 20;
  private static final long JOIN_MS = 3_000;

  /**
   * An immutable set of toxics for one direction; each method returns a changed copy. Negative
   * values switch a toxic off.
   */
  public static final class Toxics {
    private static final Toxics NONE = new Toxics(0, 0, 0, 0, -1, -1, -1, 0, Integer.MAX_VALUE);

    final long latencyMs;
    final long bytesPerSecond;
    final int sliceBytes;
    final long sliceDelayMicros;
    final long limitData;
    final long resetAfter;
    final long timeoutMs;
    final long slowCloseMs;
    final int firstConnections;

    private Toxics(long latencyMs, long bytesPerSecond, int sliceBytes, long sliceDelayMicros,
        long limitData, long resetAfter, long timeoutMs, long slowCloseMs, int firstConnections) {
      this.latencyMs = latencyMs;
      this.bytesPerSecond = bytesPerSecond;
      this.sliceBytes = sliceBytes;
      this.sliceDelayMicros = sliceDelayMicros;
      this.limitData = limitData;
      this.resetAfter = resetAfter;
      this.timeoutMs = timeoutMs;
      this.slowCloseMs = slowCloseMs;
      this.firstConnections = firstConnections;
    }

    /** No toxics: bytes pass unchanged. */
    public static Toxics none() {
      return NONE;
    }

    /** Delays every chunk by {@code ms} before passing it on. */
    public Toxics latency(long ms) {
      return new Toxics(ms, bytesPerSecond, sliceBytes, sliceDelayMicros, limitData, resetAfter,
          timeoutMs, slowCloseMs, firstConnections);
    }

    /** Passes at most {@code bytesPerSecond} (0 = unlimited). */
    public Toxics bandwidth(long bytesPerSecond) {
      return new Toxics(latencyMs, bytesPerSecond, sliceBytes, sliceDelayMicros, limitData,
          resetAfter, timeoutMs, slowCloseMs, firstConnections);
    }

    /** Writes at most {@code maxBytesPerWrite} per write with {@code delayMicros} between writes. */
    public Toxics slicer(int maxBytesPerWrite, long delayMicros) {
      return new Toxics(latencyMs, bytesPerSecond, maxBytesPerWrite, delayMicros, limitData,
          resetAfter, timeoutMs, slowCloseMs, firstConnections);
    }

    /** Closes the connection (FIN both ways) once {@code bytes} have passed. */
    public Toxics limitData(long bytes) {
      return new Toxics(latencyMs, bytesPerSecond, sliceBytes, sliceDelayMicros, bytes,
          resetAfter, timeoutMs, slowCloseMs, firstConnections);
    }

    /** Resets the receiving peer (RST via SO_LINGER 0) once {@code afterBytes} have passed. */
    public Toxics resetPeer(long afterBytes) {
      return new Toxics(latencyMs, bytesPerSecond, sliceBytes, sliceDelayMicros, limitData,
          afterBytes, timeoutMs, slowCloseMs, firstConnections);
    }

    /** Drops all data, then closes after {@code ms}; 0 drops forever (until the toxic goes). */
    public Toxics timeout(long ms) {
      return new Toxics(latencyMs, bytesPerSecond, sliceBytes, sliceDelayMicros, limitData,
          resetAfter, ms, slowCloseMs, firstConnections);
    }

    /** Delays passing on the sender's close (FIN) by {@code ms}. */
    public Toxics slowClose(long ms) {
      return new Toxics(latencyMs, bytesPerSecond, sliceBytes, sliceDelayMicros, limitData,
          resetAfter, timeoutMs, ms, firstConnections);
    }

    /**
     * Applies these toxics only to the first {@code k} connections accepted after they are set
     * ("dropped once" is {@code k = 1}); later ones pass clean.
     */
    public Toxics firstConnections(int k) {
      if (k < 0) throw new IllegalArgumentException("k < 0: " + k);
      return new Toxics(latencyMs, bytesPerSecond, sliceBytes, sliceDelayMicros, limitData,
          resetAfter, timeoutMs, slowCloseMs, k);
    }

    @Override
    public String toString() {
      return "Toxics[latencyMs=" + latencyMs + ", bytesPerSecond=" + bytesPerSecond
          + ", slice=" + sliceBytes + "/" + sliceDelayMicros + "us, limitData=" + limitData
          + ", resetAfter=" + resetAfter + ", timeoutMs=" + timeoutMs + ", slowCloseMs="
          + slowCloseMs + ", firstConnections=" + firstConnections + "]";
    }
  }

  /** Toxics plus the connection count when they were set, for {@code firstConnections}. */
  private static final class Applied {
    final Toxics toxics;
    final int base;

    Applied(Toxics toxics, int base) {
      this.toxics = toxics;
      this.base = base;
    }

    Toxics forConnection(int id) {
      if (toxics.firstConnections == Integer.MAX_VALUE) return toxics;
      int ordinal = id - base;
      return ordinal >= 0 && ordinal < toxics.firstConnections ? toxics : Toxics.NONE;
    }
  }

  private final InetSocketAddress target;
  private final int port;
  private volatile ServerSocket listener;
  private volatile Thread acceptor;
  private volatile Applied downstream = new Applied(Toxics.NONE, 0);
  private volatile Applied upstream = new Applied(Toxics.NONE, 0);
  private final Map<Integer, Link> links = new ConcurrentHashMap<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean down;
  private volatile boolean closed;

  private FaultProxy(InetSocketAddress target, ServerSocket listener) {
    this.target = target;
    this.listener = listener;
    this.port = listener.getLocalPort();
  }

  /** Proxies 127.0.0.1:PORT (ephemeral) to 127.0.0.1:{@code targetPort}. */
  public static FaultProxy start(int targetPort) throws IOException {
    return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
  }

  /** Proxies 127.0.0.1:PORT (ephemeral) to {@code target}. */
  public static FaultProxy start(InetSocketAddress target) throws IOException {
    FaultProxy proxy = new FaultProxy(target, bind(0));
    proxy.startAcceptor();
    return proxy;
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    return socket;
  }

  private void startAcceptor() {
    ServerSocket current = listener;
    Thread thread = new Thread(() -> acceptLoop(current), "fault-proxy-" + port + "-accept");
    thread.setDaemon(true);
    acceptor = thread;
    threads.add(thread);
    thread.start();
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT} + path, through the proxy. */
  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** Sets the server-to-client toxics; they apply at once, also to open connections. */
  public FaultProxy downstream(Toxics toxics) {
    downstream = new Applied(toxics, accepted.get());
    return this;
  }

  /** Sets the client-to-server toxics. */
  public FaultProxy upstream(Toxics toxics) {
    upstream = new Applied(toxics, accepted.get());
    return this;
  }

  public Toxics downstream() {
    return downstream.toxics;
  }

  public Toxics upstream() {
    return upstream.toxics;
  }

  /** Shortcut: adds downstream latency. */
  public FaultProxy latency(long ms) { return downstream(downstream().latency(ms)); }

  /** Shortcut: limits downstream bandwidth. */
  public FaultProxy bandwidth(long bytesPerSecond) { return downstream(downstream().bandwidth(bytesPerSecond)); }

  /** Shortcut: slices downstream writes. */
  public FaultProxy slicer(int maxBytesPerWrite, long delayMicros) {
    return downstream(downstream().slicer(maxBytesPerWrite, delayMicros));
  }

  /** Shortcut: closes after {@code bytes} downstream. */
  public FaultProxy limitData(long bytes) { return downstream(downstream().limitData(bytes)); }

  /** Shortcut: resets the client after {@code afterBytes} downstream. */
  public FaultProxy resetPeer(long afterBytes) { return downstream(downstream().resetPeer(afterBytes)); }

  /** Shortcut: blackholes downstream, closing after {@code ms} (0 = never). */
  public FaultProxy timeout(long ms) { return downstream(downstream().timeout(ms)); }

  /** Shortcut: delays the server's FIN to the client by {@code ms}. */
  public FaultProxy slowClose(long ms) { return downstream(downstream().slowClose(ms)); }

  /** Removes every toxic in both directions. */
  public FaultProxy clearToxics() {
    downstream(Toxics.NONE);
    return upstream(Toxics.NONE);
  }

  /** Takes the proxy down: open connections close and new ones are refused until {@link #up()}. */
  public synchronized FaultProxy down() {
    if (down || closed) return this;
    down = true;
    closeQuietly(listener);
    join(acceptor, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MS));
    for (Link link : links.values()) link.closeBoth();
    return this;
  }

  /** Brings the proxy back on the same port. */
  public synchronized FaultProxy up() throws IOException {
    if (!down || closed) return this;
    listener = bind(port);
    down = false;
    startAcceptor();
    return this;
  }

  public boolean isDown() {
    return down;
  }

  /** Client connections accepted so far. */
  public int connectionCount() {
    return accepted.get();
  }

  /** Client connections currently open through the proxy. */
  public int openConnections() {
    return open.get();
  }

  /** Bytes swallowed by a {@code timeout} blackhole so far, both directions. */
  public long droppedBytes() {
    return dropped.get();
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    closeQuietly(listener);
    for (Link link : links.values()) link.closeBoth();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MS);
    for (Thread thread : threads) join(thread, deadline);
  }

  private void acceptLoop(ServerSocket socket) {
    while (!closed && !down) {
      Socket client;
      try {
        client = socket.accept();
      } catch (IOException e) {
        return; // closed or taken down
      }
      int id = accepted.getAndIncrement();
      open.incrementAndGet();
      Link link = new Link(id, client);
      links.put(id, link);
      link.start();
    }
  }

  /** One proxied connection: a client socket, its upstream socket and a pump each way. */
  private final class Link {
    final int id;
    final Socket client;
    volatile Socket server;
    final AtomicInteger pumpsLeft = new AtomicInteger(2);

    Link(int id, Socket client) {
      this.id = id;
      this.client = client;
    }

    void start() {
      Thread connector = new Thread(this::connectAndPump, "fault-proxy-" + port + "-conn-" + id + "-down");
      connector.setDaemon(true);
      threads.add(connector);
      connector.start();
    }

    private void connectAndPump() {
      try {
        Socket upstreamSocket = new Socket();
        server = upstreamSocket;
        upstreamSocket.connect(target, 5_000);
        for (Socket s : new Socket[] {client, upstreamSocket}) {
          s.setTcpNoDelay(true);
          s.setSoTimeout(POLL_MS);
        }
        if (closed || down) throw new IOException("proxy closed");
        Thread up = new Thread(() -> pump(false), "fault-proxy-" + port + "-conn-" + id + "-up");
        up.setDaemon(true);
        threads.add(up);
        up.start();
      } catch (IOException e) {
        pumpsLeft.set(1);
        closeBoth();
        finished();
        return;
      }
      pump(true);
    }

    /** Copies one direction, applying the current toxics chunk by chunk. */
    private void pump(boolean isDownstream) {
      Socket src = isDownstream ? server : client;
      Socket dst = isDownstream ? client : server;
      byte[] buffer = new byte[8192];
      long passed = 0;
      long blackholeSince = -1;
      boolean sourceEnded = false;
      int n = 0;
      try {
        InputStream in = src.getInputStream();
        OutputStream out = dst.getOutputStream();
        while (!closed) {
          Toxics t = (isDownstream ? downstream : upstream).forConnection(id);
          if (t.resetAfter >= 0 && passed >= t.resetAfter) {
            // Linux drops bytes the peer has not read yet when an RST arrives; the fault is "reset
            // after N bytes reached the peer", so let the bytes passed be read first.
            if (passed > 0) sleepNanos(RST_SETTLE_NANOS);
            reset(dst);
            return;
          }
          if (t.limitData >= 0 && passed >= t.limitData) {
            closeBoth();
            return;
          }
          if (t.timeoutMs >= 0) {
            if (blackholeSince < 0) blackholeSince = System.nanoTime();
            if (t.timeoutMs > 0 && System.nanoTime() - blackholeSince >= TimeUnit.MILLISECONDS.toNanos(t.timeoutMs)) {
              closeBoth();
              return;
            }
          } else {
            blackholeSince = -1;
          }
          if (sourceEnded || (n = readOrIdle(in, buffer)) == -1) {
            // A blackhole swallows the close as well: the peer learns nothing until it times out.
            if (t.timeoutMs >= 0) {
              sourceEnded = true;
              sleepNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MS));
              continue;
            }
            if (t.slowCloseMs > 0) sleepNanos(TimeUnit.MILLISECONDS.toNanos(t.slowCloseMs));
            if (!dst.isClosed()) dst.shutdownOutput();
            return;
          }
          if (n == 0) continue; // idle: re-read toxics and deadlines
          // The read may have blocked across a toxics change: act on what is set now.
          t = (isDownstream ? downstream : upstream).forConnection(id);
          if (t.timeoutMs >= 0) {
            dropped.addAndGet(n);
            continue;
          }
          if (t.latencyMs > 0) sleepNanos(TimeUnit.MILLISECONDS.toNanos(t.latencyMs));
          for (int off = 0; off < n; ) {
            long piece = n - off;
            if (t.sliceBytes > 0) piece = Math.min(piece, t.sliceBytes);
            // Bandwidth in 50 ms quanta keeps the rate smooth without a write per byte.
            if (t.bytesPerSecond > 0) piece = Math.min(piece, Math.max(1, t.bytesPerSecond / 20));
            if (t.limitData >= 0) piece = Math.min(piece, t.limitData - passed);
            if (t.resetAfter >= 0) piece = Math.min(piece, t.resetAfter - passed);
            if (piece <= 0) break; // a byte limit is reached; the loop top acts on it
            out.write(buffer, off, (int) piece);
            off += (int) piece;
            passed += piece;
            if (t.bytesPerSecond > 0) sleepNanos(piece * 1_000_000_000L / t.bytesPerSecond);
            if (t.sliceDelayMicros > 0 && off < n) sleepNanos(t.sliceDelayMicros * 1_000L);
          }
        }
      } catch (IOException e) {
        closeBoth(); // one side failed: the connection is over both ways
      } finally {
        finished();
      }
    }

    /** Reads a chunk; 0 when nothing came within the poll interval, -1 at EOF. */
    private int readOrIdle(InputStream in, byte[] buffer) throws IOException {
      try {
        return in.read(buffer);
      } catch (SocketTimeoutException e) {
        return 0;
      }
    }

    private void reset(Socket socket) {
      try {
        socket.setSoLinger(true, 0);
      } catch (IOException ignored) {
        // already closed: nothing to reset
      }
      closeBoth();
    }

    void closeBoth() {
      closeQuietly(client);
      Socket s = server;
      if (s != null) closeQuietly(s);
    }

    private void finished() {
      if (pumpsLeft.decrementAndGet() == 0) {
        closeBoth();
        links.remove(id);
        open.decrementAndGet();
      }
    }
  }

  private static void sleepNanos(long nanos) {
    long deadline = System.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = deadline - System.nanoTime()) LockSupport.parkNanos(left);
  }

  private static void join(Thread thread, long deadline) {
    if (thread == null) return;
    try {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left > 0) thread.join(left);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception ignored) {
      // best effort
    }
  }

  @Override
  public String toString() {
    return "FaultProxy[127.0.0.1:" + port + " -> " + target + ", connections=" + accepted.get()
        + ", down=" + down + "]";
  }
}
