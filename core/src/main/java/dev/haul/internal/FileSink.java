package dev.haul.internal;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Writes the body to {@code <file>.part} beside the destination and moves it onto the destination
 * atomically once complete, so the destination only ever holds a whole, verified file.
 *
 * <p>Beside the part lives a small sidecar, {@code <file>.part.meta}, written atomically: a hash of
 * the URL, the requested range, and the validators and total length of the representation. A later
 * download of the same URL to the same file continues the part only when the sidecar matches; a
 * part without a sidecar is never trusted.
 *
 * <p>Only one download writes to a destination at a time: a second one in this JVM, or in another
 * process (through a lock on the part file), fails with {@link Reason#DESTINATION_BUSY}.
 */
final class FileSink implements Sink {
    private static final ConcurrentHashMap<Path, FileSink> ACTIVE = new ConcurrentHashMap<>();

    private final Path target;
    private final Path part;
    private final Path meta;
    private final FileOps ops;
    private final String url;
    private final String urlHash;
    private final RangeSpec range;
    private final boolean fsync;
    private FileChannel channel;
    private FileLock lock;
    /** Whether the sidecar on disk describes this part. */
    private boolean hasMeta;
    /** The representation to describe in the sidecar once the part is worth resuming, or null. */
    private ResumeState unsaved;

    /** What an earlier run left that this one continues, found when the sink opens. */
    record Found(long bytes, ResumeState state) {
    }

    private Found found = new Found(0, ResumeState.NONE);

    /** Parts smaller than this get a sidecar only when their download stops unfinished. */
    static final long SAVE_AFTER_BYTES = 1024 * 1024;
    /**
     * With fsync on, every this many bytes written the part is forced to disk in the background,
     * so the disk writes while the network delivers and the force before the rename finds little
     * left to do (1 GiB over loopback, whole process: 3.7 s -> 2.8-3.3 s, bench/README.md case 2).
     */
    static final long FLUSH_EVERY_BYTES = 32L * 1024 * 1024;

    /**
     * Threads that run the background flushes of every download in this JVM: two, so the number of
     * threads stays bounded however many large files download at once, and the disk, not a
     * thread, is what flushes wait for. They end after a second idle.
     */
    private static final WorkerPool FLUSHERS = new WorkerPool(2, TimeUnit.SECONDS.toNanos(1),
            Session.daemonThreads("haul-flush-"));

    /** Bytes written since the last background flush was handed over. */
    private long unflushed;
    /** The last background flush handed over, or null. */
    private CompletableFuture<Void> flush;
    /** What a background flush failed with: the part's bytes may not be on disk. */
    private volatile IOException flushFailure;

    private FileSink(Path target, FileOps ops, String url, String uriText, RangeSpec range, boolean fsync) {
        this.fsync = fsync;
        this.target = target;
        this.part = target.resolveSibling(target.getFileName() + ".part");
        this.meta = target.resolveSibling(target.getFileName() + ".part.meta");
        this.ops = ops;
        this.url = url;
        this.urlHash = sha256(uriText);
        this.range = range;
    }

    /**
     * Opens the part file for {@code target}, claiming the destination, and finds what an earlier
     * run left. With {@code continueExisting}, an existing destination file is copied into the part
     * as the first bytes of the body, unless a resumable part exists already.
     */
    static FileSink open(Path target, FileOps ops, String url, String uriText, RangeSpec range,
                         boolean continueExisting, boolean fsync) throws DownloadException {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null || !Files.exists(dir)) {
            throw new DownloadException(Reason.LOCAL_IO, url, "directory does not exist: " + dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new DownloadException(Reason.LOCAL_IO, url, "not a directory: " + dir);
        }
        if (Files.isDirectory(abs)) {
            throw new DownloadException(Reason.LOCAL_IO, url, "destination is a directory: " + abs);
        }
        FileSink sink = new FileSink(abs, ops, url, uriText, range, fsync);
        if (ACTIVE.putIfAbsent(abs, sink) != null) {
            throw new DownloadException(Reason.DESTINATION_BUSY, url,
                    "another download is writing to " + abs);
        }
        boolean created;
        try {
            created = sink.openPart();
        } catch (DownloadException e) {
            sink.abandon(); // the part may be another writer's: leave it alone
            throw e;
        } catch (IOException e) {
            sink.abandon();
            throw new DownloadException(Reason.LOCAL_IO, url, "cannot open " + sink.part + ": " + e.getMessage(), e);
        }
        try {
            sink.found = created ? sink.fresh() : sink.findResumable();
            if (sink.found.bytes() == 0 && continueExisting && Files.isRegularFile(abs)) {
                sink.copyExisting();
            }
            return sink;
        } catch (IOException e) {
            sink.close(true);
            throw new DownloadException(Reason.LOCAL_IO, url, "cannot prepare " + sink.part + ": " + e.getMessage(), e);
        }
    }

    Found found() {
        return found;
    }

    Path part() {
        return part;
    }

    /** Opens and locks the part; returns whether it was created just now (nothing to resume). */
    private boolean openPart() throws IOException, DownloadException {
        Set<OpenOption> create = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        boolean created;
        try {
            // The usual case, and one system call: no part exists. O_EXCL never follows a link.
            channel = ops.open(part, create, FilePermissions.ownerOnly(part));
            created = true;
        } catch (FileAlreadyExistsException e) {
            // A planted link or odd file at our part path is replaced, never followed.
            if (!Files.isRegularFile(part, LinkOption.NOFOLLOW_LINKS)) {
                if (Files.isDirectory(part, LinkOption.NOFOLLOW_LINKS)) {
                    throw new DownloadException(Reason.LOCAL_IO, url, "part path is a directory: " + part);
                }
                Files.deleteIfExists(part);
            }
            channel = ops.open(part, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), FilePermissions.ownerOnly(part));
            created = false;
        }
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            channel = null;
            throw new DownloadException(Reason.DESTINATION_BUSY, url,
                    "another process is writing to " + part);
        }
        return created;
    }

    /** A part created just now: a sidecar (or its temp) left without its part describes nothing. */
    private Found fresh() throws IOException {
        Files.deleteIfExists(metaTmp()); // removed, never followed
        Files.deleteIfExists(meta);
        return new Found(0, ResumeState.NONE);
    }

    private Found findResumable() throws IOException {
        Files.deleteIfExists(metaTmp()); // a stale or planted temp is removed, never followed
        long size = channel.size();
        Properties p = readMeta();
        if (size > 0 && p != null && urlHash.equals(p.getProperty("url.sha256"))
                && String.valueOf(rangeFirst()).equals(p.getProperty("range.first"))
                && String.valueOf(rangeLast()).equals(p.getProperty("range.last"))) {
            ResumeState state = ResumeState.of(p.getProperty("etag"), p.getProperty("last-modified"),
                    Long.parseLong(p.getProperty("total", "-1")));
            if (state.ifRange() != null && (state.total() < 0 || size <= state.total())) {
                hasMeta = true;
                channel.position(size);
                return new Found(size, state);
            }
        }
        if (size > 0) {
            channel.truncate(0);
        }
        Files.deleteIfExists(meta); // it describes another URL, range or body, or it is no file at all
        return new Found(0, ResumeState.NONE);
    }

    private void copyExisting() throws IOException {
        try (FileChannel in = FileChannel.open(target, StandardOpenOption.READ)) {
            long size = in.size();
            long done = 0;
            while (done < size) {
                done += in.transferTo(done, size - done, channel);
            }
            channel.position(done);
            found = new Found(done, ResumeState.NONE);
        }
    }

    private long rangeFirst() {
        return range == null ? 0 : range.first();
    }

    private long rangeLast() {
        return range == null ? -1 : range.last();
    }

    /** Feeds the first {@code bytes} of the part file to {@code checksum} (a resumed prefix). */
    void digestPrefix(Checksum checksum, long bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long pos = 0;
        while (pos < bytes) {
            buf.clear().limit((int) Math.min(buf.capacity(), bytes - pos));
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException("part file shorter than expected");
            }
            buf.flip();
            checksum.updateNow(buf);
            pos += n;
        }
    }

    @Override
    public void write(List<ByteBuffer> buffers, int bytes) throws DownloadException {
        try {
            ByteBuffer[] array = buffers.toArray(new ByteBuffer[0]);
            long left = bytes;
            while (left > 0) {
                left -= channel.write(array);
            }
            if (unsaved != null) {
                saveIfWorthIt();
            }
            if (fsync && (unflushed += bytes) >= FLUSH_EVERY_BYTES) {
                flushInBackground();
            }
        } catch (IOException e) {
            throw new DownloadException(Reason.LOCAL_IO, url, "cannot write " + part + ": " + e.getMessage(), e);
        }
    }

    private void flushInBackground() {
        if (flush != null && !flush.isDone()) {
            return; // the disk is behind already: the first write after this flush hands over the next
        }
        unflushed = 0;
        FileChannel c = channel;
        flush = CompletableFuture.runAsync(() -> {
            try {
                c.force(false);
            } catch (ClosedChannelException e) {
                // the download ended meanwhile; the commit forces for itself
            } catch (IOException e) {
                flushFailure = e; // an fsync error is reported once: keep it for the commit
            } catch (RuntimeException e) {
                flushFailure = new IOException("background flush failed: " + e, e);
            }
        }, FLUSHERS);
    }

    /** Forces the part to disk, after any background flush, and reports what either failed with. */
    private void forceToDisk() throws IOException {
        if (flush != null) {
            flush.join();
        }
        channel.force(false);
        if (flushFailure != null) {
            throw flushFailure;
        }
    }

    @Override
    public void reset() throws IOException {
        channel.truncate(0);
        channel.position(0);
        if (hasMeta) {
            Files.deleteIfExists(meta);
            hasMeta = false;
        }
        unsaved = null;
    }

    /**
     * Remembers what identifies the body. The sidecar is written once the part holds
     * {@link #SAVE_AFTER_BYTES}, or when the download stops with a part worth keeping: a small
     * file that dies is cheaper to fetch again than a sidecar is to write for every file.
     */
    @Override
    public void representation(ResumeState state) throws IOException {
        unsaved = state.ifRange() == null ? null : state;
        if (hasMeta) { // the sidecar on disk describes an earlier representation
            Files.deleteIfExists(meta);
            hasMeta = false;
            saveIfWorthIt();
        }
    }

    private void saveIfWorthIt() throws IOException {
        if (unsaved != null && channel != null && channel.position() >= SAVE_AFTER_BYTES) {
            save(unsaved);
        }
    }

    private void save(ResumeState state) throws IOException {
        unsaved = null;
        Properties p = new Properties();
        p.setProperty("url.sha256", urlHash);
        p.setProperty("range.first", String.valueOf(rangeFirst()));
        p.setProperty("range.last", String.valueOf(rangeLast()));
        if (state.etag() != null) {
            p.setProperty("etag", state.etag());
        }
        if (state.lastModified() != null) {
            p.setProperty("last-modified", state.lastModified());
        }
        p.setProperty("total", String.valueOf(state.total()));
        Path tmp = metaTmp();
        Files.deleteIfExists(tmp); // a planted link is removed, never followed
        try {
            try (OutputStream out = java.nio.channels.Channels.newOutputStream(Files.newByteChannel(tmp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    FilePermissions.ownerOnly(tmp)))) {
                p.store(out, "haul resume state");
            }
            Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        hasMeta = true;
    }

    @Override
    public byte[] commit() throws IOException {
        try {
            if (fsync) {
                forceToDisk();
            }
            lock.release();
            channel.close();
            channel = null;
            // The part is owner-only while it grows; the file takes the mode it would have had.
            FilePermissions.applyFinal(part, target);
            ops.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (hasMeta) {
                Files.deleteIfExists(meta);
                hasMeta = false;
            }
        } finally {
            closeChannel();
            ACTIVE.remove(target, this);
        }
        return null;
    }

    @Override
    public void close(boolean keep) {
        boolean empty = true;
        try {
            empty = channel == null || channel.size() == 0;
            if (keep && !empty && unsaved != null) {
                save(unsaved); // stopped unfinished: now the part is worth resuming
            }
        } catch (IOException ignored) {
            // a broken channel or sidecar keeps nothing worth resuming
        }
        closeChannel();
        if (!keep || empty || !hasMeta) {
            try {
                Files.deleteIfExists(part);
                Files.deleteIfExists(meta);
            } catch (IOException ignored) {
                // best effort: a stale part without a sidecar is never trusted anyway
            }
        }
        ACTIVE.remove(target, this);
    }

    /** Gives up the claim on the destination without touching any file. */
    private void abandon() {
        closeChannel();
        ACTIVE.remove(target, this);
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close(); // releases the lock too
            } catch (IOException ignored) {
                // nothing more to do
            }
            channel = null;
        }
    }

    private Path metaTmp() {
        return meta.resolveSibling(meta.getFileName() + ".tmp");
    }

    private Properties readMeta() {
        if (!Files.isRegularFile(meta, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(meta)) {
            Properties p = new Properties();
            p.load(in);
            return p;
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
