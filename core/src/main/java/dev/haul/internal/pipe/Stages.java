package dev.haul.internal.pipe;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * The stages that wrap the copy loop's source and target. Each does one thing and forwards the
 * bytes unchanged.
 */
public final class Stages {
    private Stages() {
    }

    /** Tells {@code activity} whenever bytes arrive from {@code source}. */
    public static BodySource watched(BodySource source, Activity activity) {
        return dst -> {
            int n = source.read(dst);
            if (n > 0) {
                activity.arrived();
            }
            return n;
        };
    }

    /** Tells {@code activity} while {@code target} is busy taking a buffer. */
    public static BodyTarget busy(BodyTarget target, Activity activity) {
        return src -> {
            activity.targetBusy(true);
            try {
                target.write(src);
            } finally {
                activity.targetBusy(false);
                activity.arrived(); // the clock of the stall watch restarts after the target's work
            }
        };
    }

    /**
     * Fails with {@link Reason#PROTOCOL} before a byte beyond {@code limit} reaches
     * {@code target}: a body longer than it declared is never stored. No limit when negative.
     */
    public static BodyTarget limited(BodyTarget target, long limit, String url) {
        if (limit < 0) {
            return target;
        }
        long[] seen = {0};
        return src -> {
            if (seen[0] + src.remaining() > limit) {
                throw new DownloadException(Reason.PROTOCOL, url,
                        "body longer than its declared length " + limit);
            }
            seen[0] += src.remaining();
            target.write(src);
        };
    }

    /** Adds every byte to {@code checksum} before {@code target} takes it. */
    public static BodyTarget hashing(BodyTarget target, Checksum checksum) {
        if (checksum == null) {
            return target;
        }
        return src -> {
            try {
                checksum.update(src);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while hashing");
            }
            target.write(src);
        };
    }

    /** Counts the bytes {@code target} took, after it took them. */
    public static BodyTarget counted(BodyTarget target, Counter counter) {
        return src -> {
            int n = src.remaining();
            target.write(src);
            counter.add(n);
        };
    }

    /** Receives byte counts; may call user code, and may throw what that threw, typed. */
    @FunctionalInterface
    public interface Counter {
        void add(int bytes) throws IOException;
    }
}
