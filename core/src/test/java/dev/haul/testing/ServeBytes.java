package dev.haul.testing;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Handler} that serves one resource the way a careful static-file server does, with
 * switches for the ways real servers get it wrong. Register it with
 * {@code server.handle("/file", ServeBytes.of(body))}.
 *
 * <p>By default it honours {@code Range: bytes=A-B}, {@code bytes=A-} and {@code bytes=-N}
 * with a 206 and {@code Content-Range: bytes A-B/len}; answers a range starting past the end with
 * 416 and {@code Content-Range: bytes *}{@code /len}; sends a strong {@code ETag} derived from the
 * body, a fixed {@code Last-Modified} and {@code Accept-Ranges: bytes}; and honours
 * {@code If-Range}: when it matches neither the current ETag (strong comparison, so a {@code W/}
 * validator never matches) nor the Last-Modified date, the full body comes back with a 200. A
 * multi-range or malformed Range is ignored (200), as RFC 9110 allows.
 *
 * <p>Every setting may change while a test runs (for example {@link #body(byte[])} to simulate
 * the file changing between attempts). Faults are tied to the k-th request this handler
 * answers, counting from 1, and cut after N bytes of that response's body.
 */
public final class ServeBytes implements Handler {
  /** How a cut connection ends. */
  public enum Cut { FIN, RST }

  /** The default Last-Modified: a fixed date so tests are repeatable. */
  public static final String DEFAULT_LAST_MODIFIED = "Tue, 01 Jul 2025 00:00:00 GMT";

  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC).withLocale(Locale.US);

  private volatile byte[] body;
  private volatile boolean autoEtag = true;
  private volatile String etag;
  private volatile String lastModified = DEFAULT_LAST_MODIFIED;
  private volatile boolean honourRange = true;
  private volatile boolean acceptRanges = true;
  private volatile boolean contentLength = true;
  private volatile String version = "HTTP/1.1";
  private volatile int bytesPerWrite;
  private volatile long writeDelayMs;
  private final Map<Integer, Reply.Fault> faultKinds = new ConcurrentHashMap<>();
  private final Map<Integer, Long> faultOffsets = new ConcurrentHashMap<>();
  private final AtomicInteger answered = new AtomicInteger();

  private ServeBytes(byte[] body) {
    body(body);
  }

  public static ServeBytes of(byte[] body) {
    return new ServeBytes(body);
  }

  /** Replaces the content; unless an ETag was set explicitly, the ETag follows the content. */
  public ServeBytes body(byte[] newBody) {
    this.body = newBody.clone();
    if (autoEtag) this.etag = "\"" + TestBodies.sha256Hex(this.body).substring(0, 16) + "\"";
    return this;
  }

  /** The current content. */
  public byte[] body() {
    return body.clone();
  }

  /** Sends this ETag value as given (include the quotes; {@code W/"x"} for weak); null sends none. */
  public ServeBytes etag(String value) {
    this.autoEtag = false;
    this.etag = value;
    return this;
  }

  /** The ETag currently sent, or null. */
  public String etag() {
    return etag;
  }

  /** Sends this Last-Modified value as given; null sends none. */
  public ServeBytes lastModified(String httpDate) {
    this.lastModified = httpDate;
    return this;
  }

  /** Sends this instant as Last-Modified (IMF-fixdate). */
  public ServeBytes lastModified(Instant instant) {
    return lastModified(HTTP_DATE.format(instant));
  }

  /** The Last-Modified currently sent, or null. */
  public String lastModified() {
    return lastModified;
  }

  /** When true, answers every request with 200 and the full body, whatever Range says. */
  public ServeBytes ignoreRange(boolean ignore) {
    this.honourRange = !ignore;
    return this;
  }

  /** When false, omits {@code Accept-Ranges: bytes}. */
  public ServeBytes acceptRanges(boolean send) {
    this.acceptRanges = send;
    return this;
  }

  /** When false, omits Content-Length: the body ends when the server closes. */
  public ServeBytes contentLength(boolean send) {
    this.contentLength = send;
    return this;
  }

  /** Answers with {@code HTTP/1.0} status lines, no Content-Length, and closes after each body. */
  public ServeBytes http10() {
    this.version = "HTTP/1.0";
    this.contentLength = false;
    return this;
  }

  /** Writes bodies {@code bytesPerWrite} at a time with {@code delayMs} between writes. */
  public ServeBytes throttle(int bytesPerWrite, long delayMs) {
    if (bytesPerWrite <= 0) throw new IllegalArgumentException("bytesPerWrite <= 0: " + bytesPerWrite);
    this.bytesPerWrite = bytesPerWrite;
    this.writeDelayMs = delayMs;
    return this;
  }

  /** On the k-th request (from 1), sends {@code afterBytes} of the body and then cuts. */
  public ServeBytes cutOnRequest(int k, long afterBytes, Cut how) {
    return fault(k, afterBytes, how == Cut.RST ? Reply.Fault.RST : Reply.Fault.FIN);
  }

  /** On the k-th request (from 1), sends {@code afterBytes} of the body and then stalls. */
  public ServeBytes stallOnRequest(int k, long afterBytes) {
    return fault(k, afterBytes, Reply.Fault.STALL);
  }

  private ServeBytes fault(int k, long afterBytes, Reply.Fault kind) {
    if (k < 1) throw new IllegalArgumentException("k < 1: " + k);
    if (afterBytes < 0) throw new IllegalArgumentException("afterBytes < 0: " + afterBytes);
    faultOffsets.put(k, afterBytes);
    faultKinds.put(k, kind);
    return this;
  }

  /** Requests answered so far. */
  public int requestCount() {
    return answered.get();
  }

  @Override
  public Response respond(RecordedRequest request) {
    int k = answered.incrementAndGet();
    byte[] content = body; // one read, so a concurrent body() change cannot split a response
    String currentEtag = etag;
    String currentLastModified = lastModified;
    Reply reply = select(request, content, currentEtag, currentLastModified);
    if (currentEtag != null) reply = reply.withHeader("ETag", currentEtag);
    if (currentLastModified != null) reply = reply.withHeader("Last-Modified", currentLastModified);
    if (acceptRanges) reply = reply.withHeader("Accept-Ranges", "bytes");
    reply = reply.withHeader("Content-Type", "application/octet-stream").withVersion(version);
    if (!contentLength) reply = reply.closeDelimited();
    if (bytesPerWrite > 0) reply = reply.throttled(bytesPerWrite, writeDelayMs);
    Reply.Fault kind = faultKinds.get(k);
    if (kind != null) {
      long at = faultOffsets.get(k);
      switch (kind) {
        case FIN: reply = reply.truncatedAfter(at); break;
        case RST: reply = reply.resetAfter(at); break;
        case STALL: reply = reply.stallAfter(at); break;
        default: break;
      }
    }
    return reply;
  }

  private Reply select(RecordedRequest request, byte[] content, String currentEtag, String currentLastModified) {
    String range = request.header("Range");
    if (!honourRange || range == null) return Responses.ok(content);
    String ifRange = request.header("If-Range");
    if (ifRange != null && !ifRangeMatches(ifRange.trim(), currentEtag, currentLastModified)) {
      return Responses.ok(content);
    }
    long[] span = parseRange(range.trim(), content.length);
    if (span == null) return Responses.ok(content);
    if (span.length == 0) return Responses.rangeNotSatisfiable(content.length);
    return Reply.of(206, Arrays.copyOfRange(content, (int) span[0], (int) span[1] + 1))
        .withHeader("Content-Range", "bytes " + span[0] + "-" + span[1] + "/" + content.length);
  }

  /** RFC 9110 section 13.1.5: an entity tag matches only strongly; a date only exactly. */
  static boolean ifRangeMatches(String ifRange, String currentEtag, String currentLastModified) {
    if (ifRange.startsWith("W/")) return false;
    if (ifRange.startsWith("\"")) {
      return currentEtag != null && !currentEtag.startsWith("W/") && currentEtag.equals(ifRange);
    }
    return currentLastModified != null && currentLastModified.equals(ifRange);
  }

  /**
   * Returns {first, last} inclusive, an empty array when unsatisfiable (416), or null when the
   * header is malformed or asks for several ranges (so the full body is served).
   */
  static long[] parseRange(String header, long length) {
    int eq = header.indexOf('=');
    if (eq < 0 || !header.substring(0, eq).trim().equalsIgnoreCase("bytes")) return null;
    String spec = header.substring(eq + 1).trim();
    if (spec.contains(",")) return null;
    int dash = spec.indexOf('-');
    if (dash < 0) return null;
    String first = spec.substring(0, dash).trim();
    String last = spec.substring(dash + 1).trim();
    try {
      if (first.isEmpty()) { // suffix: the last N bytes
        long n = Long.parseLong(last);
        if (n < 0) return null;
        if (n == 0 || length == 0) return new long[0];
        return new long[] {Math.max(0, length - n), length - 1};
      }
      long from = Long.parseLong(first);
      if (from < 0) return null;
      long to = last.isEmpty() ? Long.MAX_VALUE : Long.parseLong(last);
      if (to < from) return null;
      if (from >= length) return new long[0];
      return new long[] {from, Math.min(to, length - 1)};
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
