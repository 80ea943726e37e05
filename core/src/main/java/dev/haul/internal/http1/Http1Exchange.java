package dev.haul.internal.http1;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ProxyException;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.ResponseHead;
import java.io.IOException;
import java.net.PasswordAuthentication;
import java.nio.ByteBuffer;

/**
 * One request and its response on a pooled or new connection.
 *
 * <p>Retry rules, all of them, in {@link #send()}:
 * <ul>
 *   <li>A GET or HEAD that fails on a reused connection before any byte of the response arrived
 *       is sent once more on a new connection: the server most likely closed the idle connection
 *       as we reused it. Once a response byte arrived, nothing is retried.</li>
 *   <li>A 407 from an HTTP proxy, when the route carries no credentials and an authenticator is
 *       configured, asks the authenticator once and tries again on a new connection.</li>
 * </ul>
 *
 * <p>{@link #abort} may race anything; {@link #attach} and {@link #close} meet it under this
 * object's lock, so either the abort sees the connection and closes it, or the owner sees the
 * abort and throws: a connection of an aborted exchange is never pooled.
 */
final class Http1Exchange implements Exchange {
    private enum State { NEW, SENDING, OPEN, CLOSED }

    private final Http1Transport transport;
    private final ExchangeRequest request;
    private final boolean head;

    private State state = State.NEW;
    /** The connection abort() must close: set from the moment a socket may exist. */
    private Connection attached;
    /** The connection carrying the response, once send() returned. */
    private Connection connection;
    private volatile boolean aborted;
    private Throwable abortCause;
    /** A read failed: the connection is out of step and must not be pooled. */
    private boolean failed;
    private String proxyChallenge;

    Http1Exchange(Http1Transport transport, ExchangeRequest request) {
        this.transport = transport;
        this.request = request;
        this.head = request.method().equals("HEAD");
    }

    @Override
    public ResponseHead send() throws IOException {
        synchronized (this) {
            if (state != State.NEW) {
                throw new IllegalStateException("send() called twice or after close()");
            }
            state = State.SENDING;
        }
        if (aborted) {
            throw abortedException(null);
        }
        if (transport.isClosed()) {
            throw new IOException("transport closed");
        }
        ProxyRoute route = transport.route(request.uri());
        PoolKey key = transport.key(request.uri(), route);
        boolean virtualThread = VirtualThreads.current();
        ProxyRoute.Http httpProxy =
                route instanceof ProxyRoute.Http http ? http : null;
        boolean absoluteForm = httpProxy != null && !key.https;
        PasswordAuthentication proxyAuth = httpProxy == null ? null
                : httpProxy.credentials() != null ? httpProxy.credentials()
                : transport.rememberedProxyCredentials(httpProxy);
        boolean mayAskAuthenticator = httpProxy != null && httpProxy.credentials() == null
                && transport.config().authenticator() != null;
        // Encoded (and every header checked) before any connection is touched.
        byte[] bytes = RequestWriter.request(request.method(), request.uri(), key,
                request.headers(), absoluteForm, proxyAuth);
        boolean usePool = !request.freshConnection();
        boolean retriedStale = false;
        while (true) {
            Connection c = null;
            boolean reused = false;
            if (usePool) {
                c = transport.pool().acquire(key, virtualThread);
                reused = c != null;
            }
            if (c == null) {
                try {
                    c = transport.connector().open(this, key, proxyAuth, virtualThread);
                } catch (ProxyException e) {
                    if (e.status() == 407 && mayAskAuthenticator && !aborted) {
                        mayAskAuthenticator = false;
                        proxyAuth = transport.askProxyCredentials(httpProxy, request.uri(),
                                proxyChallenge);
                        if (proxyAuth != null) {
                            usePool = false;
                            continue;
                        }
                    }
                    throw aborted ? abortedException(e) : e;
                } catch (IOException | RuntimeException e) {
                    if (aborted) {
                        throw abortedException(e);
                    }
                    throw e;
                }
            } else {
                attach(c);
            }
            long receivedBefore = c.reader.received();
            ResponseHead response;
            try {
                c.wire().write(ByteBuffer.wrap(bytes));
                response = c.reader.readHead(head, false);
            } catch (IOException | RuntimeException e) {
                detach();
                c.abort();
                if (aborted) {
                    throw abortedException(e);
                }
                boolean nothingArrived = c.reader.received() == receivedBefore;
                if (reused && nothingArrived && e instanceof IOException && !retriedStale) {
                    retriedStale = true; // the server closed the idle connection: once more, fresh
                    usePool = false;
                    continue;
                }
                throw e;
            }
            if (absoluteForm && response.status() == 407) {
                // Plain http through a proxy: the proxy's 407 arrives as the response itself.
                detach();
                c.abort();
                if (mayAskAuthenticator && !aborted) {
                    mayAskAuthenticator = false;
                    proxyAuth = transport.askProxyCredentials(httpProxy, request.uri(),
                            response.header("Proxy-Authenticate"));
                    if (proxyAuth != null) {
                        usePool = false;
                        bytes = RequestWriter.request(request.method(), request.uri(), key,
                                request.headers(), true, proxyAuth);
                        continue;
                    }
                }
                throw new ProxyException(407, "proxy " + httpProxy + " requires authentication");
            }
            if (httpProxy != null && httpProxy.credentials() == null && proxyAuth != null) {
                transport.rememberProxyCredentials(httpProxy, proxyAuth);
            }
            synchronized (this) {
                connection = c;
                if (state == State.SENDING) {
                    state = State.OPEN;
                }
            }
            return response;
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (aborted) {
            throw abortedException(null);
        }
        Connection c = connection;
        if (c == null || state != State.OPEN) {
            throw new IllegalStateException(state == State.CLOSED ? "exchange closed"
                    : "read() before send() returned");
        }
        try {
            return c.reader.read(dst);
        } catch (IOException | RuntimeException e) {
            failed = true;
            if (aborted) {
                throw abortedException(e);
            }
            throw e;
        }
    }

    @Override
    public void abort(Throwable cause) {
        Connection c;
        synchronized (this) {
            if (aborted) {
                return;
            }
            abortCause = cause;
            aborted = true;
            c = attached;
        }
        if (c != null) {
            c.abort();
        }
    }

    @Override
    public void close() {
        Connection c;
        boolean wasAborted;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            c = connection;
            connection = null;
            attached = null;
            wasAborted = aborted;
        }
        if (c == null) {
            return;
        }
        if (!wasAborted && !failed && c.reusable()) {
            transport.pool().release(c);
        } else {
            c.abort();
        }
    }

    /** Makes {@code c} the connection an abort closes; throws when the abort came first. */
    void attach(Connection c) throws IOException {
        boolean wasAborted;
        synchronized (this) {
            attached = c;
            wasAborted = aborted;
        }
        if (wasAborted) {
            c.abort();
            throw abortedException(null);
        }
    }

    private synchronized void detach() {
        attached = null;
    }

    /** Remembers a proxy's Proxy-Authenticate challenge, for the authenticator's prompt. */
    void proxyChallenge(String challenge) {
        this.proxyChallenge = challenge;
    }

    private IOException abortedException(Throwable failure) {
        Throwable cause;
        synchronized (this) {
            cause = abortCause;
        }
        IOException e = new IOException("exchange aborted", cause);
        if (failure != null && failure != cause) {
            e.addSuppressed(failure);
        }
        return e;
    }

    /** The connection carrying the response (tests look at its mode and socket). */
    Connection connection() {
        return connection;
    }

    @Override
    public String toString() {
        return "Http1Exchange[" + request + ", " + state + (aborted ? ", aborted" : "") + "]";
    }
}
