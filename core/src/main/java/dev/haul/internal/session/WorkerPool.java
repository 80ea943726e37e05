package dev.haul.internal.session;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The session's threads: at most {@code max}, started on demand, each ending after
 * {@code keepAliveNanos} idle.
 *
 * <p>A task goes to the thread that went idle <em>most recently</em>. The JDK client hands its
 * executor a stream of short tasks (one or more per buffer read), and a last-in-first-out handoff
 * keeps them on one or two warm threads. A fixed pool over one queue instead wakes its threads in
 * turn, each with cold caches: plain HTTP/1.1 ran about 15 % slower that way (bench/README.md).
 * With no thread idle a new one starts, up to {@code max}; beyond that tasks wait in order.
 *
 * <p>It never rejects a task: a rejecting executor stops the JDK client's selector (JDK-8277969).
 * After {@link #shutdown()} tasks still run, and threads end as soon as they have nothing to do,
 * so a released session on JDK 17 (which has no {@code HttpClient.close()}) leaves none behind.
 */
public final class WorkerPool implements Executor {
    private final int max;
    private final long keepAliveNanos;
    private final ThreadFactory factory;
    private final ReentrantLock lock = new ReentrantLock();

    // Guarded by lock.
    private final ArrayDeque<Worker> idle = new ArrayDeque<>(); // most recently idle first
    private final ArrayDeque<Runnable> queued = new ArrayDeque<>();
    private int threads;
    private boolean shutdown;
    /** Bumped by {@link #trimIdle()}: a thread idle since an earlier value ends. */
    private long trims;
    /** Set by {@link #trimIdle()} until the next task: threads that go idle meanwhile end too. */
    private boolean trimming;

    public WorkerPool(int max, long keepAliveNanos, ThreadFactory factory) {
        if (max < 1) {
            throw new IllegalArgumentException("max < 1: " + max);
        }
        this.max = max;
        this.keepAliveNanos = keepAliveNanos;
        this.factory = factory;
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        Worker wake;
        Worker start = null;
        lock.lock();
        try {
            trimming = false;
            wake = idle.pollFirst();
            if (wake != null) {
                wake.task = task;
            } else if (threads < max) {
                threads++;
                start = new Worker(task);
            } else {
                queued.addLast(task);
                return;
            }
        } finally {
            lock.unlock();
        }
        if (wake != null) {
            LockSupport.unpark(wake.thread);
        } else {
            start.start();
        }
    }

    /** Lets every thread end once it has nothing to run. Tasks handed over later still run. */
    public void shutdown() {
        Worker[] sleeping;
        lock.lock();
        try {
            shutdown = true;
            sleeping = idle.toArray(new Worker[0]);
        } finally {
            lock.unlock();
        }
        for (Worker w : sleeping) {
            LockSupport.unpark(w.thread);
        }
    }

    /**
     * Ends the threads idle now, and those that go idle before the next task arrives, at once
     * instead of after their idle time; the pool goes on.
     */
    public void trimIdle() {
        Worker[] sleeping;
        lock.lock();
        try {
            trims++;
            trimming = true;
            sleeping = idle.toArray(new Worker[0]);
        } finally {
            lock.unlock();
        }
        for (Worker w : sleeping) {
            LockSupport.unpark(w.thread);
        }
    }

    /** Threads alive now (for tests). */
    public int threads() {
        lock.lock();
        try {
            return threads;
        } finally {
            lock.unlock();
        }
    }

    /** Threads waiting for a task now (for tests). */
    public int idleThreads() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    private final class Worker implements Runnable {
        final Thread thread;
        Runnable task; // guarded by lock: the next task, set by execute() while this is idle

        Worker(Runnable first) {
            this.task = first;
            this.thread = factory.newThread(this);
        }

        void start() {
            try {
                thread.start();
            } catch (Throwable t) { // out of native threads
                lock.lock();
                try {
                    threads--;
                    if (threads == 0) {
                        throw t; // nobody could run the task: the caller must know
                    }
                    queued.addFirst(task); // a running thread takes it when it is done
                } finally {
                    lock.unlock();
                }
            }
        }

        @Override
        public void run() {
            Runnable r;
            lock.lock();
            try {
                r = task;
                task = null;
            } finally {
                lock.unlock();
            }
            while (r != null) {
                try {
                    r.run();
                } catch (Throwable t) {
                    Thread.UncaughtExceptionHandler h = thread.getUncaughtExceptionHandler();
                    if (h != null) {
                        h.uncaughtException(thread, t);
                    }
                }
                r = next();
            }
        }

        /** The next task, or null once this thread should end. */
        private Runnable next() {
            long deadline = System.nanoTime() + keepAliveNanos;
            lock.lock();
            try {
                Runnable r = queued.pollFirst();
                if (r != null) {
                    return r;
                }
                idle.addFirst(this);
                long trimsSeen = trims;
                while (true) {
                    if (task != null) { // execute() took us off the idle stack
                        r = task;
                        task = null;
                        return r;
                    }
                    long left = deadline - System.nanoTime();
                    if (shutdown || left <= 0 || trims != trimsSeen || trimming) {
                        idle.remove(this);
                        threads--;
                        return null;
                    }
                    lock.unlock();
                    try {
                        LockSupport.parkNanos(this, left);
                    } finally {
                        lock.lock();
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
