package dev.haul.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Proves each {@link FaultServer} feature with the JDK HttpClient and raw sockets. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FaultServerTest {
  private static HttpClient client;
  private FaultServer server;
  private final byte[] body = TestBodies.bytes(1000);

  @BeforeAll
  static void client() {
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void dropClient() {
    client = null; // lets the selector thread end once collected (JDK 17 has no close())
  }

  @BeforeEach
  void start() throws IOException {
    server = FaultServer.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(5));
    if (headers.length > 0) request.headers(headers);
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Sends raw request bytes and returns everything read until the server closes. */
  private byte[] rawExchange(String request) throws IOException {
    try (Socket socket = new Socket(server.uri("/").getHost(), server.port())) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(request.getBytes(ISO_8859_1));
      return socket.getInputStream().readAllBytes();
    }
  }

  @Test
  void keepAliveServesTwoRequestsOnOneConnection() throws Exception {
    server.always("/file", Responses.ok(body));
    assertArrayEquals(body, get("/file").body());
    assertArrayEquals(body, get("/file?second").body());
    assertEquals(1, server.connectionCount());
    assertEquals(2, server.requests("/file").size());
    RecordedRequest second = server.lastRequest("/file");
    assertEquals(0, second.connectionId());
    assertEquals(1, second.connectionSequence());
    assertEquals(1, second.pathSequence());
    assertEquals("/file?second", second.target());
    assertEquals("GET /file?second HTTP/1.1", second.requestLine());
  }

  @Test
  void rawKeepAliveWithHeadThenGetAndCaseInsensitiveHeaders() throws Exception {
    server.always("/f", Responses.ok("hello"));
    byte[] reply = rawExchange("HEAD /f HTTP/1.1\r\nHost: x\r\nX-Thing: One\r\n\r\n"
        + "GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    String text = new String(reply, ISO_8859_1);
    // HEAD carries the length but no body; the GET after it on the same connection gets the body.
    assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
        + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", text);
    assertEquals(1, server.connectionCount());
    RecordedRequest head = server.requests("/f").get(0);
    assertEquals("HEAD", head.method());
    assertEquals("One", head.header("x-thing"));
    assertNull(head.header("Range"));
  }

  @Test
  void queuedResponsesComeFirstThenTheHandler() throws Exception {
    server.enqueue("/f", Responses.status(503, "Retry-After: 1"), Responses.status(429));
    server.always("/f", Responses.ok(body));
    assertEquals(503, get("/f").statusCode());
    assertEquals(429, get("/f").statusCode());
    assertEquals(200, get("/f").statusCode());
    assertEquals(404, get("/other").statusCode());
  }

  @Test
  void rawScriptWritesExactBytes() throws Exception {
    server.enqueue("/f", Script.builder()
        .write("HTTP/1.1 200 OK\r\nContent-Length: 75\r\n\r\n")
        .flush()
        .body("hello")
        .fin()
        .build());
    byte[] reply = rawExchange("GET /f HTTP/1.1\r\nHost: x\r\n\r\n");
    assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 75\r\n\r\nhello", new String(reply, ISO_8859_1));
    assertEquals(5, server.bodyBytesWritten(0));
  }

  @Test
  void rangeIsHonouredWith206AndContentRange() throws Exception {
    server.handle("/f", ServeBytes.of(body));
    HttpResponse<byte[]> from = get("/f", "Range", "bytes=100-");
    assertEquals(206, from.statusCode());
    assertEquals("bytes 100-999/1000", from.headers().firstValue("Content-Range").orElseThrow());
    assertArrayEquals(Arrays.copyOfRange(body, 100, 1000), from.body());

    HttpResponse<byte[]> span = get("/f", "Range", "bytes=10-19");
    assertEquals("bytes 10-19/1000", span.headers().firstValue("Content-Range").orElseThrow());
    assertArrayEquals(Arrays.copyOfRange(body, 10, 20), span.body());

    HttpResponse<byte[]> suffix = get("/f", "Range", "bytes=-5");
    assertEquals("bytes 995-999/1000", suffix.headers().firstValue("Content-Range").orElseThrow());

    HttpResponse<byte[]> full = get("/f");
    assertEquals(200, full.statusCode());
    assertEquals("bytes", full.headers().firstValue("Accept-Ranges").orElseThrow());
    assertTrue(full.headers().firstValue("ETag").orElseThrow().startsWith("\""));
    assertEquals(ServeBytes.DEFAULT_LAST_MODIFIED, full.headers().firstValue("Last-Modified").orElseThrow());
  }

  @Test
  void rangePastTheEndIs416WithStarContentRange() throws Exception {
    server.handle("/f", ServeBytes.of(body));
    HttpResponse<byte[]> reply = get("/f", "Range", "bytes=1000-");
    assertEquals(416, reply.statusCode());
    assertEquals("bytes */1000", reply.headers().firstValue("Content-Range").orElseThrow());
    assertEquals(0, reply.body().length);
  }

  @Test
  void ifRangeServesFullBodyWhenTheFileChanged() throws Exception {
    ServeBytes file = ServeBytes.of(body).etag("\"v1\"");
    server.handle("/f", file);
    assertEquals(206, get("/f", "Range", "bytes=10-", "If-Range", "\"v1\"").statusCode());
    assertEquals(206, get("/f", "Range", "bytes=10-", "If-Range", ServeBytes.DEFAULT_LAST_MODIFIED).statusCode());
    // A weak validator never matches (RFC 9110 section 13.1.5).
    assertEquals(200, get("/f", "Range", "bytes=10-", "If-Range", "W/\"v1\"").statusCode());

    byte[] changed = TestBodies.random(1000, 7);
    file.body(changed).etag("\"v2\"");
    HttpResponse<byte[]> after = get("/f", "Range", "bytes=10-", "If-Range", "\"v1\"");
    assertEquals(200, after.statusCode());
    assertEquals("\"v2\"", after.headers().firstValue("ETag").orElseThrow());
    assertArrayEquals(changed, after.body());
  }

  @Test
  void ignoreRangeAndNoAcceptRangesAndNoContentLength() throws Exception {
    server.handle("/f", ServeBytes.of(body).ignoreRange(true).acceptRanges(false).contentLength(false));
    HttpResponse<byte[]> reply = get("/f", "Range", "bytes=10-");
    assertEquals(200, reply.statusCode());
    assertFalse(reply.headers().firstValue("Accept-Ranges").isPresent());
    assertFalse(reply.headers().firstValue("Content-Length").isPresent());
    assertArrayEquals(body, reply.body()); // close-delimited: EOF ends the body
  }

  @Test
  void truncatedBodyFailsTheClient() {
    server.enqueue("/f", Responses.ok(body).truncatedAfter(100));
    assertThrows(IOException.class, () -> get("/f"));
    assertEquals(100, server.bodyBytesWritten(0));
  }

  @Test
  void resetBodyFailsTheClient() {
    server.enqueue("/f", Responses.ok(body).resetAfter(100));
    assertThrows(IOException.class, () -> get("/f"));
  }

  @Test
  void chunkedBodyRoundTripsAndEarlyCloseFails() throws Exception {
    server.enqueue("/f", Responses.okChunked(body, 64).withTrailer("X-Sum", "1"));
    HttpResponse<byte[]> ok = get("/f");
    assertArrayEquals(body, ok.body());
    assertEquals("chunked", ok.headers().firstValue("Transfer-Encoding").orElseThrow());

    // Every data chunk, but never the terminating 0 chunk: a truncated body, not a success.
    server.enqueue("/f", Responses.okChunked(body, 64).truncatedAfter(body.length));
    assertThrows(IOException.class, () -> get("/f"));
  }

  @Test
  void chunkedRawBytesEndWithoutTerminator() throws Exception {
    server.enqueue("/f", Responses.okChunked("abcdef".getBytes(ISO_8859_1), 4).truncatedAfter(5));
    String reply = new String(rawExchange("GET /f HTTP/1.1\r\nHost: x\r\n\r\n"), ISO_8859_1);
    assertTrue(reply.endsWith("\r\n\r\n4\r\nabcd\r\n2\r\ne"), reply);
  }

  @Test
  void faultOnTheFirstRequestThenResumeWithRangeAndIfRange() throws Exception {
    ServeBytes file = ServeBytes.of(body).cutOnRequest(1, 300, ServeBytes.Cut.RST);
    server.handle("/f", file);
    assertThrows(IOException.class, () -> get("/f"));
    HttpResponse<byte[]> rest = get("/f", "Range", "bytes=300-", "If-Range", file.etag());
    assertEquals(206, rest.statusCode());
    assertArrayEquals(Arrays.copyOfRange(body, 300, 1000), rest.body());
    assertEquals(2, server.connectionCount()); // the reset connection is never reused
    assertEquals("bytes=300-", server.lastRequest("/f").header("Range"));
  }

  @Test
  void serverNoticesClientAbortDuringStall() throws Exception {
    server.enqueue("/f", Responses.ok(body).stallAfter(10));
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write("GET /f HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));
      readUntilBodyBytes(socket.getInputStream(), 10);
    }
    assertTrue(server.awaitClientClosed(0, Duration.ofSeconds(1)), "server saw the abort");
    assertEquals(10, server.bodyBytesWritten(0));
    assertTrue(server.awaitConnectionEnded(0, Duration.ofSeconds(1)));
    assertEquals(0, server.openConnections());
  }

  @Test
  void serverStopsSlowWritesSoonAfterClientAbort() throws Exception {
    server.enqueue("/f", Responses.ok(body).throttled(10, 20));
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write("GET /f HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));
      readUntilBodyBytes(socket.getInputStream(), 20);
    }
    assertTrue(server.awaitClientClosed(0, Duration.ofSeconds(1)));
    long written = server.bodyBytesWritten(0);
    assertTrue(written < body.length, "stopped after " + written);
    assertTrue(server.awaitConnectionEnded(0, Duration.ofSeconds(1)));
    assertEquals(written, server.bodyBytesWritten(0));
  }

  @Test
  void stallReleasedByLatchAndCloseEndsStalledConnections() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    server.enqueue("/f", Script.builder().head("HTTP/1.1 200 OK", "Content-Length: 2").body("a")
        .stall(go).body("b").keepAlive().build());
    server.enqueue("/g", Responses.noResponse());
    try (Socket socket = new Socket("127.0.0.1", server.port());
         Socket stalled = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(200);
      socket.getOutputStream().write("GET /f HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));
      InputStream in = socket.getInputStream();
      readUntilBodyBytes(in, 1);
      assertThrows(SocketTimeoutException.class, in::read);
      go.countDown();
      socket.setSoTimeout(5_000);
      assertEquals('b', in.read());

      stalled.getOutputStream().write("GET /g HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));
      assertTrue(server.awaitRequests("/g", 1, Duration.ofSeconds(5)));
      server.close();
      stalled.setSoTimeout(5_000);
      assertEquals(-1, stalled.getInputStream().read());
    }
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      assertFalse(t.getName().startsWith("fault-server-" + server.port()) && t.isAlive(), t.getName());
    }
  }

  @Test
  void redirectAndBrokenFramingBuilders() throws Exception {
    server.enqueue("/old", Responses.redirect(302, "/new"));
    server.always("/new", Responses.ok("moved"));
    HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    HttpResponse<String> reply = following.send(HttpRequest.newBuilder(server.uri("/old")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("moved", reply.body());
    assertEquals(1, server.requests("/new").size());

    server.enqueue("/bad", Responses.ok("hello").withContentLength("crap"));
    String raw = new String(rawExchange("GET /bad HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ISO_8859_1);
    assertEquals("HTTP/1.1 200 OK\r\nContent-Length: crap\r\n\r\nhello", raw.replace("Connection: close\r\n", ""));
  }

  @Test
  void handlerSeesTheRecordedRequest() throws Exception {
    server.handle("/echo", request -> Responses.ok(request.header("Range") == null ? "none" : request.header("Range")));
    assertEquals("bytes=5-", new String(get("/echo", "Range", "bytes=5-").body(), ISO_8859_1));
    RecordedRequest recorded = server.lastRequest("/echo");
    assertNotNull(recorded);
    assertTrue(recorded.rawHead().startsWith("GET /echo HTTP/1.1\r\n"));
  }

  private static void readUntilBodyBytes(InputStream in, int bodyBytes) throws IOException {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    int headEnd = -1;
    while (headEnd < 0 || seen.size() - headEnd < bodyBytes) {
      int b = in.read();
      if (b == -1) throw new IOException("EOF after " + seen.size());
      seen.write(b);
      if (headEnd < 0 && seen.toString(ISO_8859_1).endsWith("\r\n\r\n")) headEnd = seen.size();
    }
  }
}
