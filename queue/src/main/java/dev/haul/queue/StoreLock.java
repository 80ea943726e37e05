package dev.haul.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One process at a time per queue directory: an OS lock ({@code fcntl}) on {@code queue.lock},
 * which holds the owner's pid for the message a second process prints.
 *
 * <p>Why a lock file rather than SQLite's {@code locking_mode=EXCLUSIVE}: the OS drops the lock
 * when its process dies, even by {@code kill -9}, so there is no stale lock to judge; it guards
 * the whole directory (the credentials file too), not only the database; it is taken before the
 * database is opened, so a second daemon fails at once with a message naming the first, instead
 * of with a busy database in the middle of a migration; and the database stays readable by
 * {@code sqlite3} for inspection while the daemon runs.
 */
final class StoreLock implements AutoCloseable {
    /**
     * Lock files held by this JVM. POSIX locks belong to the process, and closing any descriptor
     * of a file drops them all: a second open of a held lock file in this JVM must be refused
     * before it opens a descriptor, or closing that descriptor would release the first lock.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private StoreLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    static StoreLock acquire(Path lockFile) {
        Path file = lockFile.toAbsolutePath().normalize();
        if (!HELD.add(file)) {
            throw new QueueException(QueueException.Code.LOCKED, "the queue in "
                    + file.getParent() + " is open in this process already: one daemon at a time");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE), OwnerOnlyFiles.ownerOnly());
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM holds it already
            }
            if (lock == null) {
                String holder = holder(file);
                channel.close();
                HELD.remove(file);
                throw new QueueException(QueueException.Code.LOCKED, "the queue in "
                        + file.getParent() + " is in use by another process" + holder
                        + ": one daemon at a time");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.US_ASCII)), 0);
            return new StoreLock(file, channel, lock);
        } catch (IOException e) {
            HELD.remove(file);
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new QueueException(QueueException.Code.STORE, "cannot lock " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private static String holder(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.US_ASCII).trim();
            return pid.matches("[0-9]{1,10}") ? " (pid " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
        HELD.remove(file);
    }
}
