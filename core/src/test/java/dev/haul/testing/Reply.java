package dev.haul.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A well-formed HTTP/1.1 response plus at most one injected fault, built with {@link Responses}
 * and refined with immutable {@code with*}/fault methods:
 *
 * <pre>{@code
 * server.enqueue("/file", Responses.ok(body).withHeader("ETag", "\"v1\"").truncatedAfter(100));
 * }</pre>
 *
 * <p>It compiles into a {@link Script}. Framing headers ({@code Content-Length} or
 * {@code Transfer-Encoding: chunked}) are added unless the test set its own. The body is omitted
 * for HEAD requests. Faults count body (payload) bytes, not wire bytes, so
 * {@code okChunked(b).truncatedAfter(b.length)} sends every chunk but not the final {@code 0}
 * chunk.
 */
public final class Reply implements Response {
  enum Framing { LENGTH, CHUNKED, CLOSE_DELIMITED }

  enum Fault { NONE, FIN, RST, STALL }

  private final String version;
  private final int code;
  private final String reason;
  private final List<String> headerLines;
  private final byte[] body;
  private final Framing framing;
  private final int chunkSize;
  private final List<String> trailerLines;
  private final boolean keepAlive;
  private final Fault fault;
  private final long faultAfter;
  private final int bytesPerWrite;
  private final long writeDelayMs;
  private final long headersDelayMs;

  private Reply(String version, int code, String reason, List<String> headerLines, byte[] body,
      Framing framing, int chunkSize, List<String> trailerLines, boolean keepAlive, Fault fault,
      long faultAfter, int bytesPerWrite, long writeDelayMs, long headersDelayMs) {
    this.version = version;
    this.code = code;
    this.reason = reason;
    this.headerLines = List.copyOf(headerLines);
    this.body = body;
    this.framing = framing;
    this.chunkSize = chunkSize;
    this.trailerLines = List.copyOf(trailerLines);
    this.keepAlive = keepAlive;
    this.fault = fault;
    this.faultAfter = faultAfter;
    this.bytesPerWrite = bytesPerWrite;
    this.writeDelayMs = writeDelayMs;
    this.headersDelayMs = headersDelayMs;
  }

  public static Reply of(int code, byte[] body) {
    return new Reply("HTTP/1.1", code, Responses.reason(code), List.of(), body.clone(),
        Framing.LENGTH, 8192, List.of(), true, Fault.NONE, 0, 0, 0, 0);
  }

  private Reply copy(String version, int code, String reason, List<String> headerLines,
      byte[] body, Framing framing, int chunkSize, List<String> trailerLines, boolean keepAlive,
      Fault fault, long faultAfter, int bytesPerWrite, long writeDelayMs, long headersDelayMs) {
    return new Reply(version, code, reason, headerLines, body, framing, chunkSize, trailerLines,
        keepAlive, fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  public int code() { return code; }

  /** The body this reply declares (before any fault cuts it). */
  public byte[] body() { return body.clone(); }

  /** Adds a header line {@code name: value} (duplicates allowed, order kept). */
  public Reply withHeader(String name, String value) {
    return withHeaderLine(name + ": " + value);
  }

  /** Adds a header line exactly as given, for malformed headers. */
  public Reply withHeaderLine(String line) {
    List<String> lines = new ArrayList<>(headerLines);
    lines.add(line);
    return copy(version, code, reason, lines, body, framing, chunkSize, trailerLines, keepAlive,
        fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  /** Removes every header line with this name (case-insensitive), including automatic ones. */
  public Reply withoutHeader(String name) {
    List<String> lines = new ArrayList<>();
    for (String line : headerLines) if (!isHeader(line, name)) lines.add(line);
    // The marker suppresses the automatic framing header of the same name.
    lines.add(SUPPRESS + name);
    return copy(version, code, reason, lines, body, framing, chunkSize, trailerLines, keepAlive,
        fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  /** Replaces the status line's code and reason. */
  public Reply withStatus(int newCode, String newReason) {
    return copy(version, newCode, newReason, headerLines, body, framing, chunkSize, trailerLines,
        keepAlive, fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  /** Sends {@code HTTP/1.0} in the status line. */
  public Reply withVersion(String httpVersion) {
    return copy(httpVersion, code, reason, headerLines, body, framing, chunkSize, trailerLines,
        keepAlive, fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  /** Declares this exact Content-Length value (e.g. {@code "-6"}, {@code "crap"}, {@code "75"}). */
  public Reply withContentLength(String declared) {
    return withoutHeader("Content-Length").withHeader("Content-Length", declared);
  }

  /** Sends the body chunked, {@code size} bytes per chunk. */
  public Reply chunked(int size) {
    if (size <= 0) throw new IllegalArgumentException("size <= 0: " + size);
    return copy(version, code, reason, headerLines, body, Framing.CHUNKED, size, trailerLines,
        keepAlive, fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  /** Adds a trailer line after the last chunk (chunked replies only). */
  public Reply withTrailer(String name, String value) {
    List<String> lines = new ArrayList<>(trailerLines);
    lines.add(name + ": " + value);
    return copy(version, code, reason, headerLines, body, framing, chunkSize, lines, keepAlive,
        fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  /** No Content-Length: the body ends when the server closes ({@code Connection: close}). */
  public Reply closeDelimited() {
    return copy(version, code, reason, headerLines, body, Framing.CLOSE_DELIMITED, chunkSize,
        trailerLines, false, fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  /** Sends {@code Connection: close} and closes after the response. */
  public Reply closeAfter() {
    return copy(version, code, reason, headerLines, body, framing, chunkSize, trailerLines, false,
        fault, faultAfter, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  /** Declares the full length, sends {@code n} body bytes, then half-closes (FIN). */
  public Reply truncatedAfter(long n) {
    return withFault(Fault.FIN, n);
  }

  /** Sends {@code n} body bytes, then resets the connection (RST). */
  public Reply resetAfter(long n) {
    return withFault(Fault.RST, n);
  }

  /** Sends {@code n} body bytes, then stalls until the server is closed or stalls are released. */
  public Reply stallAfter(long n) {
    return withFault(Fault.STALL, n);
  }

  /** Writes the body {@code bytesPerWrite} at a time with {@code delayMs} between writes. */
  public Reply throttled(int bytesPerWrite, long delayMs) {
    if (bytesPerWrite <= 0) throw new IllegalArgumentException("bytesPerWrite <= 0: " + bytesPerWrite);
    if (delayMs < 0) throw new IllegalArgumentException("delayMs < 0: " + delayMs);
    return copy(version, code, reason, headerLines, body, framing, chunkSize, trailerLines,
        keepAlive, fault, faultAfter, bytesPerWrite, delayMs, headersDelayMs);
  }

  /** Waits {@code ms} before writing the status line. */
  public Reply headersDelay(long ms) {
    if (ms < 0) throw new IllegalArgumentException("ms < 0: " + ms);
    return copy(version, code, reason, headerLines, body, framing, chunkSize, trailerLines,
        keepAlive, fault, faultAfter, bytesPerWrite, writeDelayMs, ms);
  }

  private Reply withFault(Fault newFault, long n) {
    if (n < 0) throw new IllegalArgumentException("n < 0: " + n);
    return copy(version, code, reason, headerLines, body, framing, chunkSize, trailerLines,
        keepAlive, newFault, n, bytesPerWrite, writeDelayMs, headersDelayMs);
  }

  private static final String SUPPRESS = "\u0000suppress:";

  private static boolean isHeader(String line, String name) {
    int colon = line.indexOf(':');
    return colon >= 0 && line.substring(0, colon).trim().equalsIgnoreCase(name);
  }

  private boolean mentions(String name) {
    for (String line : headerLines) {
      if (line.startsWith(SUPPRESS) ? line.substring(SUPPRESS.length()).equalsIgnoreCase(name)
          : isHeader(line, name)) {
        return true;
      }
    }
    return false;
  }

  /** The full head as the wire will carry it, for assertions and debugging. */
  public String head() {
    StringBuilder head = new StringBuilder(version).append(' ').append(code);
    if (reason != null && !reason.isEmpty()) head.append(' ').append(reason);
    head.append("\r\n");
    for (String line : headerLines) if (!line.startsWith(SUPPRESS)) head.append(line).append("\r\n");
    switch (framing) {
      case LENGTH:
        if (!mentions("Content-Length")) head.append("Content-Length: ").append(body.length).append("\r\n");
        break;
      case CHUNKED:
        if (!mentions("Transfer-Encoding")) head.append("Transfer-Encoding: chunked\r\n");
        break;
      case CLOSE_DELIMITED:
        break;
    }
    if (!keepAlive && !mentions("Connection")) head.append("Connection: close\r\n");
    return head.append("\r\n").toString();
  }

  @Override
  public Script script(RecordedRequest request) {
    Script.Builder script = Script.builder();
    if (headersDelayMs > 0) script.sleep(headersDelayMs);
    script.write(head());
    boolean sendBody = request == null || !"HEAD".equals(request.method());
    long budget = fault == Fault.NONE || !sendBody ? Long.MAX_VALUE : faultAfter;
    if (sendBody) {
      for (byte[][] segment : wireSegments()) {
        byte[] bytes = segment[0];
        boolean payload = segment[1] != null;
        if (payload) {
          if (budget == 0) break;
          int n = (int) Math.min(bytes.length, budget);
          budget -= n;
          writeBody(script, n == bytes.length ? bytes : Arrays.copyOf(bytes, n));
          if (budget == 0 && n < bytes.length) break;
        } else {
          // Framing bytes (chunk sizes, CRLFs) are not payload; stop before them once the budget
          // is spent so a cut chunked body never carries the terminating chunk.
          if (budget == 0) break;
          script.write(bytes);
        }
      }
    }
    switch (sendBody ? fault : Fault.NONE) {
      case FIN: return script.fin().build();
      case RST: return script.rst().build();
      case STALL: return script.stall().build();
      default: break;
    }
    return keepAlive && framing != Framing.CLOSE_DELIMITED
        ? script.keepAlive().build() : script.fin().build();
  }

  private void writeBody(Script.Builder script, byte[] bytes) {
    if (bytesPerWrite > 0) script.bodySlowly(bytes, bytesPerWrite, writeDelayMs);
    else script.body(bytes);
  }

  /** Wire pieces; {@code [bytes, non-null]} marks payload, {@code [bytes, null]} framing. */
  private List<byte[][]> wireSegments() {
    List<byte[][]> segments = new ArrayList<>();
    byte[] payloadMark = new byte[0];
    if (framing != Framing.CHUNKED) {
      if (body.length > 0) segments.add(new byte[][] {body, payloadMark});
      return segments;
    }
    for (int off = 0; off < body.length; off += chunkSize) {
      int n = Math.min(chunkSize, body.length - off);
      segments.add(new byte[][] {ascii(Integer.toHexString(n) + "\r\n"), null});
      segments.add(new byte[][] {Arrays.copyOfRange(body, off, off + n), payloadMark});
      segments.add(new byte[][] {ascii("\r\n"), null});
    }
    StringBuilder end = new StringBuilder("0\r\n");
    for (String line : trailerLines) end.append(line).append("\r\n");
    segments.add(new byte[][] {ascii(end.append("\r\n").toString()), null});
    return segments;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Override
  public String toString() {
    return "Reply[" + code + ", " + body.length + " bytes, " + framing
        + (fault == Fault.NONE ? "" : ", " + fault + " after " + faultAfter) + "]";
  }
}
