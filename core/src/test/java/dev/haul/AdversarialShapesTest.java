package dev.haul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.testing.FaultProxy;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract downloads again, through a {@link FaultProxy} that reshapes the byte stream (house
 * style 13, Okio's ONE_BYTE_AT_A_TIME): one byte per write, a throttled link, and a connection
 * dropped once. Whatever the shape, every destination gets exactly the served bytes.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class AdversarialShapesTest extends LoopbackFaultTest {
    private static final int LARGE = 300_000;
    private static final int SMALL = 3_000;

    /** How the proxy shapes the server-to-client bytes. */
    enum Shape {
        ONE_BYTE_PER_WRITE(SMALL) {
            @Override
            void apply(FaultProxy proxy) {
                proxy.slicer(1, 0);
            }
        },
        THROTTLED(LARGE) {
            @Override
            void apply(FaultProxy proxy) {
                proxy.bandwidth(6_000_000);
            }
        },
        CLOSED_ONCE_MID_BODY(LARGE) {
            @Override
            void apply(FaultProxy proxy) {
                proxy.downstream(FaultProxy.Toxics.none().limitData(100_000).firstConnections(1));
            }
        },
        RESET_ONCE_MID_BODY(LARGE) {
            @Override
            void apply(FaultProxy proxy) {
                proxy.downstream(FaultProxy.Toxics.none().resetPeer(100_000).firstConnections(1));
            }
        };

        final int size;

        Shape(int size) {
            this.size = size;
        }

        abstract void apply(FaultProxy proxy);

        /** Whether this shape cuts a connection, which a body without a length cannot survive. */
        boolean closesCleanly() {
            return this == CLOSED_ONCE_MID_BODY;
        }
    }

    // 5, 6, 9, house style 13
    @ParameterizedTest
    @EnumSource(Shape.class)
    void everyDestinationGetsIdenticalBytesWhateverTheShape(Shape shape) throws Exception {
        byte[] body = TestBodies.random(shape.size, shape.ordinal());
        for (boolean withLength : new boolean[] {true, false}) {
            if (!withLength && shape.closesCleanly()) {
                continue; // a FIN ends a close-delimited body legitimately (item 35): not a shape to survive
            }
            for (DownloadMode mode : DownloadMode.values()) {
                String what = shape + (withLength ? " with" : " without") + " Content-Length, " + mode;
                closeAll();
                open(dir.resolve(mode + (withLength ? "-cl" : "-nocl")));
                ServeBytes serve = ServeBytes.of(body).contentLength(withLength);
                server.handle("/f", serve);
                proxy = FaultProxy.start(server.port());
                shape.apply(proxy);
                Outcome o = mode.run(manager(retries(3)), DownloadRequest.builder(proxy.url("/f")), out);

                var r = o.assertBody(body);
                assertEquals(TestBodies.sha256Hex(body), mode == DownloadMode.FILE
                        ? TestBodies.sha256Hex(out) : TestBodies.sha256Hex(mode == DownloadMode.MEMORY
                        ? (byte[]) r.body() : o.streamed()), what);
                if (shape.name().endsWith("ONCE_MID_BODY")) {
                    assertEquals(2, r.attempts(), what + ": dropped once, resumed once");
                    assertTrue(r.resumedFrom() > 0, what + ": resumed, not restarted");
                    assertEquals("bytes=" + r.resumedFrom() + "-", server.lastRequest("/f").header("Range"), what);
                } else {
                    assertEquals(1, r.attempts(), what);
                }
            }
        }
        closeAll();
    }

    // 6, 41, house style 13
    @ParameterizedTest
    @EnumSource(Shape.class)
    void aKeptPartResumesThroughEveryShape(Shape shape) throws Exception {
        byte[] body = TestBodies.random(shape.size, 100 + shape.ordinal());
        int cut = shape.size / 3;
        ServeBytes serve = ServeBytes.of(body).cutOnRequest(1, cut, ServeBytes.Cut.FIN);
        server.handle("/f", serve);
        proxy = FaultProxy.start(server.port()); // the same URL both times: the sidecar is tied to it
        Outcome first = DownloadMode.FILE.run(manager(RetryPolicy.NONE), DownloadRequest.builder(proxy.url("/f")), out);
        first.assertFailure(DownloadException.Reason.NETWORK);
        assertEquals(cut, Files.size(Outcome.part(out)));

        shape.apply(proxy);
        Outcome again = DownloadMode.FILE.run(manager(retries(3)), DownloadRequest.builder(proxy.url("/f")), out);

        again.assertBody(body);
        assertEquals("bytes=" + cut + "-", server.requests("/f").get(1).header("Range"));
        assertEquals(serve.etag(), server.requests("/f").get(1).header("If-Range"));
        assertEquals(TestBodies.sha256Hex(body), TestBodies.sha256Hex(out));
        assertEquals(java.util.List.of("out.bin"), Outcome.listing(out.getParent()));
    }
}
