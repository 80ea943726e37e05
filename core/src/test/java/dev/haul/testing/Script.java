package dev.haul.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * An exact sequence of wire steps that {@link FaultServer} runs for one request, like the
 * {@code <reply><data>} of a curl test: bytes are written exactly as given, so a test can send
 * broken framing, stop half way, stall, half-close or reset the connection.
 *
 * <pre>{@code
 * server.enqueue("/file", Script.builder()
 *     .write("HTTP/1.1 200 OK\r\nContent-Length: 75\r\n\r\n")
 *     .body("hello")
 *     .fin()
 *     .build());
 * }</pre>
 *
 * <p>Unless the script ends with {@link Builder#keepAlive()}, {@link Builder#fin()} or
 * {@link Builder#rst()}, the server half-closes the connection after the last step (as
 * {@code fin()}), because a raw script usually leaves the framing in doubt.
 */
public final class Script implements Response {
  /** What the connection does after the script. */
  enum End { KEEP_ALIVE, FIN, CLOSE, RST }

  /** One step on the wire; runs on the connection's thread. */
  interface Step {
    /** Returns non-null when the step ends the exchange. */
    End run(FaultServer.Exchange exchange) throws IOException, InterruptedException;
  }

  private final List<Step> steps;
  private final String description;

  private Script(List<Step> steps, String description) {
    this.steps = List.copyOf(steps);
    this.description = description;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Script script(RecordedRequest request) {
    return this;
  }

  End run(FaultServer.Exchange exchange) throws IOException, InterruptedException {
    for (Step step : steps) {
      End end = step.run(exchange);
      if (end != null) return end;
    }
    return End.FIN;
  }

  @Override
  public String toString() {
    return "Script[" + description + "]";
  }

  /** Builds a {@link Script}; each call appends one step. */
  public static final class Builder {
    private final List<Step> steps = new ArrayList<>();
    private final StringBuilder description = new StringBuilder();

    private Builder add(String what, Step step) {
      if (description.length() > 0) description.append(", ");
      description.append(what);
      steps.add(step);
      return this;
    }

    /** Writes the string's ISO-8859-1 bytes exactly (status line, headers, anything). */
    public Builder write(String raw) {
      return write(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Writes these bytes exactly; they count as head bytes, not body bytes. */
    public Builder write(byte[] raw) {
      byte[] copy = raw.clone();
      return add("write " + copy.length, ex -> {
        ex.write(copy, 0, copy.length, false);
        return null;
      });
    }

    /**
     * Writes a status line, the header lines and the blank line that ends the head, each ended
     * by CRLF. For a head without its final CRLF use {@link #write(String)}.
     */
    public Builder head(String statusLine, String... headerLines) {
      StringBuilder head = new StringBuilder(statusLine).append("\r\n");
      for (String line : headerLines) head.append(line).append("\r\n");
      return write(head.append("\r\n").toString());
    }

    /** Writes body bytes in one write; they count towards the connection's body bytes. */
    public Builder body(byte[] bytes) {
      return bodySlowly(bytes, Math.max(1, bytes.length), 0);
    }

    /** Writes the string's ISO-8859-1 bytes as body bytes. */
    public Builder body(String text) {
      return body(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Writes body bytes {@code bytesPerWrite} at a time with {@code delayMs} between writes,
     * watching for the client closing while it waits.
     */
    public Builder bodySlowly(byte[] bytes, int bytesPerWrite, long delayMs) {
      if (bytesPerWrite <= 0) throw new IllegalArgumentException("bytesPerWrite <= 0: " + bytesPerWrite);
      if (delayMs < 0) throw new IllegalArgumentException("delayMs < 0: " + delayMs);
      byte[] copy = bytes.clone();
      return add("body " + copy.length + (delayMs > 0 ? " by " + bytesPerWrite + "/" + delayMs + "ms" : ""),
          ex -> {
            for (int off = 0; off < copy.length; off += bytesPerWrite) {
              if (off > 0 && delayMs > 0) ex.pause(delayMs, null);
              ex.write(copy, off, Math.min(bytesPerWrite, copy.length - off), true);
            }
            return null;
          });
    }

    /** Flushes the socket stream (writes are unbuffered; kept for scripts that read like curl's). */
    public Builder flush() {
      return add("flush", ex -> {
        ex.flush();
        return null;
      });
    }

    /** Waits {@code ms}, noticing the client closing meanwhile. */
    public Builder sleep(long ms) {
      if (ms < 0) throw new IllegalArgumentException("ms < 0: " + ms);
      return add("sleep " + ms, ex -> {
        ex.pause(ms, null);
        return null;
      });
    }

    /**
     * Blocks until {@link FaultServer#releaseStalls()} or {@link FaultServer#close()}, then
     * closes the connection. Meanwhile the server notices a client that gives up.
     */
    public Builder stall() {
      return add("stall", ex -> {
        ex.pause(Long.MAX_VALUE, null);
        return End.CLOSE;
      });
    }

    /** Blocks until {@code latch} opens (or the server closes), then goes on with the next step. */
    public Builder stall(CountDownLatch latch) {
      return add("stall on latch", ex -> {
        ex.pause(Long.MAX_VALUE, latch);
        return null;
      });
    }

    /** Half-closes (FIN), then waits for the client to close; ends the exchange. */
    public Builder fin() {
      return add("fin", ex -> End.FIN);
    }

    /** Closes the socket at once; ends the exchange. */
    public Builder close() {
      return add("close", ex -> End.CLOSE);
    }

    /** Resets the connection (SO_LINGER 0, then close), so the client sees RST; ends the exchange. */
    public Builder rst() {
      return add("rst", ex -> End.RST);
    }

    /** Keeps the connection open and reads the next request on it; ends the exchange. */
    public Builder keepAlive() {
      return add("keep-alive", ex -> End.KEEP_ALIVE);
    }

    public Script build() {
      return new Script(steps, description.toString());
    }
  }
}
