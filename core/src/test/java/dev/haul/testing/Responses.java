package dev.haul.testing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Ready-made {@link Reply replies} and {@link Script scripts} for the common cases, so most tests
 * read as one line: {@code server.enqueue("/f", Responses.ok(body).resetAfter(10))}.
 */
public final class Responses {
  private Responses() {}

  private static final Map<Integer, String> REASONS = Map.ofEntries(
      Map.entry(200, "OK"), Map.entry(204, "No Content"), Map.entry(206, "Partial Content"),
      Map.entry(301, "Moved Permanently"), Map.entry(302, "Found"), Map.entry(303, "See Other"),
      Map.entry(304, "Not Modified"), Map.entry(307, "Temporary Redirect"),
      Map.entry(308, "Permanent Redirect"), Map.entry(400, "Bad Request"),
      Map.entry(401, "Unauthorized"), Map.entry(403, "Forbidden"), Map.entry(404, "Not Found"),
      Map.entry(408, "Request Timeout"), Map.entry(410, "Gone"),
      Map.entry(416, "Range Not Satisfiable"), Map.entry(429, "Too Many Requests"),
      Map.entry(500, "Internal Server Error"), Map.entry(502, "Bad Gateway"),
      Map.entry(503, "Service Unavailable"), Map.entry(504, "Gateway Timeout"));

  static String reason(int code) {
    return REASONS.getOrDefault(code, "Status");
  }

  /** 200 with Content-Length; the connection stays open for the next request. */
  public static Reply ok(byte[] body) {
    return Reply.of(200, body);
  }

  /** 200 with this text as an ISO-8859-1 body. */
  public static Reply ok(String body) {
    return ok(body.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** 200 with a chunked body in 8 KiB chunks. */
  public static Reply okChunked(byte[] body) {
    return ok(body).chunked(8192);
  }

  /** 200 with a chunked body in chunks of {@code chunkSize} bytes. */
  public static Reply okChunked(byte[] body, int chunkSize) {
    return ok(body).chunked(chunkSize);
  }

  /** This status with an empty body (Content-Length: 0) and these header lines ("Name: value"). */
  public static Reply status(int code, String... headerLines) {
    Reply reply = Reply.of(code, new byte[0]);
    for (String line : headerLines) reply = reply.withHeaderLine(line);
    return reply;
  }

  /** This status with this body. */
  public static Reply status(int code, byte[] body) {
    return Reply.of(code, body);
  }

  /** A correct 206 for {@code bytes=from-}: the tail of {@code body} and its Content-Range. */
  public static Reply partial(byte[] body, long from) {
    return partial(body, from, body.length - 1L);
  }

  /** A correct 206 for {@code bytes=from-to} (inclusive), whatever the body's length. */
  public static Reply partial(byte[] body, long from, long to) {
    if (from < 0 || from > to || to >= body.length) {
      throw new IllegalArgumentException("bad range " + from + "-" + to + " of " + body.length);
    }
    return Reply.of(206, Arrays.copyOfRange(body, (int) from, (int) to + 1))
        .withHeader("Content-Range", "bytes " + from + "-" + to + "/" + body.length)
        .withHeader("Accept-Ranges", "bytes");
  }

  /** 416 with {@code Content-Range: bytes *}{@code /length}. */
  public static Reply rangeNotSatisfiable(long length) {
    return status(416, "Content-Range: bytes */" + length);
  }

  /** A redirect with this Location and an empty body. */
  public static Reply redirect(int code, String location) {
    return status(code, "Location: " + location);
  }

  /** 404 with an empty body. */
  public static Reply notFound() {
    return status(404);
  }

  /** Writes these exact bytes, then half-closes: curl's {@code <data>} with {@code swsclose}. */
  public static Script raw(String bytes) {
    return Script.builder().write(bytes).fin().build();
  }

  /** Writes these exact bytes, then keeps the connection for the next request. */
  public static Script rawKeepAlive(String bytes) {
    return Script.builder().write(bytes).keepAlive().build();
  }

  /** Reads the request and closes without a byte (curl's "empty reply", exit 52). */
  public static Script emptyReply() {
    return Script.builder().fin().build();
  }

  /** Reads the request and resets the connection without a byte. */
  public static Script resetBeforeResponse() {
    return Script.builder().rst().build();
  }

  /** Reads the request and never answers, until the server closes or stalls are released. */
  public static Script noResponse() {
    return Script.builder().stall().build();
  }
}
