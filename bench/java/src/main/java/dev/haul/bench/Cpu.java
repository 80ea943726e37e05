package dev.haul.bench;

import java.lang.management.ManagementFactory;

/**
 * The process's CPU time over all its threads (application, JIT, GC, the client's event loops),
 * from {@code com.sun.management.OperatingSystemMXBean}; {@code /proc/self/stat} when that bean is
 * missing. The same measure for every contender, so CPU per GiB and per 1,000 files compare.
 */
public final class Cpu {

    private static final java.lang.management.OperatingSystemMXBean OS = ManagementFactory.getOperatingSystemMXBean();

    private Cpu() {
    }

    /** Process CPU time in nanoseconds. */
    public static long processNanos() {
        if (OS instanceof com.sun.management.OperatingSystemMXBean sun) {
            long t = sun.getProcessCpuTime();
            if (t >= 0) {
                return t;
            }
        }
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);   // utime + stime (fields 14, 15)
            return ticks * 10_000_000L;                                    // USER_HZ = 100
        } catch (Exception e) {
            return -1;
        }
    }

    /** Resident set size in KiB (VmRSS), or -1. */
    public static long rssKib() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }
}
