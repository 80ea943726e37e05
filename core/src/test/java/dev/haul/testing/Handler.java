package dev.haul.testing;

/**
 * Chooses the response to a recorded request; registered on {@link FaultServer} per path or as
 * the fallback. Called on the connection's thread, so it may block (for example on a latch).
 */
@FunctionalInterface
public interface Handler {
  Response respond(RecordedRequest request);
}
