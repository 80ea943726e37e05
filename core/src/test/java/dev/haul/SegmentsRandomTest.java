package dev.haul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.SegmentsTest.Fault;
import dev.haul.SegmentsTest.Faulty;
import dev.haul.SegmentsTest.Mode;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The segment-fault matrix, randomized: each case draws a body size, a destination, a connection
 * setting, up to three faults at random range requests, and maybe a mirror (one with the same
 * bytes, or one with other bytes of the same size) and an expected SHA-256. Whatever is drawn,
 * the outcome is the exact body or a typed failure with no file, and a stream holds a prefix of
 * the body, never a mix.
 *
 * <p>Seeded and reproducible: {@code -Dhaul.segments.cases=N} (default 12, a few seconds; the
 * {@code long} profile runs 1,000), {@code -Dhaul.segments.seed=S}, {@code -Dhaul.segments.case=I}
 * to rerun one case. A failure prints all three; the summary line counts the outcomes.
 */
@ExtendWith(LeakCheck.class)
class SegmentsRandomTest {
    static final long SEED = Long.getLong("haul.segments.seed", 0x5E6_2026L);
    static final int CASES = Integer.getInteger("haul.segments.cases", 12);
    static final int ONLY_CASE = Integer.getInteger("haul.segments.case", -1);
    static final String ETAG = SegmentsTest.ETAG;

    static final Map<String, Integer> OUTCOMES = new TreeMap<>();

    @TempDir
    Path dir;

    /** One drawn case. */
    record Case(int index, long seed, int size, Mode mode, Connections connections,
                Map<Integer, Fault> faults, String mirror, boolean sha) {
        @Override
        public String toString() {
            return "case " + index + " (" + size + " bytes, " + mode + ", " + connections + ", faults "
                    + faults + ", mirror " + mirror + ", sha " + sha + ")\n  reproduce: "
                    + "-Dhaul.segments.seed=" + SEED + " -Dhaul.segments.case=" + index;
        }
    }

    static Case draw(int index, long seed) {
        Random r = new Random(seed);
        int size = 1024 * 1024 * (2 + r.nextInt(9)) + r.nextInt(100_000);
        Mode mode = Mode.values()[r.nextInt(Mode.values().length)];
        Connections c = r.nextInt(4) == 0 ? Connections.adaptive(8)
                : Connections.fixed(2 + r.nextInt(5));
        Map<Integer, Fault> faults = new HashMap<>();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            faults.put(2 + r.nextInt(8), Fault.values()[r.nextInt(Fault.values().length)]);
        }
        String mirror = switch (r.nextInt(3)) {
            case 0 -> "none";
            case 1 -> "same";
            default -> "liar";
        };
        return new Case(index, seed, size, mode, c, faults, mirror, r.nextBoolean());
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.HOURS)
    void randomFaultsNeverMakeAMix() throws Exception {
        Random seeds = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            long seed = seeds.nextLong();
            if (ONLY_CASE >= 0 && i != ONLY_CASE) {
                continue;
            }
            Case c = draw(i, seed);
            try {
                run(c);
            } catch (AssertionError | Exception e) {
                throw new AssertionError(c + "\n  " + e, e);
            }
        }
    }

    void run(Case c) throws Exception {
        Random r = new Random(c.seed() ^ 0x5A5A);
        byte[] body = TestBodies.random(c.size(), r.nextLong());
        byte[] replacement = TestBodies.random(c.size(), r.nextLong());
        Path caseDir = Files.createDirectory(dir.resolve("case" + c.index()));
        Path out = caseDir.resolve("out");
        try (FaultServer server = FaultServer.start(); FaultServer mirror = FaultServer.start()) {
            Faulty handler = new Faulty(body, replacement, c.faults());
            server.handle("/f", handler);
            DownloadRequest.Builder b = DownloadRequest.builder(server.url("/f"))
                    .connections(c.connections());
            if (!c.mirror().equals("none")) {
                byte[] served = c.mirror().equals("same") ? body : TestBodies.random(c.size(), 1);
                mirror.handle("/m", ServeBytes.of(served).etag(c.mirror().equals("same") ? ETAG
                        : "\"liar\"").throttle(64 * 1024, 2));
                b.mirror(mirror.url("/m"));
            }
            if (c.sha()) {
                b.expectedSha256(TestBodies.sha256Hex(body));
            }
            byte[] got = null;
            ByteArrayOutputStream streamed = new ByteArrayOutputStream();
            DownloadException failure = null;
            try (DownloadManager m = DownloadManager.builder()
                    .retryPolicy(RetryPolicy.ofRetries(3).withBackoff(Duration.ofMillis(5),
                            Duration.ofMillis(20)))
                    .responseTimeout(Duration.ofSeconds(5)).stallTimeout(Duration.ofSeconds(5))
                    .splitThreshold(1024 * 1024).build()) {
                DownloadRequest req = b.build();
                got = switch (c.mode()) {
                    case FILE -> {
                        m.download(req, Destination.file(out)).result().get(60, TimeUnit.SECONDS);
                        yield Files.readAllBytes(out);
                    }
                    case MEMORY -> m.download(req, Destination.memory()).result()
                            .get(60, TimeUnit.SECONDS).body();
                    default -> {
                        m.download(req, Destination.stream(streamed::write)).result()
                                .get(60, TimeUnit.SECONDS);
                        yield streamed.toByteArray();
                    }
                };
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof DownloadException, "typed: " + e.getCause());
                failure = (DownloadException) e.getCause();
            }
            if (failure == null) {
                // the body, the file that replaced it on the server, or (without a digest to
                // tell) the whole body of a mirror that lies about being the same file, after a
                // failover: one source's bytes, never a mix
                boolean exact = Arrays.equals(body, got)
                        || (handler.replaced && !c.sha() && Arrays.equals(replacement, got))
                        || (c.mirror().equals("liar") && !c.sha()
                                && Arrays.equals(TestBodies.random(c.size(), 1), got));
                assertTrue(exact, "the exact body");
                count(Arrays.equals(body, got) ? "exact" : "exact: the replacement's or a mirror's whole body");
            } else {
                assertNotNull(failure.reason());
                assertFalse(Files.exists(out), "no file after a failure");
                if (c.mode() == Mode.STREAM) {
                    byte[] prefix = streamed.toByteArray();
                    assertTrue(isPrefix(prefix, body) || isPrefix(prefix, replacement),
                            "a stream holds a prefix of one body");
                }
                count("failed " + failure.reason());
                System.out.println("SegmentsRandomTest: " + c.toString().replace('\n', ' ')
                        + " -> " + failure);
            }
            if (c.mode() == Mode.FILE && failure == null) {
                assertEquals(1, Outcomes.listing(caseDir).size(), "the file alone");
            }
            for (RecordedRequest q : server.requests("/f")) {
                String range = q.header("Range");
                if (range != null && !range.equals("bytes=0-") && range.matches("bytes=\\d+-\\d+")) {
                    assertNotNull(q.header("If-Range"), "every range is validated: " + q);
                }
            }
        }
    }

    static boolean isPrefix(byte[] prefix, byte[] of) {
        return prefix.length <= of.length
                && Arrays.equals(prefix, Arrays.copyOf(of, prefix.length));
    }

    static synchronized void count(String outcome) {
        OUTCOMES.merge(outcome, 1, Integer::sum);
    }

    @AfterAll
    static void summary() {
        int total = OUTCOMES.values().stream().mapToInt(Integer::intValue).sum();
        System.out.println("SegmentsRandomTest: " + total + " cases (seed " + SEED + "): "
                + OUTCOMES);
    }
}
