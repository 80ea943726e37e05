package dev.haul.bench.haul;

import dev.haul.Destination;
import dev.haul.Download;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import dev.haul.RetryPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How closely Haul's bandwidth limit holds, measured on real downloads over loopback: for each
 * limit, one download and four downloads sharing the manager's limit (what {@code haul get
 * --limit-rate} sets) run for a fixed time while a sampler records the bytes received every
 * 50 ms; every 5-second window (sliding in 50 ms steps) is compared with the limit. The target
 * is within 5 % over any 5-second window.
 *
 * <pre>
 * java -cp ... dev.haul.bench.haul.RateAccuracy [--url http://127.0.0.1:PORT/big.bin] [--seconds 20]
 *     [--limits 100000,1000000,10000000,100000000,max]
 * </pre>
 * Without {@code --url}, a small Java server in this process serves an endless body on
 * loopback. {@code max} first measures the machine's unlimited throughput (reported as its own
 * row), then uses that as the limit. Bodies go to a chunk callback that only counts them, so the
 * disk plays no part. Output: one Markdown table row per case on stdout.
 */
public final class RateAccuracy {

    static final long SAMPLE_NANOS = 50_000_000L;
    static final long WINDOW_NANOS = 5_000_000_000L;

    public static void main(String[] args) throws Exception {
        String url = null;
        int seconds = 20;
        String limits = "100000,1000000,10000000,100000000,max";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> url = args[++i];
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--limits" -> limits = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Endless own = null;
        if (url == null) {
            own = new Endless();
            url = "http://127.0.0.1:" + own.port() + "/endless";
        }
        System.err.println("server: " + (own == null ? url : "in-process Java server " + url)
                + "; " + seconds + " s per case; Java " + System.getProperty("java.version"));
        System.out.println("| limit | downloads | windows | mean | worst 5 s window | worst deviation | within 5 % |");
        System.out.println("|---|---|---|---|---|---|---|");
        try {
            for (String l : limits.split(",")) {
                long limit;
                if (l.equals("max")) {
                    Result max = run(url, 0, 1, seconds);
                    System.out.println(row("none (machine max)", 1, max, 0));
                    Result max4 = run(url, 0, 4, seconds);
                    System.out.println(row("none (machine max)", 4, max4, 0));
                    limit = (long) Math.min(max.mean, max4.mean);
                } else {
                    limit = Long.parseLong(l);
                }
                for (int n : new int[] {1, 4}) {
                    Result r = run(url, limit, n, seconds);
                    System.out.println(row(human(limit) + (l.equals("max") ? " (= max)" : ""), n, r, limit));
                }
            }
        } finally {
            if (own != null) {
                own.close();
            }
        }
    }

    /** Bytes per window, sampled. */
    record Result(double mean, double worstWindow, double worstDeviation, int windows, double minShare,
                  double maxShare) {
    }

    static Result run(String url, long limit, int downloads, int seconds) throws Exception {
        try (DownloadManager m = DownloadManager.builder().maxBytesPerSecond(limit)
                .maxConnectionsPerHost(downloads).maxConcurrentDownloads(downloads)
                .stallTimeout(Duration.ofSeconds(30)).build()) {
            AtomicLong[] counters = new AtomicLong[downloads];
            List<Download<Void>> running = new ArrayList<>();
            for (int i = 0; i < downloads; i++) {
                AtomicLong c = new AtomicLong();
                counters[i] = c;
                running.add(m.download(DownloadRequest.builder(url).retryPolicy(RetryPolicy.ofRetries(0)).build(),
                        Destination.stream(chunk -> c.addAndGet(chunk.length))));
            }
            // Start measuring once every download has its first byte: connection set-up is not the limiter's.
            long waitUntil = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < waitUntil && java.util.Arrays.stream(counters).anyMatch(c -> c.get() == 0)) {
                Thread.sleep(1);
            }
            int samples = (int) (seconds * 1_000_000_000L / SAMPLE_NANOS) + 1;
            long[] total = new long[samples];
            long[][] each = new long[downloads][samples];
            long start = System.nanoTime();
            for (int s = 0; s < samples; s++) {
                long due = start + s * SAMPLE_NANOS;
                long now;
                while ((now = System.nanoTime()) < due) {
                    long left = due - now;
                    if (left > 2_000_000) {
                        Thread.sleep(left / 1_000_000 - 1);
                    } else {
                        Thread.onSpinWait();
                    }
                }
                long sum = 0;
                for (int i = 0; i < downloads; i++) {
                    each[i][s] = counters[i].get();
                    sum += each[i][s];
                }
                total[s] = sum;
            }
            for (Download<Void> d : running) {
                if (d.result().isDone() && d.result().isCompletedExceptionally()) {
                    d.result().join(); // throws: the measurement is void
                }
                d.cancel();
            }
            int step = (int) (WINDOW_NANOS / SAMPLE_NANOS);
            double worstWindow = Double.NaN;
            double worstDeviation = 0;
            int windows = 0;
            for (int s = 0; s + step < samples; s++) {
                double rate = (total[s + step] - total[s]) / (WINDOW_NANOS / 1e9);
                windows++;
                double reference = limit > 0 ? limit : (double) (total[samples - 1] - total[0]) / seconds;
                double dev = (rate - reference) / reference;
                if (Math.abs(dev) >= Math.abs(worstDeviation) || Double.isNaN(worstWindow)) {
                    worstDeviation = dev;
                    worstWindow = rate;
                }
            }
            double mean = (total[samples - 1] - total[0]) / (double) seconds;
            double minShare = Double.MAX_VALUE;
            double maxShare = 0;
            for (int i = 0; i < downloads; i++) {
                double share = (each[i][samples - 1] - each[i][0]) / (double) (total[samples - 1] - total[0]);
                minShare = Math.min(minShare, share);
                maxShare = Math.max(maxShare, share);
            }
            return new Result(mean, worstWindow, worstDeviation, windows, minShare, maxShare);
        }
    }

    static String row(String limit, int downloads, Result r, long target) {
        String shares = downloads > 1 ? String.format(Locale.ROOT, " (shares %.0f–%.0f %%)", 100 * r.minShare,
                100 * r.maxShare) : "";
        String ok = target <= 0 ? "n/a (no limit: deviation from the run's mean)"
                : Math.abs(r.worstDeviation) <= 0.05 ? "yes" : "**no**";
        return String.format(Locale.ROOT, "| %s | %d%s | %d | %s | %s | %+.2f %% | %s |", limit, downloads, shares,
                r.windows, human((long) r.mean), human((long) r.worstWindow), 100 * r.worstDeviation, ok);
    }

    static String human(long bytesPerSecond) {
        double v = bytesPerSecond;
        String[] units = {"B/s", "kB/s", "MB/s", "GB/s"};
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }

    /** A loopback HTTP/1.1 server whose every response is an endless (1 TB) body of zeros. */
    static final class Endless implements AutoCloseable {
        private final ServerSocket listener;
        private final Thread acceptor;

        Endless() throws IOException {
            listener = new ServerSocket();
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            acceptor = new Thread(this::accept, "rate-bench-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    Thread t = new Thread(() -> serve(s), "rate-bench-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void serve(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                int last = 0; // the request head ends at CRLF CRLF
                for (int b; last != 0x0d0a0d0a && (b = in.read()) != -1; ) {
                    last = last << 8 | b;
                }
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n"
                        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] buffer = new byte[256 * 1024];
                while (true) {
                    out.write(buffer);
                }
            } catch (IOException e) {
                // the client went away
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
