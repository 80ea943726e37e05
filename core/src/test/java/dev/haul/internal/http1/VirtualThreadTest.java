package dev.haul.internal.http1;

import static dev.haul.internal.http1.Bodies.DIRECT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.TransportConfig;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.Responses;
import dev.haul.testing.TestBodies;
import dev.haul.testing.TestCertificates;
import dev.haul.testing.TlsFront;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The I/O mode follows the thread: platform threads use a selector, virtual threads (JDK 21+,
 * skipped on 17) a blocking channel; a pooled connection switches when a thread of the other kind
 * takes it, and abort unblocks a virtual thread too.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class VirtualThreadTest {
    private FaultServer server;
    private Http1Transport transport;
    private final byte[] body = TestBodies.random(500_000, 11);

    /**
     * The JDK starts its virtual-thread I/O pollers (and their epoll descriptors) the first time a
     * virtual thread blocks on a socket, and keeps them for the life of the JVM. Doing that once
     * before the leak check's baseline keeps the JDK's descriptors from counting as ours.
     */
    @BeforeAll
    static void warmUpTheJdksPollers() throws Exception {
        if (!VirtualThreads.supported()) {
            return;
        }
        try (FaultServer warm = FaultServer.start();
             Http1Transport t = new Http1Transport(DIRECT)) {
            warm.always("/w", Responses.ok(TestBodies.bytes(10)).stallAfter(5));
            Exchange ex = t.newExchange(ExchangeRequest.get(warm.uri("/w")).build());
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Integer> read = onVirtualThread(() -> {
                ex.send();
                started.countDown();
                return Bodies.readAll(ex).length;
            });
            assertTrue(started.await(5, TimeUnit.SECONDS));
            ex.abort(null);
            assertThrows(ExecutionException.class, () -> read.get(5, TimeUnit.SECONDS));
            ex.close();
        }
    }

    @BeforeEach
    void start() throws IOException {
        server = FaultServer.start();
        server.always("/f", Responses.ok(body));
        transport = new Http1Transport(DIRECT);
    }

    @AfterEach
    void stop() {
        transport.close();
        server.close();
    }

    interface Task<T> {
        T run() throws Exception;
    }

    /** Runs {@code task} on a new virtual thread (found by reflection: compiled for 17). */
    static <T> CompletableFuture<T> onVirtualThread(Task<T> task) throws Exception {
        assumeTrue(VirtualThreads.supported(), "no virtual threads before JDK 21");
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable r = () -> {
            try {
                result.complete(task.run());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        };
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        Class<?> builderType = Class.forName("java.lang.Thread$Builder");
        Thread thread = (Thread) builderType.getMethod("unstarted", Runnable.class)
                .invoke(builder, r);
        thread.start();
        return result;
    }

    /** GETs /f and returns whether its connection was in blocking mode. */
    private boolean getAndReportBlocking(Http1Transport t, java.net.URI uri) throws IOException {
        try (Exchange ex = t.newExchange(ExchangeRequest.get(uri).build())) {
            ex.send();
            boolean blocking = ((Http1Exchange) ex).connection().socket.blocking();
            assertArrayEquals(body, Bodies.readAll(ex));
            return blocking;
        }
    }

    @Test
    void platformThreadsUseTheSelector() throws IOException {
        assertFalse(VirtualThreads.current());
        assertFalse(getAndReportBlocking(transport, server.uri("/f")));
    }

    @Test
    void virtualThreadsUseBlockingChannels() throws Exception {
        CompletableFuture<Boolean> blocking = onVirtualThread(() -> {
            assertTrue(VirtualThreads.current());
            boolean first = getAndReportBlocking(transport, server.uri("/f"));
            boolean second = getAndReportBlocking(transport, server.uri("/f"));
            return first && second;
        });
        assertTrue(blocking.get(10, TimeUnit.SECONDS));
        assertEquals(1, server.connectionCount());
    }

    @Test
    void aPooledConnectionSwitchesModeWithItsThread() throws Exception {
        assertTrue(onVirtualThread(() -> getAndReportBlocking(transport, server.uri("/f")))
                .get(10, TimeUnit.SECONDS));
        assertFalse(getAndReportBlocking(transport, server.uri("/f")), "now a platform thread");
        assertTrue(onVirtualThread(() -> getAndReportBlocking(transport, server.uri("/f")))
                .get(10, TimeUnit.SECONDS));
        assertEquals(1, server.connectionCount());
    }

    @Test
    void tlsWorksOnVirtualThreads() throws Exception {
        Path ks = TestCertificates.keystore("localhost", "ip:127.0.0.1,dns:localhost");
        try (TlsFront front = TlsFront.start(TestCertificates.serverContext(ks), server.port());
             Http1Transport tls = new Http1Transport(new TransportConfig(Duration.ofSeconds(5),
                     TestCertificates.trusting(ks), false, uri -> ProxyRoute.DIRECT, null))) {
            assertTrue(onVirtualThread(() -> getAndReportBlocking(tls, front.uri("/f"))
                    & getAndReportBlocking(tls, front.uri("/f"))).get(10, TimeUnit.SECONDS));
            assertEquals(1, front.connectionCount());
        }
    }

    @Test
    void abortUnblocksAVirtualThreadInARead() throws Exception {
        server.always("/stall", Responses.ok(body).stallAfter(100));
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/stall")).build());
        CountDownLatch reading = new CountDownLatch(1);
        CompletableFuture<Integer> read = onVirtualThread(() -> {
            ex.send();
            ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
            int total = 0;
            while (true) {
                buffer.clear();
                int n = ex.read(buffer);
                if (n < 0) {
                    return total;
                }
                total += n;
                if (total >= 100) {
                    reading.countDown();
                }
            }
        });
        assertTrue(reading.await(5, TimeUnit.SECONDS));
        long start = System.nanoTime();
        ex.abort(new RuntimeException("stall"));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> read.get(2, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_000);
        ex.close();
        assertTrue(server.awaitClientClosed(0, Duration.ofSeconds(5)));
    }
}
