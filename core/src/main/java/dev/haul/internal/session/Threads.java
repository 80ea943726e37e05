package dev.haul.internal.session;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every thread a manager runs, with one owner: the manager creates them on demand and
 * {@link #shutdown()} ends them all.
 *
 * <ul>
 *   <li><b>transfers</b>: one thread per active download (per connection, for segments), which
 *       reads the socket and writes the sink, blocking. On JDK 21 and later these are virtual
 *       threads, so thousands of downloads need a handful of carrier threads; on JDK 17 they are
 *       platform threads from a pool that reuses the most recently idle one and ends each after
 *       2 s idle, so a download costs one thread while it transfers (not while it is queued or
 *       waiting to retry) and ~1 MB of reserved stack.
 *   <li><b>hashing</b>: SHA-256 of large bodies, one thread per CPU at most;
 *   <li><b>flushing</b>: background {@code fsync} of large parts, two threads.
 * </ul>
 * The timer is the {@link dev.haul.TimeSource}'s ({@link SystemTime} by default, owned here too).
 */
public final class Threads {
    /** Set {@code -Dhaul.virtualThreads=false} to use platform threads on JDK 21+ as on 17. */
    private static final MethodHandle VIRTUAL_FACTORY = virtualFactory();

    private final ExecutorService virtualTransfers;
    private final WorkerPool platformTransfers;
    private final WorkerPool hashing;
    private final WorkerPool flushing;

    public Threads(String prefix) {
        ThreadFactory vf = newVirtualFactory(prefix + "transfer-");
        if (vf != null) {
            virtualTransfers = newThreadPerTask(vf);
        } else {
            virtualTransfers = null;
        }
        platformTransfers = virtualTransfers != null ? null
                : new WorkerPool(Integer.MAX_VALUE, TimeUnit.SECONDS.toNanos(2),
                        daemon(prefix + "transfer-"));
        hashing = new WorkerPool(Runtime.getRuntime().availableProcessors(),
                TimeUnit.SECONDS.toNanos(1), daemon(prefix + "sha256-"));
        flushing = new WorkerPool(2, TimeUnit.SECONDS.toNanos(1), daemon(prefix + "flush-"));
    }

    /** Runs downloads: virtual threads on JDK 21+, else the platform pool. */
    public Executor transfers() {
        return virtualTransfers != null ? virtualTransfers : platformTransfers;
    }

    /** Whether transfers run on virtual threads. */
    public boolean virtual() {
        return virtualTransfers != null;
    }

    public Executor hashing() {
        return hashing;
    }

    public Executor flushing() {
        return flushing;
    }

    /** Ends the platform threads idle now (the session was released: nothing may run soon). */
    public void trimIdle() {
        if (platformTransfers != null) {
            platformTransfers.trimIdle();
        }
        hashing.trimIdle();
        flushing.trimIdle();
    }

    /**
     * Lets every thread end once its task is done; new tasks still run, on threads that then end.
     */
    public void shutdown() {
        if (virtualTransfers != null) {
            virtualTransfers.shutdown();
        } else {
            platformTransfers.shutdown();
        }
        hashing.shutdown();
        flushing.shutdown();
    }

    /** Platform daemon threads named {@code prefix + n}. */
    public static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static MethodHandle virtualFactory() {
        if ("false".equals(System.getProperty("haul.virtualThreads"))) {
            return null;
        }
        try {
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            Class<?> builder = Class.forName("java.lang.Thread$Builder");
            Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
            MethodHandle start =
                    l.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual));
            MethodHandle name = l.findVirtual(ofVirtual, "name",
                    MethodType.methodType(ofVirtual, String.class, long.class));
            MethodHandle factory =
                    l.findVirtual(builder, "factory", MethodType.methodType(ThreadFactory.class));
            // (String prefix) -> Thread.ofVirtual().name(prefix, 1).factory()
            MethodHandle named = MethodHandles.filterReturnValue(
                    MethodHandles.collectArguments(name, 0, start),
                    factory.asType(MethodType.methodType(ThreadFactory.class, ofVirtual)));
            return MethodHandles.insertArguments(named, 1, 1L);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // JDK 17: no virtual threads
        }
    }

    private static ThreadFactory newVirtualFactory(String prefix) {
        if (VIRTUAL_FACTORY == null) {
            return null;
        }
        try {
            return (ThreadFactory) VIRTUAL_FACTORY.invoke(prefix);
        } catch (Throwable t) {
            return null;
        }
    }

    private static ExecutorService newThreadPerTask(ThreadFactory factory) {
        try {
            MethodHandle m = MethodHandles.publicLookup()
                    .findStatic(java.util.concurrent.Executors.class, "newThreadPerTaskExecutor",
                    MethodType.methodType(ExecutorService.class, ThreadFactory.class));
            return (ExecutorService) m.invoke(factory);
        } catch (Throwable t) {
            return null;
        }
    }
}
