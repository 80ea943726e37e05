package dev.haul.internal.http1;

import static dev.haul.internal.http1.Bodies.DIRECT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.TransportConfig;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.Responses;
import dev.haul.testing.SilentServer;
import dev.haul.testing.TestBodies;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Exchange#abort} from another thread: a blocked send or read throws within well under a
 * second (asserted within 2 s), at every stage of the exchange, and an aborted connection is never
 * pooled.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class AbortTest {
    private static final long BOUND_MS = 2_000;
    private static final Duration WAIT = Duration.ofSeconds(5);

    private FaultServer server;
    private Http1Transport transport;
    private final byte[] body = TestBodies.bytes(200_000);

    @BeforeEach
    void start() throws IOException {
        server = FaultServer.start();
        transport = new Http1Transport(DIRECT);
    }

    @AfterEach
    void stop() {
        transport.close();
        server.close();
    }

    /** Runs {@code task} on a helper thread, named for the leak check. */
    static <T> CompletableFuture<T> onThread(ThrowingSupplier<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(task.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "haul-test-exchange");
        t.setDaemon(true);
        t.start();
        return result;
    }

    interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    /** Aborts and returns how long the blocked call took to fail, in ms. */
    static long abortAndTime(Exchange ex, CompletableFuture<?> blocked, Class<?> expected)
            throws InterruptedException {
        RuntimeException cause = new RuntimeException("stall detected");
        long start = System.nanoTime();
        ex.abort(cause);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> blocked.get(BOUND_MS, TimeUnit.MILLISECONDS));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertInstanceOf(expected, e.getCause());
        if ("exchange aborted".equals(e.getCause().getMessage())) {
            assertSame(cause, e.getCause().getCause(), "the abort's cause travels along");
        }
        return ms;
    }

    @Test
    void abortUnblocksASendWaitingForTheResponse() throws Exception {
        server.always("/stall", Responses.noResponse());
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/stall")).build());
        CompletableFuture<Object> send = onThread(ex::send);
        assertTrue(server.awaitRequests("/stall", 1, WAIT));
        long ms = abortAndTime(ex, send, IOException.class);
        assertTrue(ms < BOUND_MS, ms + " ms");
        ex.close();
        assertTrue(server.awaitClientClosed(0, WAIT));
        assertEquals(0, transport.pool().idleCount());
    }

    @Test
    void abortUnblocksAReadWaitingForBodyBytes() throws Exception {
        server.always("/f", Responses.ok(body).stallAfter(1000));
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
        ex.send();
        CountDownLatch gotSome = new CountDownLatch(1);
        CompletableFuture<Integer> reading = onThread(() -> {
            ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
            int total = 0;
            while (true) {
                buffer.clear();
                int n = ex.read(buffer);
                if (n < 0) {
                    return total;
                }
                total += n;
                if (total >= 1000) {
                    gotSome.countDown();
                }
            }
        });
        assertTrue(gotSome.await(5, TimeUnit.SECONDS));
        long ms = abortAndTime(ex, reading, IOException.class);
        assertTrue(ms < BOUND_MS, ms + " ms");
        assertThrows(IOException.class, () -> ex.read(ByteBuffer.allocate(10)),
                "later calls throw");
        ex.close();
        assertTrue(server.awaitClientClosed(0, WAIT));
        assertEquals(0, transport.pool().idleCount());
    }

    @Test
    void abortUnblocksAConnectInTheTlsHandshake() throws Exception {
        try (SilentServer silent = SilentServer.start();
             Http1Transport slow =
                     new Http1Transport(TransportConfig.direct(Duration.ofMinutes(5)))) {
            Exchange ex = slow.newExchange(ExchangeRequest.get(
                    URI.create("https://127.0.0.1:" + silent.port() + "/")).build());
            CompletableFuture<Object> send = onThread(ex::send);
            assertTrue(silent.awaitConnections(1, WAIT));
            long ms = abortAndTime(ex, send, IOException.class);
            assertTrue(ms < BOUND_MS, ms + " ms");
            ex.close();
        }
    }

    @Test
    void abortUnblocksAConnectInAProxyHandshake() throws Exception {
        try (SilentServer silent = SilentServer.start();
             Http1Transport viaProxy = new Http1Transport(new TransportConfig(Duration.ofMinutes(5),
                     null, false,
                     uri -> new ProxyRoute.Socks5("127.0.0.1", silent.port(), true, null),
                     null))) {
            Exchange ex = viaProxy.newExchange(ExchangeRequest.get(
                    URI.create("http://origin.invalid/")).build());
            CompletableFuture<Object> send = onThread(ex::send);
            assertTrue(silent.awaitConnections(1, WAIT));
            long ms = abortAndTime(ex, send, IOException.class);
            assertTrue(ms < BOUND_MS, ms + " ms");
            ex.close();
        }
    }

    @Test
    void abortBeforeSendMakesSendThrowWithoutConnecting() throws IOException {
        server.always("/f", Responses.ok(body));
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
        ex.abort(null);
        IOException e = assertThrows(IOException.class, ex::send);
        assertEquals("exchange aborted", e.getMessage());
        ex.close();
        assertEquals(0, server.connectionCount());
    }

    @Test
    void abortIsIdempotentAndFirstCauseWins() throws Exception {
        server.always("/f", Responses.ok(body));
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
        ex.send();
        RuntimeException first = new RuntimeException("first");
        ex.abort(first);
        ex.abort(new RuntimeException("second"));
        IOException e = assertThrows(IOException.class, () -> ex.read(ByteBuffer.allocate(10)));
        assertSame(first, e.getCause());
        ex.close();
        ex.abort(null);
    }

    @Test
    void anAbortedConnectionIsNeverPooledEvenWhenTheBodyWasComplete() throws Exception {
        server.always("/f", Responses.ok(body));
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
        ex.send();
        assertArrayEquals(body, Bodies.readAll(ex));
        ex.abort(null);
        ex.close();
        assertTrue(server.awaitClientClosed(0, WAIT));
        assertEquals(0, transport.pool().idleCount());
        Bodies.get(transport, server.uri("/f"));
        assertEquals(2, server.connectionCount());
    }

    @Test
    void bytesAlreadyBufferedAreNotDeliveredAfterAnAbort() throws Exception {
        server.always("/f", Responses.ok("small body, buffered with the head"));
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
        ex.send();
        ex.abort(null);
        assertThrows(IOException.class, () -> ex.read(ByteBuffer.allocate(100)));
        ex.close();
    }

    @Test
    void abortAfterCloseLeavesThePooledConnectionAlone() throws Exception {
        server.always("/f", Responses.ok(body));
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
        ex.send();
        Bodies.readAll(ex);
        ex.close();
        ex.abort(null);
        assertEquals(1, transport.pool().idleCount());
        Bodies.get(transport, server.uri("/f"));
        assertEquals(1, server.connectionCount());
    }
}
