package dev.haul.cli;

import dev.haul.Download;
import dev.haul.Progress;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything the CLI prints on stderr while downloads run, in one of three modes:
 * <ul>
 *   <li>{@link Mode#BARS} (stderr is a terminal): a live block at the bottom, one bar per active
 *       download plus an overall line for batches, redrawn in place with ANSI cursor movement;
 *       messages scroll above it;
 *   <li>{@link Mode#LINES} (stderr is a file or pipe): a status line per active download every few
 *       seconds;
 *   <li>{@link Mode#QUIET} ({@code -q}): nothing but errors.
 * </ul>
 * All writes to stderr go through this class, under its lock, so bars and messages never
 * interleave. Under the lock it calls nothing of the library but {@code Download.progress()}, a
 * snapshot; the library never calls a listener while holding a lock of its own, so no cycle.
 */
final class ProgressRenderer implements AutoCloseable {

    enum Mode { BARS, LINES, QUIET }

    /** What the renderer shows: the downloads in flight and the counts of the whole run. */
    interface Board {
        List<Job> active();

        int total();

        int succeeded();

        int failed();
    }

    /** Bars redraw this often: smooth enough, and cheap. */
    static final Duration BAR_INTERVAL = Duration.ofMillis(150);
    /** Plain status lines this often, so a log file stays readable. */
    static final Duration LINE_INTERVAL = Duration.ofSeconds(3);
    /** At most this many bars; the rest are summed up in one line. */
    static final int MAX_BARS = 8;

    private final Mode mode;
    private final PrintStream err;
    private final int columns;
    private final Duration interval;
    private final Object lock = new Object();
    private Board board;
    private Thread ticker;
    private int drawn;          // lines of the live block on screen (BARS)
    private volatile boolean closed;

    ProgressRenderer(Mode mode, PrintStream err, int columns, Duration interval) {
        this.mode = mode;
        this.err = err;
        this.columns = Math.max(40, columns);
        this.interval =
                interval != null ? interval : (mode == Mode.BARS ? BAR_INTERVAL : LINE_INTERVAL);
    }

    Mode mode() {
        return mode;
    }

    /** Starts redrawing {@code board} until {@link #close()}. */
    void start(Board board) {
        synchronized (lock) {
            this.board = board;
        }
        if (mode == Mode.QUIET) {
            return;
        }
        ticker = new Thread(this::tickLoop, "haul-progress");
        ticker.setDaemon(true);
        ticker.start();
    }

    /** A line that is always printed: errors. */
    void error(String line) {
        print(line);
    }

    /** A line that {@code -q} suppresses: saved files, retries, notes. */
    void info(String line) {
        if (mode != Mode.QUIET) {
            print(line);
        }
    }

    private void print(String line) {
        synchronized (lock) {
            eraseBlock();
            err.println(oneLine(line));
            drawBlock();
            err.flush();
        }
    }

    /** Stops the live display and leaves the terminal on a fresh line. */
    @Override
    public void close() {
        closed = true;
        Thread t = ticker;
        if (t != null) {
            t.interrupt();
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (lock) {
            eraseBlock();
            err.flush();
        }
    }

    private void tickLoop() {
        long sleepMs = interval.toMillis();
        while (!closed) {
            try {
                Thread.sleep(sleepMs);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            synchronized (lock) {
                if (mode == Mode.BARS) {
                    eraseBlock();
                    drawBlock();
                } else {
                    for (String line : statusLines()) {
                        err.println(line);
                    }
                }
                err.flush();
            }
        }
    }

    // ------------------------------------------------------------------ BARS: the live block

    private void eraseBlock() {
        if (mode != Mode.BARS || drawn == 0) {
            return;
        }
        // The cursor sits at the end of the block's last line: go to the start of its first line
        // and erase to the end of the screen.
        StringBuilder s = new StringBuilder("\r");
        if (drawn > 1) {
            s.append("\033[").append(drawn - 1).append('A');
        }
        s.append("\033[J");
        err.print(s);
        drawn = 0;
    }

    private void drawBlock() {
        if (mode != Mode.BARS || closed || board == null) {
            return;
        }
        List<String> lines = barLines();
        if (lines.isEmpty()) {
            return;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            s.append(fit(lines.get(i)));
            if (i < lines.size() - 1) {
                s.append('\n');
            }
        }
        err.print(s);
        drawn = lines.size();
    }

    private List<String> barLines() {
        List<Job> active = board.active();
        List<String> lines = new ArrayList<>();
        int labelWidth = 0;
        for (int i = 0; i < Math.min(active.size(), MAX_BARS); i++) {
            labelWidth = Math.max(labelWidth, active.get(i).label.length());
        }
        labelWidth = Math.min(labelWidth, Math.max(12, columns / 4));
        for (int i = 0; i < Math.min(active.size(), MAX_BARS); i++) {
            Job job = active.get(i);
            Download<?> d = job.download;
            if (d != null) {
                lines.add(bar(job, d.progress(), labelWidth));
            }
        }
        if (active.size() > MAX_BARS) {
            lines.add("  … and " + (active.size() - MAX_BARS) + " more running");
        }
        if (board.total() > 1) {
            lines.add(overall(active));
        }
        return lines;
    }

    private String bar(Job job, Progress p, int labelWidth) {
        String label = pad(ellipsize(job.label, labelWidth), labelWidth);
        String right = "  " + amounts(p) + "  " + speedAndEta(p);
        int barWidth = columns - 1 - label.length() - right.length() - 9;
        StringBuilder s = new StringBuilder(label).append(' ');
        if (barWidth >= 10) {
            s.append('[');
            double f = p.fraction();
            if (f >= 0) {
                int full = (int) Math.round(f * barWidth);
                s.append("#".repeat(full)).append("-".repeat(barWidth - full));
            } else {
                // Unknown total: a marker that moves with the bytes.
                int pos = (int) ((p.bytesDone() / (256 * 1024)) % barWidth);
                s.append("-".repeat(pos)).append("<=>", 0, Math.min(3, barWidth - pos))
                        .append("-".repeat(Math.max(0, barWidth - pos - 3)));
            }
            s.append("] ");
        }
        s.append(p.totalKnown() ? String.format(Locale.ROOT, "%3d%%", (int) (p.fraction() * 100))
                : "  ?%");
        return s + right;
    }

    private String overall(List<Job> active) {
        double speed = 0;
        for (Job job : active) {
            Download<?> d = job.download;
            if (d != null) {
                speed += d.progress().bytesPerSecond();
            }
        }
        int done = board.succeeded() + board.failed();
        return "total: " + done + "/" + board.total() + " done"
                + (board.failed() > 0 ? ", " + board.failed() + " failed" : "")
                + ", " + active.size() + " running, " + Units.rate(speed);
    }

    // ------------------------------------------------------------------ LINES: periodic status

    private List<String> statusLines() {
        List<String> lines = new ArrayList<>();
        if (board == null) {
            return lines;
        }
        List<Job> active = board.active();
        for (Job job : active) {
            Download<?> d = job.download;
            if (d != null) {
                Progress p = d.progress();
                lines.add(job.label + ": " + amounts(p)
                        + (p.totalKnown()
                        ? String.format(Locale.ROOT, " (%d%%)", (int) (p.fraction() * 100)) : "")
                        + ", " + speedAndEta(p));
            }
        }
        if (board.total() > 1) {
            lines.add(overall(active));
        }
        return lines;
    }

    // ------------------------------------------------------------------ shared formatting

    private static String amounts(Progress p) {
        return p.totalKnown()
                ? Units.bytes(p.bytesDone()) + " / " + Units.bytes(p.totalBytes())
                : Units.bytes(p.bytesDone());
    }

    private static String speedAndEta(Progress p) {
        String eta = p.eta().map(d -> "ETA " + Units.clock(d)).orElse("ETA --:--");
        // more than one connection is worth saying: it explains the speed
        String over = p.connections() > 1 ? " over " + p.connections() + " connections" : "";
        return Units.rate(p.bytesPerSecond()) + over + "  " + eta;
    }

    private String fit(String line) {
        return line.length() < columns ? line : line.substring(0, columns - 1);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static String ellipsize(String s, int width) {
        return s.length() <= width ? s : s.substring(0, Math.max(1, width - 1)) + "…";
    }

    /** Messages are one line: a server's text must not break the layout or fake a line. */
    static String oneLine(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp == '\n' || cp == '\r' || cp == '\t') {
                out.append(' ');
            } else if (Character.isISOControl(cp)) {
                out.append('?');
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }
}
