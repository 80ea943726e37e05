package dev.haul.internal.resume;

import dev.haul.internal.sink.FilePermissions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.Set;

/**
 * The resume state kept beside a part file, {@code <file>.part.meta}: which URL and range the part
 * belongs to, the validators of its representation, and the ranges of the body it holds.
 *
 * <p>It is a small properties file with a {@code format} number. Format 2 (this one) stores the
 * held ranges, and optionally a hash of the URL without its query ({@code path.sha256}: a rerun
 * with a refreshed signed URL continues the part) and the SHA-256 the body must have
 * ({@code sha256}: a rerun from another URL expecting the same continues it, the hash deciding);
 * older readers ignore both keys. Format 1 (no {@code format} key) held a prefix as long as the
 * part file, and is read as such. A sidecar of an unknown format, or one that does not parse,
 * describes nothing, so its part is never trusted. It is written atomically (a temp file renamed
 * over it), owner-only, and never through a planted link.
 */
public final class Sidecar {
    /** The format written by this version. */
    public static final int FORMAT = 2;

    /**
     * What a sidecar says.
     *
     * @param urlHash    SHA-256 of the URL the part was downloaded from
     * @param pathHash   SHA-256 of that URL without user info, query and fragment, or null
     * @param sha256     the SHA-256 the caller expected of the body, or null
     * @param rangeFirst the first byte of the range the caller asked for (0 for a whole body)
     * @param rangeLast  the last byte of that range, or -1 for "to the end"
     * @param validators the representation's validators and total length
     * @param done       the ranges of the body the part holds, relative to {@code rangeFirst}
     * @param sequential true when the part was written front to back by one connection: then every
     *                   byte of the part file is body, and the file's size is what it holds even
     *                   where {@code done} (written earlier) says less
     */
    public record Contents(String urlHash, String pathHash, String sha256, long rangeFirst,
                           long rangeLast, Validators validators, RangeSet done,
                           boolean sequential) {
    }

    private Sidecar() {
    }

    /**
     * Reads {@code meta}; null when it is absent, not a regular file, unreadable, malformed or of
     * an unknown format. A format-1 sidecar is read as holding the first {@code partSize} bytes.
     */
    public static Contents read(Path meta, long partSize) {
        if (!Files.isRegularFile(meta, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(meta, LinkOption.NOFOLLOW_LINKS)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
        String format = p.getProperty("format", "1");
        RangeSet done;
        boolean sequential = true;
        if (format.equals("1")) {
            done = RangeSet.prefix(partSize);
        } else if (format.equals(String.valueOf(FORMAT))) {
            done = RangeSet.parse(p.getProperty("done"));
            sequential = !"segments".equals(p.getProperty("layout"));
        } else {
            return null; // written by a newer Haul: not ours to interpret
        }
        long first = ContentRange.parseNonNegative(p.getProperty("range.first", ""));
        long last = parseLong(p.getProperty("range.last"));
        long total = parseLong(p.getProperty("total"));
        String url = p.getProperty("url.sha256");
        if (done == null || url == null || first < 0 || last < -1 || total < -1) {
            return null;
        }
        Validators v = Validators.of(p.getProperty("etag"), p.getProperty("last-modified"), total);
        return new Contents(url, p.getProperty("path.sha256"), p.getProperty("sha256"), first, last,
                v, done, sequential);
    }

    /** Writes {@code c} to {@code meta} atomically, owner-only. */
    public static void write(Path meta, Contents c) throws IOException {
        Properties p = new Properties();
        p.setProperty("format", String.valueOf(FORMAT));
        p.setProperty("url.sha256", c.urlHash());
        if (c.pathHash() != null) {
            p.setProperty("path.sha256", c.pathHash());
        }
        if (c.sha256() != null) {
            p.setProperty("sha256", c.sha256());
        }
        p.setProperty("range.first", String.valueOf(c.rangeFirst()));
        p.setProperty("range.last", String.valueOf(c.rangeLast()));
        if (c.validators().etag() != null) {
            p.setProperty("etag", c.validators().etag());
        }
        if (c.validators().lastModified() != null) {
            p.setProperty("last-modified", c.validators().lastModified());
        }
        p.setProperty("total", String.valueOf(c.validators().total()));
        p.setProperty("done", c.done().format());
        p.setProperty("layout", c.sequential() ? "sequential" : "segments");
        Path tmp = tempOf(meta);
        Files.deleteIfExists(tmp); // a planted link is removed, never followed
        try {
            try (OutputStream out = Channels.newOutputStream(Files.newByteChannel(tmp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), FilePermissions.ownerOnly(tmp)))) {
                p.store(out, "haul resume state");
            }
            Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The temp file a write goes through; a stale one is removed before use, never followed. */
    public static Path tempOf(Path meta) {
        return meta.resolveSibling(meta.getFileName() + ".tmp");
    }

    private static long parseLong(String s) {
        if (s == null) {
            return -2;
        }
        String t = s.trim();
        return t.equals("-1") ? -1 : ContentRange.parseNonNegative(t);
    }
}
