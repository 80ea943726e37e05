package dev.haul.testing;

/**
 * Something {@link FaultServer} can answer a request with: it becomes a {@link Script} of wire
 * steps once the request is known (so a well-formed {@link Reply} can drop its body for HEAD).
 */
@FunctionalInterface
public interface Response {
  /** Returns the steps to run on the connection for this request. */
  Script script(RecordedRequest request);
}
