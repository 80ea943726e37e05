package dev.haul.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Case 6: many small files in one JVM, warm. One client per JVM fetches every URL of a list over
 * {@code conns} keep-alive connections, {@code rounds} times (the bake-off's D: round 1 is cold,
 * rounds 2-4 "early", the last 5 "steady"), deleting the files between rounds (not timed). Each
 * round is timed from the first request to the last byte, with the process's CPU time over it.
 * The files of the last round are compared byte for byte with the served ones.
 *
 * <pre>
 * Bench small case=6 scenario=h1-file contender=netty list=FILE www=DIR [out=DIR] [conns=8]
 *             [rounds=15] [size=16384] [proto=h1|h2]
 * </pre>
 * Without {@code out=}, bodies are only counted.
 */
final class Small {

    private Small() {
    }

    static int run(Map<String, String> a) throws Exception {
        String contender = Bench.require(a, "contender");
        String prefix = "RESULT case=" + a.getOrDefault("case", "6") + " scenario=" + Bench.require(a, "scenario")
                + " contender=" + contender;
        List<URI> uris = Files.readAllLines(Path.of(Bench.require(a, "list"))).stream()
                .filter(s -> !s.isBlank()).map(URI::create).toList();
        Path www = Path.of(Bench.require(a, "www"));
        Path out = a.containsKey("out") ? Path.of(a.get("out")) : null;
        int conns = Integer.parseInt(a.getOrDefault("conns", "8"));
        int rounds = Integer.parseInt(a.getOrDefault("rounds", "15"));
        long size = Long.parseLong(a.getOrDefault("size", "16384"));
        a.putIfAbsent("url", uris.get(0).toString());
        a.put("conns", Integer.toString(conns));
        HttpClient.Version version = "h2".equals(a.getOrDefault("proto", "h1"))
                ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1;

        SmallClient client;
        try {
            client = switch (contender) {
                case "jdk" -> JdkContenders.small(version, conns);
                case "netty" -> NettyClient.small(uris.get(0), conns);
                case "apache-classic" -> ApacheContenders.classicSmall(conns);
                case "apache-async" -> ApacheContenders.asyncSmall(conns);
                default -> {
                    if (contender.startsWith("haul")) {
                        yield (SmallClient) Bench.haul("smallClient", a);
                    }
                    throw new IllegalArgumentException("unknown contender: " + contender);
                }
            };
        } catch (Bench.Unavailable e) {
            System.out.println(prefix + " status=unavailable reason=" + e.getMessage());
            return Bench.EXIT_UNAVAILABLE;
        }
        double[] wall = new double[rounds];
        double[] cpu = new double[rounds];
        try (client) {
            for (int r = 0; r < rounds; r++) {
                if (out != null) {
                    clear(out);
                }
                long c0 = Cpu.processNanos();
                long t0 = System.nanoTime();
                long n = client.round(uris, out);
                wall[r] = (System.nanoTime() - t0) / 1e9;
                cpu[r] = (Cpu.processNanos() - c0) / 1e9;
                if (n != size * uris.size()) {
                    System.out.println(prefix + " ok=0 reason=round-" + (r + 1) + "-bytes-" + n);
                    return Bench.EXIT_WRONG;
                }
            }
            if (out != null) {
                String wrong = verify(uris, out, www);
                if (wrong != null) {
                    System.out.println(prefix + " ok=0 reason=file-differs-" + wrong);
                    return Bench.EXIT_WRONG;
                }
                clear(out);
            }
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.out.println(prefix + " ok=0 reason=" + e.getClass().getSimpleName());
            return Bench.EXIT_WRONG;
        }
        int steadyFrom = Math.max(1, rounds - 5);
        int earlyTo = Math.min(4, rounds);
        double[] steady = Arrays.copyOfRange(wall, steadyFrom, rounds);
        double[] steadyCpu = Arrays.copyOfRange(cpu, steadyFrom, rounds);
        System.out.println(prefix + String.format(Locale.ROOT,
                " files=%d conns=%d rounds=%d r1_s=%.4f early_s=%.4f steady_s=%.4f r1_cpu_s=%.3f steady_cpu_s=%.4f"
                        + " steady_samples=%s ok=1",
                uris.size(), conns, rounds, wall[0], median(Arrays.copyOfRange(wall, Math.min(1, rounds - 1), earlyTo)),
                median(steady), cpu[0], median(steadyCpu),
                Arrays.stream(steady).mapToObj(d -> String.format(Locale.ROOT, "%.4f", d)).collect(Collectors.joining(","))));
        return 0;
    }

    static double median(double[] v) {
        List<Double> l = new ArrayList<>();
        for (double d : v) {
            l.add(d);
        }
        return Bench.median(l);
    }

    private static void clear(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
    }

    /** The first file that is missing or differs from the served one; null when all match. */
    private static String verify(List<URI> uris, Path out, Path www) throws IOException {
        for (URI u : uris) {
            Path got = out.resolve(SmallClient.name(u));
            Path want = www.resolve(u.getPath().substring(1));
            if (!Files.exists(got) || Files.mismatch(got, want) != -1) {
                return got.getFileName().toString();
            }
        }
        return null;
    }
}
