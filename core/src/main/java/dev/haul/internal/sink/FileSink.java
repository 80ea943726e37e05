package dev.haul.internal.sink;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.internal.resume.RangeSpec;
import dev.haul.internal.resume.RangeSet;
import dev.haul.internal.resume.Sidecar;
import dev.haul.internal.resume.Validators;
import java.io.IOException;
import java.net.URI;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Writes the body to {@code <file>.part} beside the destination and moves it onto the destination
 * atomically once complete, so the destination only ever holds a whole, verified file.
 *
 * <p>Beside the part lives a {@link Sidecar}, {@code <file>.part.meta}: a hash of the URL, the
 * requested range, and the validators, total length and held ranges of the representation. A later
 * download of the same URL to the same file continues the part only when the sidecar matches; a
 * part without a sidecar is never trusted.
 *
 * <p>Only one download writes to a destination at a time: a second one fails with
 * {@link Reason#DESTINATION_BUSY}. Across processes the claim is a lock on the part file. Within
 * this JVM it is also an entry in {@link #CLAIMED}, the one JVM-wide registry of the engine, and it
 * stays for a reason: the part must be closed before the rename, so that a failing close (a
 * deferred write error) stops the commit, and closing a file releases the process's lock on it
 * (POSIX locks belong to the process, not the channel); only a registry shared by every manager in
 * the JVM guards the destination from that close to the end of the rename.
 */
public final class FileSink implements Sink, PositionalSink {
    /** Destinations being written by a download in this JVM; see the class comment for why. */
    private static final java.util.Set<Path> CLAIMED =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Parts smaller than this get a sidecar only when their download stops unfinished. */
    public static final long SAVE_AFTER_BYTES = 1024 * 1024;
    /**
     * With fsync on, every this many bytes written the part is forced to disk in the background,
     * so the disk writes while the network delivers and the force before the rename finds little
     * left to do (1 GiB over loopback, whole process: 3.7 s -> 2.8-3.3 s, bench/README.md case 2).
     */
    public static final long FLUSH_EVERY_BYTES = 32L * 1024 * 1024;

    private final Path target;
    private final Path part;
    private final Path meta;
    private final FileOps ops;
    private final String url;
    private final String urlHash;
    private final String pathHash;
    private final String expectedSha256;
    private final RangeSpec range;
    private final boolean fsync;
    private final Executor flusher;
    private FileChannel channel;
    private FileLock lock;
    /** Whether the sidecar on disk describes this part. */
    private boolean hasMeta;
    /** The representation to describe in the sidecar once the part is worth resuming, or null. */
    private Validators unsaved;

    /**
     * What an earlier run left that this one continues, found when the sink opens.
     *
     * @param bySha the part came from another URL: only its total identifies it (no If-Range),
     *              and the expected SHA-256 of the whole body decides
     */
    public record Found(long bytes, Validators validators, RangeSet ranges, boolean bySha) {
        Found(long bytes, Validators validators) {
            this(bytes, validators, RangeSet.prefix(bytes), false);
        }
    }

    private Found found = new Found(0, Validators.NONE);

    /** Bytes written since the last background flush was handed over. */
    private final java.util.concurrent.atomic.AtomicLong unflushed =
            new java.util.concurrent.atomic.AtomicLong();
    /** The last background flush handed over, or null. */
    private CompletableFuture<Void> flush;
    /** What a background flush failed with: the part's bytes may not be on disk. */
    private volatile IOException flushFailure;

    private FileSink(Path target, FileOps ops, String url, URI uri, String expectedSha256,
                     RangeSpec range, boolean fsync, Executor flusher) {
        this.fsync = fsync;
        this.target = target;
        this.part = target.resolveSibling(target.getFileName() + ".part");
        this.meta = target.resolveSibling(target.getFileName() + ".part.meta");
        this.ops = ops;
        this.url = url;
        this.urlHash = sha256(uri.toString());
        this.pathHash = sha256(withoutQuery(uri));
        this.expectedSha256 = expectedSha256;
        this.range = range;
        this.flusher = flusher;
    }

    /**
     * Opens the part file for {@code target}, claiming the destination, and finds what an earlier
     * run left. With {@code continueExisting}, an existing destination file is copied into the part
     * as the first bytes of the body, unless a resumable part exists already.
     *
     * @param flusher runs background flushes of large parts (the manager's, shared by downloads)
     */
    public static FileSink open(Path target, FileOps ops, String url, URI uri,
                                String expectedSha256, RangeSpec range, boolean continueExisting,
                                boolean fsync, Executor flusher) throws DownloadException {
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
        FileSink sink = new FileSink(abs, ops, url, uri, expectedSha256, range, fsync, flusher);
        if (!CLAIMED.add(abs)) {
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
            throw new DownloadException(Reason.LOCAL_IO, url, "cannot open " + sink.part + ": "
                    + e.getMessage(), e);
        }
        try {
            sink.found = created ? sink.fresh() : sink.findResumable();
            if (sink.found.bytes() == 0 && continueExisting && Files.isRegularFile(abs)) {
                sink.copyExisting();
            }
            return sink;
        } catch (IOException e) {
            sink.close(true);
            throw new DownloadException(Reason.LOCAL_IO, url, "cannot prepare " + sink.part + ": "
                    + e.getMessage(), e);
        }
    }

    public Found found() {
        return found;
    }

    public Path part() {
        return part;
    }

    public Path target() {
        return target;
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
                    throw new DownloadException(Reason.LOCAL_IO, url, "part path is a directory: "
                            + part);
                }
                Files.deleteIfExists(part);
            }
            channel = ops.open(part,
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    FilePermissions.ownerOnly(part));
            created = false;
        }
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by another download in this JVM
        }
        if (lock == null) {
            throw new DownloadException(Reason.DESTINATION_BUSY, url,
                    "another process is writing to " + part);
        }
        return created;
    }

    /** A part created just now: a sidecar (or its temp) left without its part describes nothing. */
    private Found fresh() throws IOException {
        Files.deleteIfExists(Sidecar.tempOf(meta)); // removed, never followed
        Files.deleteIfExists(meta);
        return new Found(0, Validators.NONE);
    }

    private Found findResumable() throws IOException {
        // a stale or planted temp is removed, never followed
        Files.deleteIfExists(Sidecar.tempOf(meta));
        long size = channel.size();
        Sidecar.Contents c = size > 0 ? Sidecar.read(meta, size) : null;
        // The same URL, or the same one but for its query (a signed URL signed again), continues
        // the part with its validators. Another URL continues it only when the caller expects
        // the same SHA-256 as the run that left it: then the total identifies it, and the hash of
        // the whole body decides.
        boolean sameResource = c != null && (urlHash.equals(c.urlHash())
                || pathHash.equals(c.pathHash()));
        boolean sameDigest = c != null && expectedSha256 != null
                && expectedSha256.equals(c.sha256());
        if ((sameResource || sameDigest)
                && c.rangeFirst() == rangeFirst() && c.rangeLast() == rangeLast()) {
            boolean bySha = !sameResource;
            Validators v = bySha ? new Validators(null, null, c.validators().total())
                    : c.validators();
            boolean identified = v.ifRange() != null || (bySha && v.total() > 0);
            if (c.sequential() && identified && (v.total() < 0 || size <= v.total())) {
                hasMeta = true;
                channel.position(size);
                return new Found(size, v, RangeSet.prefix(size), bySha);
            }
            // Written by several connections: only the ranges the sidecar lists are body bytes,
            // and only a strong validator (or the digest) and a total let them be continued.
            if (!c.sequential() && identified && v.total() > 0 && !c.done().isEmpty()
                    && c.done().ranges().get(c.done().ranges().size() - 1)[1] <= Math.min(size,
                    v.total())) {
                hasMeta = true;
                return new Found(c.done().prefixLength(), v, c.done(), bySha);
            }
        }
        if (size > 0) {
            channel.truncate(0);
        }
        // it describes another URL, range or body, or it is no file at all
        Files.deleteIfExists(meta);
        return new Found(0, Validators.NONE);
    }

    private void copyExisting() throws IOException {
        try (FileChannel in = FileChannel.open(target, StandardOpenOption.READ)) {
            long size = in.size();
            long done = 0;
            while (done < size) {
                done += in.transferTo(done, size - done, channel);
            }
            channel.position(done);
            found = new Found(done, Validators.NONE);
        }
    }

    private long rangeFirst() {
        return range == null ? 0 : range.first();
    }

    private long rangeLast() {
        return range == null ? -1 : range.last();
    }

    /** Feeds the first {@code bytes} of the part file to {@code digest} (a resumed prefix). */
    public void readPrefix(long bytes, Consumer<ByteBuffer> digest) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long pos = 0;
        while (pos < bytes) {
            buf.clear().limit((int) Math.min(buf.capacity(), bytes - pos));
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException("part file shorter than expected");
            }
            buf.flip();
            digest.accept(buf);
            pos += n;
        }
    }

    @Override
    public void write(ByteBuffer src) throws DownloadException {
        try {
            int bytes = src.remaining();
            while (src.hasRemaining()) {
                channel.write(src);
            }
            if (unsaved != null) {
                saveIfWorthIt();
            }
            if (fsync && unflushed.addAndGet(bytes) >= FLUSH_EVERY_BYTES) {
                flushInBackground();
            }
        } catch (IOException e) {
            throw new DownloadException(Reason.LOCAL_IO, url, "cannot write " + part + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code src} at {@code position} of the part (several connections write at once,
     * each its own range). The sidecar is the caller's to keep ({@link #saveRanges}).
     */
    @Override
    public void writeAt(long position, ByteBuffer src) throws DownloadException {
        try {
            int bytes = src.remaining();
            long at = position;
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
            if (fsync && unflushed.addAndGet(bytes) >= FLUSH_EVERY_BYTES) {
                flushInBackground();
            }
        } catch (IOException e) {
            throw new DownloadException(Reason.LOCAL_IO, url, "cannot write " + part + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Records in the sidecar that the part holds {@code done} of the representation
     * {@code validators} names, written by several connections ({@code layout=segments}), forcing
     * the part first so the sidecar never lists bytes the disk may not have.
     */
    @Override
    public void saveRanges(Validators validators, RangeSet done) throws IOException {
        if (validators.ifRange() == null || channel == null) {
            return; // nothing could vouch for these bytes later
        }
        unsaved = null;
        if (fsync) {
            channel.force(false);
        }
        Sidecar.write(meta, new Sidecar.Contents(urlHash, pathHash, expectedSha256, rangeFirst(),
                rangeLast(), validators,
                done, false));
        hasMeta = true;
    }

    private synchronized void flushInBackground() {
        if (flush != null && !flush.isDone()) {
            // the disk is behind already: the first write after this flush hands over the next
            return;
        }
        unflushed.set(0);
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
        }, flusher);
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
    public void representation(Validators validators) throws IOException {
        unsaved = validators.ifRange() == null ? null : validators;
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

    private void save(Validators validators) throws IOException {
        unsaved = null;
        Sidecar.write(meta, new Sidecar.Contents(urlHash, pathHash, expectedSha256, rangeFirst(),
                rangeLast(), validators,
                RangeSet.prefix(channel.position()), true));
        hasMeta = true;
    }

    /**
     * Forces the part to disk, closes it (a failing close stops the commit: the bytes may not be
     * on disk), and renames it onto the destination, which the JVM-wide claim still guards.
     */
    @Override
    public Path commit() throws IOException {
        try {
            if (fsync) {
                forceToDisk();
            }
            FileChannel c = channel;
            channel = null;
            c.close(); // releases the lock too
            // The part is owner-only while it grows; the file takes the mode it would have had.
            FilePermissions.applyFinal(part, target);
            ops.move(part, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            if (hasMeta) {
                Files.deleteIfExists(meta);
                hasMeta = false;
            }
        } finally {
            closeChannel();
            CLAIMED.remove(target);
        }
        return target;
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
                // Still claimed in this JVM, so no other download of ours has a new part here.
                Files.deleteIfExists(part);
                Files.deleteIfExists(meta);
            } catch (IOException ignored) {
                // best effort: a stale part without a sidecar is never trusted anyway
            }
        }
        CLAIMED.remove(target);
    }

    /** Gives up the claim on the destination without touching any file. */
    private void abandon() {
        closeChannel();
        CLAIMED.remove(target);
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

    /** {@code scheme://host:port/path}: the URL but for user info, query and fragment. */
    static String withoutQuery(URI uri) {
        String scheme = String.valueOf(uri.getScheme()).toLowerCase(java.util.Locale.ROOT);
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + String.valueOf(uri.getHost()).toLowerCase(java.util.Locale.ROOT)
                + ":" + port + (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/"
                : uri.getRawPath());
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
