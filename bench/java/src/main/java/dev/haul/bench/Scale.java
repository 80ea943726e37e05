package dev.haul.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Case 4: N concurrent downloads from a throttled server through one client. Measures live Java
 * threads (ThreadMXBean: platform threads the JVM knows, daemon included; virtual threads are not
 * counted), heap used after a full GC and the process's resident set (VmRSS: thread stacks,
 * direct buffers, selectors) once every download has received its first bytes, against the same
 * after a warm-up download; then waits (bounded) for all of them and checks each one.
 */
final class Scale {

    private Scale() {
    }

    static int run(Map<String, String> a) throws Exception {
        String contender = Bench.require(a, "contender");
        String url = Bench.require(a, "url");
        long expected = Long.parseLong(Bench.require(a, "bytes"));
        int n = Integer.parseInt(Bench.require(a, "n"));
        long waitNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(a.getOrDefault("wait", "120")));
        String prefix = "RESULT case=" + a.getOrDefault("case", "4") + " scenario=" + Bench.require(a, "scenario")
                + " contender=" + contender;

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        int threadsJvm = threads.getThreadCount();

        ScaleClient client;
        try {
            client = switch (contender) {
                case "jdk" -> new JdkScaleClient();
                case "haul" -> (ScaleClient) Bench.haul("scaleClient", a);
                default -> throw new IllegalArgumentException("unknown contender: " + contender);
            };
        } catch (Bench.Unavailable e) {
            System.out.println(prefix + " status=unavailable reason=" + e.getMessage());
            return Bench.EXIT_UNAVAILABLE;
        }
        try (client) {
            // Warm-up: one download, so the client's fixed cost (selector, pools) is in the baseline.
            long warm = client.start(URI.create(url + "?warmup"), () -> { }).get(waitNanos, TimeUnit.NANOSECONDS);
            if (warm != expected) {
                System.out.println(prefix + " ok=0 reason=warmup-bytes-" + warm);
                return Bench.EXIT_WRONG;
            }
            long heapBase = heapAfterGc(memory);
            long rssBase = Cpu.rssKib();
            int threadsIdle = threads.getThreadCount();
            threads.resetPeakThreadCount();

            AtomicInteger started = new AtomicInteger();
            List<CompletableFuture<Long>> all = new ArrayList<>(n);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                all.add(client.start(URI.create(url + "?i=" + i), started::incrementAndGet));
            }
            int maxSeen = threads.getThreadCount();
            long deadline = t0 + waitNanos;
            while (started.get() < n && System.nanoTime() < deadline && !allDone(all)) {
                maxSeen = Math.max(maxSeen, threads.getThreadCount());
                Thread.sleep(20);
            }
            int startedAtSample = started.get();
            int threadsInflight = threads.getThreadCount();
            long heapInflight = heapAfterGc(memory);
            long rssInflight = Cpu.rssKib();
            int doneAtSample = countDone(all);
            while (!allDone(all) && System.nanoTime() < deadline) {
                maxSeen = Math.max(maxSeen, threads.getThreadCount());
                Thread.sleep(20);
            }
            double wallS = (System.nanoTime() - t0) / 1e9;
            int completed = 0;
            int intact = 0;
            String firstFailure = null;
            for (CompletableFuture<Long> f : all) {
                if (!f.isDone()) {
                    f.cancel(true);
                    continue;
                }
                completed++;
                try {
                    if (f.join() == expected) {
                        intact++;
                    } else if (firstFailure == null) {
                        firstFailure = "bytes-" + f.join();
                    }
                } catch (RuntimeException e) {
                    if (firstFailure == null) {
                        Throwable c = e.getCause() == null ? e : e.getCause();
                        firstFailure = c.getClass().getSimpleName();
                        c.printStackTrace();
                    }
                }
            }
            int peak = Math.max(maxSeen, threads.getPeakThreadCount());
            // Downloads that had finished before the sample hold nothing; divide by those in flight.
            int inflight = Math.max(1, startedAtSample - doneAtSample);
            boolean ok = intact == n;
            System.out.println(prefix + String.format(Locale.ROOT,
                    " n=%d started=%d inflight=%d completed=%d intact=%d threads_jvm=%d threads_idle=%d"
                            + " threads_inflight=%d threads_peak=%d heap_base_mib=%.1f heap_inflight_mib=%.1f"
                            + " heap_per_dl_kib=%.1f rss_base_mib=%.1f rss_inflight_mib=%.1f rss_per_dl_kib=%.1f"
                            + " threads_per_dl=%.3f java=%s wall_s=%.2f ok=%d%s",
                    n, startedAtSample, inflight, completed, intact, threadsJvm, threadsIdle, threadsInflight, peak,
                    heapBase / 1048576.0, heapInflight / 1048576.0, (heapInflight - heapBase) / 1024.0 / inflight,
                    rssBase / 1024.0, rssInflight / 1024.0, (rssInflight - rssBase) / (double) inflight,
                    (threadsInflight - threadsIdle) / (double) inflight, Runtime.version().feature(),
                    wallS, ok ? 1 : 0, firstFailure == null ? "" : " reason=" + firstFailure));
            return ok ? 0 : Bench.EXIT_WRONG;
        }
    }

    private static boolean allDone(List<CompletableFuture<Long>> all) {
        return countDone(all) == all.size();
    }

    private static int countDone(List<CompletableFuture<Long>> all) {
        int d = 0;
        for (CompletableFuture<Long> f : all) {
            if (f.isDone()) {
                d++;
            }
        }
        return d;
    }

    private static long heapAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** The raw JDK client with a counting subscriber: the floor a JDK-based library can reach. */
    static final class JdkScaleClient implements ScaleClient {
        private final HttpClient client = JdkContenders.client(HttpClient.Version.HTTP_1_1);

        @Override
        public CompletableFuture<Long> start(URI uri, Runnable onFirstBytes) {
            return client.sendAsync(JdkContenders.get(uri), info -> new JdkContenders.CountingSubscriber(onFirstBytes))
                    .thenApply(r -> {
                        JdkContenders.requireOk(r.statusCode(), uri);
                        return r.body();
                    });
        }
    }
}
