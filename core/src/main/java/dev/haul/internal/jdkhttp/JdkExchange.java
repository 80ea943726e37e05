package dev.haul.internal.jdkhttp;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ProxyException;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.resume.ContentRange;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ProtocolException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;

/**
 * One exchange on the JDK client, made blocking: {@link #send()} waits for the head, and the body
 * arrives through a {@link Body} subscriber that asks for one buffer list at a time and hands it to
 * {@link #read}, so the JDK client reads no further than the caller.
 *
 * <p>What the JDK client keeps of an exchange (the body subscriber, the head future) never refers
 * to the transport: on JDK 17 a client's selector thread ends only once the client is unreachable,
 * and an exchange the client never finishes (a response it cannot parse) must not keep it alive.
 */
final class JdkExchange implements Exchange {
    private final JdkTransport transport;
    private final ExchangeRequest request;
    private final Body body = new Body();

    JdkExchange(JdkTransport transport, ExchangeRequest request) {
        this.transport = transport;
        this.request = request;
    }

    @Override
    public ResponseHead send() throws IOException {
        if (transport.closed()) {
            throw new IOException("transport closed");
        }
        ProxyRoute route = ProxyRoute.of(transport.config.proxies(), request.uri());
        if (route instanceof ProxyRoute.Socks5 s) {
            throw new ProxyException(0, "the JDK HTTP client cannot use a SOCKS proxy (" + s
                    + "); use Haul's own transport");
        }
        boolean tunnel = route instanceof ProxyRoute.Http
                && "https".equalsIgnoreCase(request.uri().getScheme());
        if (tunnel && ((ProxyRoute.Http) route).credentials() != null
                && BasicTunneling.disabled()) {
            // The JDK client would drop the credentials from the CONNECT and report the proxy's
            // 407 as the origin's answer: refuse before the proxy sees anything.
            throw new ProxyException(407, "proxy " + route + ": " + BasicTunneling.HINT);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(request.uri());
        if (request.method().equals("HEAD")) {
            b.method("HEAD", HttpRequest.BodyPublishers.noBody());
        } else {
            b.GET();
        }
        for (String[] h : request.headers()) {
            b.header(h[0], h[1]);
        }
        if (route instanceof ProxyRoute.Http h && h.credentials() != null
                && request.header("Proxy-Authorization") == null) {
            // The JDK client sends this header to the proxy only (the request to a plain http
            // origin through it, or the CONNECT of a tunnel), never to the origin.
            String pair = h.credentials().getUserName() + ":" + new String(h.credentials(
                    ).getPassword());
            b.header("Proxy-Authorization", "Basic " + java.util.Base64.getEncoder()
                    .encodeToString(pair.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        CompletableFuture<HttpResponse<Void>> f;
        Body sub = body;
        try {
            f = transport.client.sendAsync(b.build(), sub::onHead);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("cannot send request: " + e.getMessage());
        }
        var unused = f.whenComplete((r, t) -> {
            if (t != null) {
                sub.fail(t);
            }
        });
        sub.sent(f);
        ResponseInfo info;
        try {
            info = sub.head.get();
        } catch (InterruptedException e) {
            abort(e);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the response");
        } catch (ExecutionException e) {
            throw asIo(e.getCause());
        }
        sub.checkAborted();
        if (info.statusCode() == 407 && route instanceof ProxyRoute.Http) {
            // The proxy's answer, not the origin's: a tunnel's CONNECT, or the proxied request.
            abort(new ProxyException(407, "proxy authentication required"));
            throw new ProxyException(407, "proxy " + route + " requires authentication"
                    + (tunnel && BasicTunneling.disabled() ? "; " + BasicTunneling.HINT : ""));
        }
        long length = contentLength(info);
        if (request.method().equals("HEAD") || info.statusCode() == 204
                || info.statusCode() == 304) {
            length = 0;
        }
        String protocol = info.version() == HttpClient.Version.HTTP_2 ? "HTTP/2" : "HTTP/1.1";
        return new ResponseHead(protocol, info.statusCode(), info.headers(), length);
    }

    /**
     * The body length from Content-Length, -1 without one; refuses what cannot frame a body
     * safely. The JDK client would frame a message with both Transfer-Encoding and Content-Length
     * by Content-Length: RFC 9112 §6.3 calls that an attack or a broken server.
     */
    private long contentLength(ResponseInfo info) throws ProtocolException {
        HttpHeaders h = info.headers();
        List<String> values = h.allValues("Content-Length");
        if (h.firstValue("Transfer-Encoding").isPresent()) {
            if (!values.isEmpty()) {
                abort(new ProtocolException("framing"));
                throw new ProtocolException("both Transfer-Encoding and Content-Length");
            }
            return -1;
        }
        long n = -1;
        for (String v : values) {
            // limit 0: trailing empty list elements are ignored (RFC 9110 section 5.6.1.2)
            for (String part : v.split(",", 0)) {
                long parsed = ContentRange.parseNonNegative(part.trim());
                if (parsed < 0 || (n >= 0 && parsed != n)) {
                    abort(new ProtocolException("framing"));
                    throw new ProtocolException("invalid Content-Length: " + v);
                }
                n = parsed;
            }
        }
        return n;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return body.read(dst);
    }

    @Override
    public void abort(Throwable cause) {
        body.abort(cause);
    }

    @Override
    public void close() {
        body.close();
    }

    /** The subscriber the JDK client delivers to; a blocking queue of one buffer list. */
    static final class Body implements BodySubscriber<Void> {
        final CompletableFuture<ResponseInfo> head = new CompletableFuture<>();
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final Object lock = new Object();
        // Guarded by lock.
        private final ArrayDeque<ByteBuffer> buffers = new ArrayDeque<>();
        private Flow.Subscription subscription;
        private boolean complete;
        private Throwable failure;
        private Throwable aborted;
        private boolean requested;
        private CompletableFuture<HttpResponse<Void>> future;
        private boolean closed;

        BodySubscriber<Void> onHead(ResponseInfo info) {
            head.complete(info);
            return this;
        }

        void sent(CompletableFuture<HttpResponse<Void>> f) {
            boolean abortNow;
            synchronized (lock) {
                future = f;
                abortNow = aborted != null;
            }
            if (abortNow) {
                f.cancel(true);
            }
        }

        void checkAborted() throws IOException {
            synchronized (lock) {
                if (aborted != null) {
                    throw new IOException("aborted", aborted);
                }
            }
        }

        int read(ByteBuffer dst) throws IOException {
            while (true) {
                Flow.Subscription ask = null;
                synchronized (lock) {
                    while (buffers.isEmpty() && !complete && failure == null && aborted == null) {
                        if (!requested && subscription != null) {
                            requested = true;
                            ask = subscription;
                            break;
                        }
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("interrupted while reading the body");
                        }
                    }
                    if (aborted != null) {
                        throw new IOException("aborted", aborted);
                    }
                    if (ask == null) {
                        if (!buffers.isEmpty()) {
                            int n = 0;
                            while (dst.hasRemaining() && !buffers.isEmpty()) {
                                ByteBuffer b = buffers.peekFirst();
                                int take = Math.min(b.remaining(), dst.remaining());
                                int limit = b.limit();
                                b.limit(b.position() + take);
                                dst.put(b);
                                b.limit(limit);
                                n += take;
                                if (!b.hasRemaining()) {
                                    buffers.pollFirst();
                                }
                            }
                            return n;
                        }
                        if (failure != null) {
                            throw asIo(failure);
                        }
                        return -1;
                    }
                }
                ask.request(1);
            }
        }

        void abort(Throwable cause) {
            Flow.Subscription s;
            CompletableFuture<HttpResponse<Void>> f;
            synchronized (lock) {
                if (aborted != null) {
                    return;
                }
                aborted = cause == null ? new IOException("aborted") : cause;
                s = subscription;
                f = future;
                lock.notifyAll();
            }
            head.completeExceptionally(new IOException("aborted", aborted));
            if (s != null) {
                s.cancel();
            }
            // A cancelled subscription gets no onError: end the body ourselves, or the JDK client
            // waits for it forever and keeps its selector thread alive.
            done.completeExceptionally(new IOException("aborted", aborted));
            if (f != null) {
                f.cancel(true);
            }
        }

        void close() {
            boolean whole;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                closed = true;
                whole = complete && buffers.isEmpty();
            }
            if (!whole) {
                abort(new IOException("closed before the end of the body"));
            }
        }

        void fail(Throwable t) {
            head.completeExceptionally(t);
            synchronized (lock) {
                if (failure == null && !complete) {
                    failure = t;
                }
                lock.notifyAll();
            }
        }

        @Override
        public CompletionStage<Void> getBody() {
            return done;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            boolean cancel;
            synchronized (lock) {
                subscription = s;
                cancel = aborted != null;
                requested = true;
                lock.notifyAll();
            }
            if (cancel) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            synchronized (lock) {
                requested = false;
                for (ByteBuffer b : items) {
                    if (b.hasRemaining()) {
                        buffers.addLast(b);
                    }
                }
                lock.notifyAll();
            }
        }

        @Override
        public void onError(Throwable t) {
            fail(t);
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            synchronized (lock) {
                complete = true;
                lock.notifyAll();
            }
            done.complete(null);
        }
    }

    static IOException asIo(Throwable t) {
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof IOException io) {
            if (io.getMessage() != null && io.getMessage().contains("fixed content-length")) {
                return new EOFException(io.getMessage()); // the JDK's words for a short body
            }
            return io;
        }
        return new IOException(t);
    }
}
