package dev.haul.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One HTTP request as {@link FaultServer} read it off the wire: request line, headers in arrival
 * order (looked up case-insensitively), and which connection it came on.
 */
public final class RecordedRequest {
  private final String requestLine;
  private final String method;
  private final String target;
  private final String version;
  private final List<String[]> headers;
  private final int connectionId;
  private final int connectionSequence;
  private final int pathSequence;
  private final String rawHead;

  RecordedRequest(String requestLine, List<String[]> headers, int connectionId,
      int connectionSequence, int pathSequence, String rawHead) {
    this.requestLine = requestLine;
    String[] parts = requestLine.split(" ", -1);
    this.method = parts.length > 0 ? parts[0] : "";
    this.target = parts.length > 1 ? parts[1] : "";
    this.version = parts.length > 2 ? parts[2] : "";
    this.headers = List.copyOf(headers);
    this.connectionId = connectionId;
    this.connectionSequence = connectionSequence;
    this.pathSequence = pathSequence;
    this.rawHead = rawHead;
  }

  /** The first line exactly as received, without CRLF, e.g. {@code GET /file HTTP/1.1}. */
  public String requestLine() { return requestLine; }

  public String method() { return method; }

  /** The request target as sent, including any query string. */
  public String target() { return target; }

  /** The target without its query string; handlers are registered by this. */
  public String path() {
    int q = target.indexOf('?');
    return q < 0 ? target : target.substring(0, q);
  }

  /** The protocol version, e.g. {@code HTTP/1.1}. */
  public String version() { return version; }

  /** The first value of the named header (case-insensitive), or null when absent. */
  public String header(String name) {
    for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) return h[1];
    return null;
  }

  /** Every value of the named header (case-insensitive), in arrival order. */
  public List<String> headers(String name) {
    List<String> values = new ArrayList<>();
    for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) values.add(h[1]);
    return values;
  }

  /** Every header line as {@code "Name: value"}, in arrival order. */
  public List<String> headerLines() {
    List<String> lines = new ArrayList<>();
    for (String[] h : headers) lines.add(h[0] + ": " + h[1]);
    return lines;
  }

  /** True when the named header is present, whatever its value. */
  public boolean hasHeader(String name) { return header(name) != null; }

  /** The server's id for the TCP connection this request came on (0, 1, 2, ...). */
  public int connectionId() { return connectionId; }

  /** 0 for the first request on its connection, 1 for the second (keep-alive), and so on. */
  public int connectionSequence() { return connectionSequence; }

  /** 0 for the first request the server saw for this path, 1 for the second, and so on. */
  public int pathSequence() { return pathSequence; }

  /** The request head exactly as received (ISO-8859-1), request line to the blank line. */
  public String rawHead() { return rawHead; }

  /** True when the client asked to close the connection after this request. */
  boolean wantsClose() {
    String connection = header("Connection");
    if (connection != null && connection.toLowerCase(Locale.ROOT).contains("close")) return true;
    return "HTTP/1.0".equals(version)
        && (connection == null || !connection.toLowerCase(Locale.ROOT).contains("keep-alive"));
  }

  @Override
  public String toString() {
    return requestLine + " (connection " + connectionId + ", #" + connectionSequence + ")";
  }
}
