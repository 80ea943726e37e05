package dev.haul.internal.transfer;

import dev.haul.TimeSource;
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

    /** Whether the manager is closing: admitted transfers must not start. */
    boolean closed();

    /** The transfer has ended and released everything. */
    void finished(Transfer transfer);
}
