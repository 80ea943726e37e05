package dev.haul.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Proves each {@link FaultProxy} toxic in front of a {@link FaultServer}. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FaultProxyTest {
  private static HttpClient client;
  private FaultServer server;
  private FaultProxy proxy;
  private final byte[] body = TestBodies.bytes(5000);

  @BeforeAll
  static void client() {
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void dropClient() {
    client = null;
  }

  @BeforeEach
  void start() throws IOException {
    server = FaultServer.start();
    server.always("/f", Responses.ok(body));
    proxy = FaultProxy.start(server.port());
  }

  @AfterEach
  void stop() {
    proxy.close();
    server.close();
  }

  private byte[] get() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(java.net.URI.create(proxy.url("/f")))
        .timeout(Duration.ofSeconds(5)).build();
    HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  /** One raw GET with Connection: close; returns all bytes until EOF and the reads it took. */
  private int[] rawReads(ByteArrayOutputStream into) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write("GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(ISO_8859_1));
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[65536];
      int reads = 0;
      for (int n; (n = in.read(buffer)) != -1; reads++) into.write(buffer, 0, n);
      return new int[] {reads};
    }
  }

  @Test
  void passesBytesThroughAndCountsConnections() throws Exception {
    assertArrayEquals(body, get());
    assertArrayEquals(body, get());
    assertEquals(1, proxy.connectionCount()); // keep-alive through the proxy
    assertEquals(1, server.connectionCount());
  }

  @Test
  void slicerDeliversOneByteAtATime() throws Exception {
    proxy.slicer(1, 100);
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    int reads = rawReads(seen)[0];
    String text = seen.toString(ISO_8859_1);
    assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text);
    assertTrue(text.length() == seen.size() && seen.size() > body.length);
    // Tiny writes reach the client as many small reads (some coalesce in the kernel).
    assertTrue(reads > 100, "reads: " + reads);
  }

  @Test
  void latencyDelaysTheResponse() throws Exception {
    proxy.latency(300);
    long start = System.nanoTime();
    assertArrayEquals(body, get());
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
  }

  @Test
  void bandwidthLimitsThroughput() throws Exception {
    proxy.bandwidth(10_000); // 5 KB body at 10 KB/s: about half a second
    long start = System.nanoTime();
    assertArrayEquals(body, get());
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(400));
  }

  @Test
  void limitDataClosesTheConnection() {
    proxy.limitData(1000);
    assertThrows(IOException.class, this::get);
  }

  @Test
  void resetPeerResetsTheClient() {
    proxy.resetPeer(1000);
    assertThrows(IOException.class, this::get);
  }

  @Test
  void droppedOnceThenClean() throws Exception {
    proxy.downstream(FaultProxy.Toxics.none().resetPeer(100).firstConnections(1));
    assertThrows(IOException.class, this::get);
    assertArrayEquals(body, get());
    assertEquals(2, proxy.connectionCount());
  }

  @Test
  void timeoutBlackholesThenCloses() throws Exception {
    proxy.timeout(300);
    long start = System.nanoTime();
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    rawReads(seen);
    assertEquals(0, seen.size());
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
  }

  @Test
  void toxicsChangeWhileRunning() throws Exception {
    proxy.timeout(0); // downstream blackhole that never closes
    try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write("GET /f HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));
      // The server answers; the proxy swallows the whole first response.
      long firstResponse = Responses.ok(body).head().length() + body.length;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (proxy.droppedBytes() < firstResponse && System.nanoTime() < deadline) Thread.sleep(5);
      assertEquals(firstResponse, proxy.droppedBytes());
      proxy.clearToxics();
      socket.getOutputStream().write("GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(ISO_8859_1));
      String text = new String(socket.getInputStream().readAllBytes(), ISO_8859_1);
      assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text.substring(0, Math.min(40, text.length())));
      assertEquals(1, text.split("HTTP/1.1 200 OK", -1).length - 1, "only the second response");
    }
  }

  @Test
  void slowCloseDelaysTheFin() throws Exception {
    server.always("/f", Responses.ok("x").closeDelimited());
    proxy.slowClose(300);
    long start = System.nanoTime();
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    rawReads(seen);
    assertTrue(seen.toString(ISO_8859_1).endsWith("\r\n\r\nx"));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
  }

  @Test
  void downRefusesConnectionsAndUpRestores() throws Exception {
    proxy.down();
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", proxy.port()).close());
    proxy.up();
    assertArrayEquals(body, get());
  }
}
