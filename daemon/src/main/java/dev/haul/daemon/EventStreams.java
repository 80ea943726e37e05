package dev.haul.daemon;

import dev.haul.queue.DownloadQueue;
import dev.haul.queue.JobEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /api/v1/events}: the queue's events as Server-Sent Events.
 *
 * <p>One subscription to the queue feeds a history of the last {@value #HISTORY} events and a
 * bounded buffer per open stream, both under one lock, so a stream that starts (or resumes after
 * {@code Last-Event-ID}) sees every later event exactly once and in order. Each buffer is drained
 * by its request's thread, so a slow client never slows the queue: when its buffer is full its
 * events are dropped, and the gap in the {@code id:} numbers tells it to reload.
 */
final class EventStreams implements AutoCloseable {
    /** At most this many streams at once: each holds a request thread. */
    static final int MAX_STREAMS = 32;
    /** Events buffered per stream before they are dropped. */
    static final int BUFFER = 1024;
    /** Events kept for clients that reconnect with {@code Last-Event-ID}. */
    static final int HISTORY = 4096;
    /** A comment this often keeps proxies and idle timeouts from closing a quiet stream. */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private static final Object END = new Object();

    private final AtomicInteger open = new AtomicInteger();
    private final Set<BlockingQueue<Object>> streams = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<JobEvent> history = new ArrayDeque<>();
    private final AutoCloseable subscription;
    private final Duration keepAlive;
    /** The sequence number of the last event received; guarded by {@code this}. */
    private long last;
    private volatile boolean closing;

    EventStreams(DownloadQueue queue, Duration keepAlive) {
        this.keepAlive = keepAlive;
        synchronized (this) {
            this.last = queue.lastSequence();
        }
        this.subscription = queue.subscribe(this::onEvent);
    }

    /** On the queue's event thread. */
    private synchronized void onEvent(JobEvent e) {
        if (e.sequence() <= last) {
            return; // published before this subscription existed
        }
        last = e.sequence();
        history.addLast(e);
        if (history.size() > HISTORY) {
            history.removeFirst();
        }
        for (BlockingQueue<Object> s : streams) {
            s.offer(e); // a full buffer drops the event: the client sees the gap
        }
    }

    /**
     * Streams events until the client leaves or the daemon stops.
     *
     * @param lastEventId the client's {@code Last-Event-ID}, or null: with one, the events after
     *     it that are still in the history are sent first (an id this daemon has not reached comes
     *     from an earlier run, and is ignored)
     */
    void serve(Response response, Callback callback, String lastEventId) {
        if (closing) {
            throw new ApiError(503, "shutting_down", "the daemon is stopping");
        }
        long resumeAfter = -1;
        if (lastEventId != null && !lastEventId.isBlank()) {
            try {
                resumeAfter = Long.parseLong(lastEventId.trim());
            } catch (NumberFormatException e) {
                throw ApiError.invalid("Last-Event-ID: not an event id: '" + lastEventId + "'");
            }
        }
        if (open.incrementAndGet() > MAX_STREAMS) {
            open.decrementAndGet();
            throw new ApiError(503, "too_many_streams", "more than " + MAX_STREAMS
                    + " event streams are open");
        }
        BlockingQueue<Object> buffer = new ArrayBlockingQueue<>(BUFFER);
        long after;
        synchronized (this) {
            if (resumeAfter >= 0 && resumeAfter <= last) {
                after = resumeAfter;
                for (JobEvent e : history) {
                    if (e.sequence() > after) {
                        buffer.offer(e);
                    }
                }
            } else {
                after = last;
            }
            streams.add(buffer);
        }
        try {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            OutputStream out = Content.Sink.asOutputStream(response);
            send(out, "retry: 3000\n\nevent: hello\ndata: {\"api\":\"v1\",\"sequence\":" + after
                    + "}\n\n");
            while (!closing) {
                Object next = buffer.poll(keepAlive.toMillis(), TimeUnit.MILLISECONDS);
                if (next == END) {
                    break;
                }
                if (next == null) {
                    send(out, ": keep-alive\n\n");
                } else if (next instanceof JobEvent e) {
                    send(out, "id: " + e.sequence() + "\nevent: " + e.type().wireName()
                            + "\ndata: " + new String(Json.bytes(Json.job(e.job())),
                            StandardCharsets.UTF_8) + "\n\n");
                }
            }
            out.close();
            callback.succeeded();
        } catch (IOException e) {
            callback.failed(e); // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callback.failed(e);
        } finally {
            streams.remove(buffer);
            open.decrementAndGet();
        }
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Ends every stream (the daemon stops). */
    @Override
    public void close() {
        closing = true;
        try {
            subscription.close();
        } catch (Exception e) {
            throw new IllegalStateException("unsubscribing cannot fail", e);
        }
        for (BlockingQueue<Object> s : streams) {
            s.clear();
            s.offer(END);
        }
    }

    int open() {
        return open.get();
    }
}
