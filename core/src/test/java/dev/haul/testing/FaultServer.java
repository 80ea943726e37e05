package dev.haul.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A raw-socket HTTP/1.1 server on 127.0.0.1 that answers each request by running a script of wire
 * steps, like curl's test server: exact bytes, broken framing, slow writes, stalls, FIN and RST.
 *
 * <pre>{@code
 * try (FaultServer server = FaultServer.start()) {
 *   server.enqueue("/file", Responses.ok(body).resetAfter(100));    // response 1 of /file
 *   server.handle("/file", ServeBytes.of(body));                     // every later response
 *   ... download server.url("/file") ...
 *   assertEquals("bytes=100-", server.lastRequest("/file").header("Range"));
 * }
 * }</pre>
 *
 * <p>For a request the server takes, in order: the next queued response for its path, the
 * path's handler, the fallback handler, or a 404. It records every request and counts
 * connections, bytes written per connection and writes that failed because the client had gone,
 * so a test can assert that a cancelled download really stopped reading.
 *
 * <p>Each connection runs on its own daemon thread named {@code fault-server-*}; {@link #close()}
 * closes every socket and joins those threads, so a {@link LeakCheck} sees none left.
 */
public final class FaultServer implements AutoCloseable {
  /** Upper bound on a request head; a client sending more is cut off rather than buffered. */
  private static final int MAX_HEAD_BYTES = 64 * 1024;
  /** How often a waiting connection looks for the client having closed. */
  private static final long PEER_POLL_MS = 20;
  /** How long bytes written before an RST get to reach the client (see the RST end). */
  private static final long RST_SETTLE_MS = 100;
  /** How long close() waits for the server's threads to end. */
  private static final long JOIN_MS = 3_000;

  private final ServerSocket listener;
  private final Thread acceptor;
  private final Map<String, Queue<Response>> queues = new ConcurrentHashMap<>();
  private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
  private volatile Handler fallback;
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> pathCounts = new ConcurrentHashMap<>();
  private final Map<Integer, Connection> connections = new ConcurrentHashMap<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger peerClosedWrites = new AtomicInteger();
  private final List<Throwable> handlerFailures = new CopyOnWriteArrayList<>();
  private volatile CountDownLatch stalls = new CountDownLatch(1);
  private volatile boolean closed;

  private FaultServer(ServerSocket listener) {
    this.listener = listener;
    this.acceptor = new Thread(this::acceptLoop, "fault-server-accept-" + listener.getLocalPort());
    acceptor.setDaemon(true);
  }

  /** Binds 127.0.0.1 on an ephemeral port and starts accepting. */
  public static FaultServer start() throws IOException {
    ServerSocket listener = new ServerSocket();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    FaultServer server = new FaultServer(listener);
    server.acceptor.start();
    return server;
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** {@code http://127.0.0.1:PORT} + path. */
  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  public URI uri(String path) {
    return URI.create(url(path));
  }

  /** Queues the next response(s) for this path; each is used once, in order. */
  public FaultServer enqueue(String path, Response... responses) {
    Queue<Response> queue = queues.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>());
    queue.addAll(Arrays.asList(responses));
    return this;
  }

  /** Answers this path with {@code handler} whenever its queue is empty. */
  public FaultServer handle(String path, Handler handler) {
    handlers.put(path, handler);
    return this;
  }

  /** Answers this path with the same response whenever its queue is empty. */
  public FaultServer always(String path, Response response) {
    return handle(path, (Handler) request -> response);
  }

  /** Answers any path that has neither a queued response nor a handler (default: 404). */
  public FaultServer handleAll(Handler handler) {
    this.fallback = handler;
    return this;
  }

  /** Opens every {@link Script.Builder#stall()} and {@code stallAfter} in progress. */
  public void releaseStalls() {
    CountDownLatch old = stalls;
    stalls = new CountDownLatch(1);
    old.countDown();
  }

  /** Every request so far, in arrival order. */
  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  /** Every request for this path (query string ignored), in arrival order. */
  public List<RecordedRequest> requests(String path) {
    List<RecordedRequest> matching = new ArrayList<>();
    for (RecordedRequest r : requests) if (r.path().equals(path)) matching.add(r);
    return matching;
  }

  /** The latest request for this path, or null when there was none. */
  public RecordedRequest lastRequest(String path) {
    List<RecordedRequest> matching = requests(path);
    return matching.isEmpty() ? null : matching.get(matching.size() - 1);
  }

  /** Waits until this path has seen {@code count} requests; false on timeout. */
  public boolean awaitRequests(String path, int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (requests(path).size() < count) {
      if (System.nanoTime() - deadline >= 0) return false;
      Thread.sleep(5);
    }
    return true;
  }

  /** TCP connections accepted so far. */
  public int connectionCount() {
    return accepted.get();
  }

  /** TCP connections accepted and not yet closed on the server side. */
  public int openConnections() {
    return open.get();
  }

  /** Writes that failed because the client had closed or reset the connection. */
  public int peerClosedWrites() {
    return peerClosedWrites.get();
  }

  /** All bytes (head and body) written on this connection so far. */
  public long bytesWritten(int connectionId) {
    return connection(connectionId).bytesWritten.get();
  }

  /** Body bytes written on this connection so far (what a download could have received). */
  public long bodyBytesWritten(int connectionId) {
    return connection(connectionId).bodyBytesWritten.get();
  }

  /** True once the server saw the client close or reset this connection. */
  public boolean clientClosed(int connectionId) {
    return connection(connectionId).peerClosed.getCount() == 0;
  }

  /**
   * Waits until the server sees the client close or reset this connection (EOF on read, or a
   * failed write); false on timeout. A connection the server closed first never reports this.
   */
  public boolean awaitClientClosed(int connectionId, Duration timeout) throws InterruptedException {
    return awaitConnection(connectionId, timeout).peerClosed.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Waits until this connection's socket is closed on the server, whoever ended it. */
  public boolean awaitConnectionEnded(int connectionId, Duration timeout) throws InterruptedException {
    return awaitConnection(connectionId, timeout).ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Handlers that threw; the client got a 500 for each. */
  public List<Throwable> handlerFailures() {
    return List.copyOf(handlerFailures);
  }

  private Connection connection(int id) {
    Connection c = connections.get(id);
    if (c == null) throw new IllegalArgumentException("no connection " + id + " (accepted: " + accepted.get() + ")");
    return c;
  }

  private Connection awaitConnection(int id, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Connection c;
    while ((c = connections.get(id)) == null) {
      if (System.nanoTime() - deadline >= 0) throw new IllegalArgumentException("no connection " + id);
      Thread.sleep(5);
    }
    return c;
  }

  /** Closes the listener and every connection, releases stalls, and joins the threads (bounded). */
  @Override
  public void close() {
    closed = true;
    stalls.countDown();
    closeQuietly(listener);
    for (Connection c : connections.values()) closeQuietly(c.socket);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MS);
    join(acceptor, deadline);
    for (Connection c : connections.values()) join(c.thread, deadline);
  }

  private static void join(Thread thread, long deadline) {
    try {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left > 0) thread.join(left);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      int id = accepted.getAndIncrement();
      Connection c = new Connection(id, socket);
      connections.put(id, c);
      open.incrementAndGet();
      if (closed) closeQuietly(socket);
      c.thread.start();
    }
  }

  private Response dispatch(RecordedRequest request) {
    Queue<Response> queue = queues.get(request.path());
    Response queued = queue == null ? null : queue.poll();
    if (queued != null) return queued;
    Handler handler = handlers.get(request.path());
    if (handler == null) handler = fallback;
    if (handler == null) return Responses.notFound();
    try {
      Response response = handler.respond(request);
      return response != null ? response : Responses.notFound();
    } catch (RuntimeException | Error e) {
      handlerFailures.add(e);
      return Responses.status(500, e.toString().getBytes(StandardCharsets.UTF_8)).closeAfter();
    }
  }

  /** Per-connection state; its thread reads requests and runs scripts until the exchange ends. */
  private final class Connection implements Runnable {
    final int id;
    final Socket socket;
    final Thread thread;
    final AtomicLong bytesWritten = new AtomicLong();
    final AtomicLong bodyBytesWritten = new AtomicLong();
    final CountDownLatch peerClosed = new CountDownLatch(1);
    final CountDownLatch ended = new CountDownLatch(1);

    Connection(int id, Socket socket) {
      this.id = id;
      this.socket = socket;
      this.thread = new Thread(this, "fault-server-" + port() + "-conn-" + id);
      thread.setDaemon(true);
    }

    FaultServer outer() {
      return FaultServer.this;
    }

    @Override
    public void run() {
      try {
        socket.setTcpNoDelay(true);
        BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
        Exchange exchange = new Exchange(this, in, socket.getOutputStream());
        for (int sequence = 0; !closed; sequence++) {
          RecordedRequest request = readRequest(in, sequence);
          if (request == null) {
            peerClosed.countDown();
            return;
          }
          requests.add(request);
          Script script = dispatch(request).script(request);
          long writtenBefore = bytesWritten.get();
          Script.End end = script.run(exchange);
          // A client that sent "Connection: close" will not send another request: end politely.
          if (end == Script.End.KEEP_ALIVE && request.wantsClose()) end = Script.End.FIN;
          if (end == Script.End.KEEP_ALIVE) continue;
          if (end == Script.End.FIN) {
            socket.shutdownOutput();
            drainUntilPeerCloses(in);
          } else if (end == Script.End.RST) {
            // Linux drops the bytes a client has not read yet when an RST arrives. A server that
            // resets mid-body in the wild does so after its bytes reached the client, so give the
            // bytes just written time to be read; a reset before any byte needs no wait.
            if (bytesWritten.get() > writtenBefore) Thread.sleep(RST_SETTLE_MS);
            socket.setSoLinger(true, 0);
          }
          return;
        }
      } catch (IOException e) {
        // A read or write failed: unless we closed the socket ourselves, the client went away.
        if (!closed) peerClosed.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        closeQuietly(socket);
        open.decrementAndGet();
        ended.countDown();
      }
    }

    private void drainUntilPeerCloses(InputStream in) throws IOException {
      byte[] sink = new byte[8192];
      socket.setSoTimeout((int) PEER_POLL_MS * 5);
      while (!closed) {
        try {
          if (in.read(sink) == -1) {
            peerClosed.countDown();
            return;
          }
        } catch (SocketTimeoutException e) {
          // keep waiting; close() ends the loop
        }
      }
    }

    /** Reads one request head; null on a clean EOF before any byte of it. */
    private RecordedRequest readRequest(BufferedInputStream in, int sequence) throws IOException {
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      String requestLine;
      do { // tolerate blank lines between requests (RFC 9112 section 2.2)
        requestLine = readLine(in, raw);
        if (requestLine == null) return null;
      } while (requestLine.isEmpty());
      List<String[]> headers = new ArrayList<>();
      for (String line; !(line = readLine(in, raw)).isEmpty(); ) {
        int colon = line.indexOf(':');
        if (colon < 0) headers.add(new String[] {line, ""});
        else headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
      }
      String target = requestLine.split(" ", -1).length > 1 ? requestLine.split(" ", -1)[1] : "";
      int q = target.indexOf('?');
      String path = q < 0 ? target : target.substring(0, q);
      int pathSequence = pathCounts.computeIfAbsent(path, p -> new AtomicInteger()).getAndIncrement();
      RecordedRequest request = new RecordedRequest(requestLine, headers, id, sequence, pathSequence,
          raw.toString(StandardCharsets.ISO_8859_1));
      skipBody(in, request);
      return request;
    }

    /** Reads a line up to LF (dropping CR); null at EOF before any byte; throws at EOF mid-line. */
    private String readLine(InputStream in, ByteArrayOutputStream raw) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b; ; ) {
        b = in.read();
        if (b == -1) {
          if (line.size() == 0 && raw.size() == 0) return null;
          throw new IOException("client closed in the middle of a request head");
        }
        raw.write(b);
        if (raw.size() > MAX_HEAD_BYTES) throw new IOException("request head over " + MAX_HEAD_BYTES + " bytes");
        if (b == '\n') break;
        if (b != '\r') line.write(b);
      }
      return line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Discards a request body declared by Content-Length, so keep-alive stays in step. */
    private void skipBody(InputStream in, RecordedRequest request) throws IOException {
      String length = request.header("Content-Length");
      if (length == null) return;
      long n;
      try {
        n = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        throw new IOException("bad request Content-Length: " + length);
      }
      while (n > 0) {
        long skipped = in.skip(n);
        if (skipped <= 0) {
          if (in.read() == -1) throw new IOException("client closed in a request body");
          skipped = 1;
        }
        n -= skipped;
      }
    }
  }

  /** What a {@link Script} step can do to its connection. */
  static final class Exchange {
    private final Connection connection;
    private final BufferedInputStream in;
    private final OutputStream out;

    private Exchange(Connection connection, BufferedInputStream in, OutputStream out) {
      this.connection = connection;
      this.in = in;
      this.out = out;
    }

    FaultServer server() {
      return connection.outer();
    }

    void write(byte[] bytes, int off, int len, boolean body) throws IOException {
      try {
        out.write(bytes, off, len);
      } catch (IOException e) {
        if (!server().closed) {
          server().peerClosedWrites.incrementAndGet();
          connection.peerClosed.countDown();
        }
        throw e;
      }
      connection.bytesWritten.addAndGet(len);
      if (body) connection.bodyBytesWritten.addAndGet(len);
    }

    void flush() throws IOException {
      out.flush();
    }

    /**
     * Waits {@code ms} (or until {@code latch}, or the server's stall latch when ms is
     * unbounded), polling the socket so a client that closes is noticed at once instead of on
     * the next write; throws when it closed, which ends the exchange.
     */
    void pause(long ms, CountDownLatch latch) throws IOException, InterruptedException {
      long deadline = ms == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
      CountDownLatch stallLatch = server().stalls;
      Socket socket = connection.socket;
      int oldTimeout = socket.getSoTimeout();
      try {
        while (!server().closed) {
          long leftMs = deadline == Long.MAX_VALUE ? PEER_POLL_MS
              : TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (leftMs <= 0) return;
          if (latch != null && latch.getCount() == 0) return;
          if (latch == null && ms == Long.MAX_VALUE && stallLatch.getCount() == 0) return;
          long slice = Math.max(1, Math.min(leftMs, PEER_POLL_MS));
          if (in.available() > 0) {
            // Bytes of a next request are buffered: reading would consume them, so just wait.
            Thread.sleep(slice);
            continue;
          }
          socket.setSoTimeout((int) slice);
          in.mark(1);
          try {
            if (in.read() == -1) {
              connection.peerClosed.countDown();
              throw new IOException("client closed the connection");
            }
            in.reset();
          } catch (SocketTimeoutException e) {
            // nothing from the client: keep waiting
          }
        }
        throw new IOException("server closed");
      } finally {
        if (!socket.isClosed()) socket.setSoTimeout(oldTimeout);
      }
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception ignored) {
      // closing is best effort; the socket is gone either way
    }
  }

  @Override
  public String toString() {
    return "FaultServer[" + url("/") + ", connections=" + accepted.get() + ", open=" + open.get() + "]";
  }
}
