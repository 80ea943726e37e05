package dev.haul.internal;

/**
 * A time source in nanoseconds since an arbitrary origin. Stall detection, speed, ETA and
 * deadlines read it, so tests can inject their own.
 */
@FunctionalInterface
public interface Ticker {
    Ticker SYSTEM = System::nanoTime;

    long nanos();
}
