package dev.haul.bench.haul;

import dev.haul.Connections;
import dev.haul.Destination;
import dev.haul.Download;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory of one segmented download to a stream destination (issue 11: "peak heap plus direct
 * memory of a 16-connection stream download"). The body goes to {@link Destination#stream} whose
 * callback only hashes it (SHA-256, checked against the expected digest), so nothing but Haul's
 * own buffers (the reorder buffer, the connections' read buffers) is held. A sampler thread reads,
 * every millisecond, the heap in use (live data plus garbage not yet collected: an upper bound of
 * what the heap must hold), the JDK's direct buffer pool (ByteBuffer.allocateDirect, what
 * -XX:MaxDirectMemorySize bounds) and the connections the progress reports.
 *
 * <pre>
 * java -Xlog:gc:file=gc.log -cp ... dev.haul.bench.haul.StreamMemory URL CONNECTIONS SHA256
 * </pre>
 * Prints one line: {@code MEM conns=.. max_active=.. peak_heap_used_mib=.. peak_direct_mib=..
 * peak_direct_count=.. seconds=.. mbps=.. ok=0|1}. Exit 0 when the digest matches.
 */
public final class StreamMemory {

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int conns = Integer.parseInt(args[1]);
        String sha = args[2];
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        AtomicLong peakHeap = new AtomicLong();
        AtomicLong peakDirect = new AtomicLong();
        AtomicLong peakDirectCount = new AtomicLong();
        AtomicLong peakConns = new AtomicLong();
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        long[] bytes = {0};
        try (DownloadManager manager = DownloadManager.builder().maxConnectionsPerHost(Math.max(16, conns)).build()) {
            DownloadRequest request = DownloadRequest.builder(url)
                    .connections(conns == 1 ? Connections.single() : Connections.fixed(conns)).build();
            long t0 = System.nanoTime();
            Download<Void> d = manager.download(request, Destination.stream(chunk -> {
                md.update(chunk);
                bytes[0] += chunk.length;
            }));
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peakHeap.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                    peakDirect.accumulateAndGet(direct.getMemoryUsed(), Math::max);
                    peakDirectCount.accumulateAndGet(direct.getCount(), Math::max);
                    peakConns.accumulateAndGet(d.progress().connections(), Math::max);
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "sampler");
            sampler.setDaemon(true);
            sampler.start();
            boolean ok;
            String reason = "";
            try {
                d.result().get(30, TimeUnit.MINUTES);
                String got = HexFormat.of().formatHex(md.digest());
                ok = got.equalsIgnoreCase(sha);
                if (!ok) {
                    reason = " reason=sha256-differs";
                }
            } catch (Exception e) {
                ok = false;
                reason = " reason=" + e.getClass().getSimpleName();
                e.printStackTrace();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            sampler.interrupt();
            sampler.join();
            double mib = 1024.0 * 1024.0;
            System.out.printf(java.util.Locale.ROOT,
                    "MEM conns=%d max_active=%d bytes=%d peak_heap_used_mib=%.1f peak_direct_mib=%.1f"
                            + " peak_direct_count=%d max_heap_mib=%.0f seconds=%.2f mbps=%.1f ok=%d%s%n",
                    conns, peakConns.get(), bytes[0], peakHeap.get() / mib, peakDirect.get() / mib,
                    peakDirectCount.get(), Runtime.getRuntime().maxMemory() / mib, s, bytes[0] / 1e6 / s,
                    ok ? 1 : 0, reason);
            System.exit(ok ? 0 : 1);
        }
    }
}
