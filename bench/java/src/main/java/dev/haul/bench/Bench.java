package dev.haul.bench;

import java.lang.reflect.InvocationTargetException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs one benchmark case for one contender in this JVM and prints one machine-readable line:
 * <pre>RESULT case=1 scenario=h1-plain contender=haul-stream mbps=1234.5 ms=870.1 ok=1</pre>
 * bench/run.sh starts one JVM per (case, contender, repetition), alternating contenders, and
 * {@link Report} turns the lines into medians and ratios.
 *
 * <pre>
 * Bench throughput case=1 scenario=h1-plain contender=jdk-count url=... bytes=N [proto=h1|h2]
 *                  [warmup=1] [iters=2] [out=DIR] [sha256=HEX]
 * Bench small      case=6 scenario=... contender=... list=FILE www=DIR [out=DIR] [conns=8] [rounds=15]
 * Bench scale      case=4 scenario=... contender=haul|jdk url=... bytes=N n=1000 [sha256=HEX] [wait=60]
 * Bench report     FILE
 * </pre>
 * Exit status: 0 ok, 1 wrong result, 2 usage, 3 contender not available (Haul not built).
 */
public final class Bench {

    static final int EXIT_WRONG = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_UNAVAILABLE = 3;

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            usage();
        }
        switch (args[0]) {
            case "throughput" -> System.exit(throughput(parse(args)));
            case "scale" -> System.exit(Scale.run(parse(args)));
            case "small" -> System.exit(Small.run(parse(args)));
            case "report" -> System.exit(Report.run(args));
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: Bench throughput|small|scale key=value... | Bench report FILE");
        System.exit(EXIT_USAGE);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("not key=value: " + args[i]);
            }
            m.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        return m;
    }

    static String require(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key + "=");
        }
        return v;
    }

    /** Cases 1 and 5: warm up, then time whole transfers of one URL; report median time and MB/s. */
    static int throughput(Map<String, String> a) throws Exception {
        String contenderName = require(a, "contender");
        URI uri = URI.create(require(a, "url"));
        long expected = Long.parseLong(require(a, "bytes"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "1"));
        int iters = Integer.parseInt(a.getOrDefault("iters", "2"));
        String prefix = "RESULT case=" + require(a, "case") + " scenario=" + require(a, "scenario")
                + " contender=" + contenderName;

        Contender contender;
        try {
            contender = create(contenderName, a);
        } catch (Unavailable e) {
            System.out.println(prefix + " status=unavailable reason=" + e.getMessage());
            return EXIT_UNAVAILABLE;
        }
        List<Double> millis = new ArrayList<>();
        long cpuNanos = 0;
        try (contender) {
            for (int i = 0; i < warmup + iters; i++) {
                long c0 = Cpu.processNanos();
                long t0 = System.nanoTime();
                long n = contender.fetch(uri);
                long elapsed = System.nanoTime() - t0;
                long cpu = Cpu.processNanos() - c0;
                Path file = contender.lastFile();
                if (file != null) {
                    n = Files.size(file);
                    Files.delete(file);
                }
                if (n != expected) {
                    System.out.println(prefix + " ok=0 reason=bytes-" + n + "-expected-" + expected);
                    return EXIT_WRONG;
                }
                if (i >= warmup) {
                    millis.add(elapsed / 1e6);
                    cpuNanos += cpu;
                }
            }
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.out.println(prefix + " ok=0 reason=" + e.getClass().getSimpleName());
            return EXIT_WRONG;
        }
        double ms = median(millis);
        // CPU per GiB: the process's CPU over all timed transfers (every thread, JIT and GC included).
        double cpuPerGib = cpuNanos / 1e9 / ((double) expected * iters / (1L << 30));
        StringBuilder samples = new StringBuilder();
        for (double m : millis) {
            samples.append(samples.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.1f", expected / 1e3 / m));
        }
        System.out.println(prefix + String.format(Locale.ROOT, " mbps=%.1f ms=%.1f bytes=%d cpu_s_per_gib=%.3f samples=%s ok=1",
                expected / 1e6 / (ms / 1e3), ms, expected, cpuPerGib, samples));
        return 0;
    }

    static Contender create(String name, Map<String, String> a) throws Exception {
        HttpClient.Version version = "h2".equals(a.getOrDefault("proto", "h1"))
                ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1;
        URI uri = URI.create(require(a, "url"));
        Path out = a.containsKey("out") ? Path.of(a.get("out")) : null;
        return switch (name) {
            case "jdk-count" -> JdkContenders.counting(version);
            case "jdk-file" -> JdkContenders.toFile(version, requireOut(out));
            case "netty" -> NettyClient.contender(uri, null);
            case "netty-file" -> NettyClient.contender(uri, requireOut(out));
            case "apache-classic" -> ApacheContenders.classic(null);
            case "apache-classic-file" -> ApacheContenders.classic(requireOut(out));
            case "apache-async" -> ApacheContenders.async(null);
            case "apache-async-file" -> ApacheContenders.async(requireOut(out));
            case "jdk-bytes" -> JdkContenders.byteArrays(version);
            case "okhttp" -> new OkHttpContender(version == HttpClient.Version.HTTP_2);
            default -> {
                if (name.startsWith("haul")) {
                    yield (Contender) haul("contender", a);
                }
                throw new IllegalArgumentException("unknown contender: " + name);
            }
        };
    }

    private static Path requireOut(Path out) {
        if (out == null) {
            throw new IllegalArgumentException("a -file contender needs out=DIR");
        }
        return out;
    }

    /**
     * Calls {@code dev.haul.bench.haul.HaulContenders.<method>(Map)} reflectively, so that the
     * harness builds and runs its other contenders while the library is not available.
     */
    static Object haul(String method, Map<String, String> a) throws Exception {
        Class<?> c;
        try {
            c = Class.forName("dev.haul.bench.haul.HaulContenders");
        } catch (ClassNotFoundException | LinkageError e) {
            throw new Unavailable("haul-library-not-built");
        }
        try {
            return c.getMethod(method, Map.class).invoke(null, a);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            if (e.getCause() instanceof LinkageError) {
                throw new Unavailable("haul-library-incomplete");   // stale classes, library gone
            }
            throw e;
        } catch (LinkageError e) {
            throw new Unavailable("haul-library-incomplete");
        }
    }

    static double median(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** A contender that cannot run in this build; reported, not counted as a failure. */
    static final class Unavailable extends Exception {
        Unavailable(String reason) {
            super(reason, null, false, false);
        }
    }
}
