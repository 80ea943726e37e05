package dev.haul.internal.transfer;

import dev.haul.TimeSource;
import dev.haul.internal.EngineConfig;
import dev.haul.internal.net.TokenBucket;
import dev.haul.internal.pipe.BufferPool;
import dev.haul.internal.session.HostLimiter;
import dev.haul.internal.session.Sessions;
import dev.haul.internal.sink.FileOps;
import java.util.concurrent.Executor;

/** What a transfer uses of its manager. Implemented by {@code dev.haul.internal.Engine}. */
public interface TransferContext {
    TimeSource time();

    /** Runs transfers (blocking work): virtual threads on JDK 21+, a platform pool on 17. */
    Executor transfers();

    Executor hashing();

    Executor flushing();

    BufferPool buffers();

    HostLimiter limiter();

    Sessions sessions();

    FileOps fileOps();

    boolean fsync();

    String userAgent();

    /** The bandwidth limit every download of the manager shares (rate 0 = none). */
    TokenBucket sharedLimit();

    /**
     * Until when (clock nanos) a server asked to be left alone (429/503 with Retry-After), or a
     * time not in the future (compare as {@code until - now > 0}: nanos wrap).
     */
    long pausedUntil(String origin);

    /** Every download to {@code origin} waits until {@code untilNanos} before its next request. */
    void pause(String origin, long untilNanos);

    /** The Authorization value a netrc file gives {@code host}, or null. */
    String credentials(String host);

    /** The cookie jar, or null. */
    EngineConfig.Cookies cookies();

    /** Whether the manager is closing: admitted transfers must not start. */
    boolean closed();

    /** The transfer has ended and released everything. */
    void finished(Transfer transfer);
}
