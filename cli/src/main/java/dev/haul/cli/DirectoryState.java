package dev.haul.cli;

import dev.haul.DownloadResult;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What haul finished in a download directory, so that running the same command again can tell a
 * file it finished itself from the same URL (leave it alone, or revalidate it with {@code -N})
 * from a file someone else put there (then {@code NAME.1}, as always).
 *
 * <h2>The file: {@code DIR/.haul-state}</h2>
 * UTF-8 text. The first line is {@value #HEADER}; lines starting with {@code #} are comments;
 * every other line is one finished file, six tab-separated fields:
 * <pre>
 * NAME  SHA-256 of the URL (hex)  SIZE  ETAG  LAST-MODIFIED (or empty)  FINISHED
 * </pre>
 * The two times are ISO-8601. The URL itself is never stored, only its hash: URLs can carry
 * tokens. In fields, {@code %}, tab, CR and LF are written as {@code %25}, {@code %09},
 * {@code %0D}, {@code %0A}.
 *
 * <h2>Writes</h2>
 * Each finished file appends one line with one {@code write} to a file opened for appending, so a
 * crash can at worst leave a torn last line, and two runs in the same directory do not overwrite
 * each other's lines. When the run ends, the file is compacted (one line per name, names whose
 * file is gone or changed size dropped) by writing a temporary file and renaming it over the old
 * one atomically. A run that finished nothing does not create the file.
 *
 * <h2>Corruption</h2>
 * A line that does not parse (wrong field count, a bad hash or size, a name that is not a plain
 * file name, a torn last line) is ignored, and the next write rewrites the file without it. A
 * header of a later version ({@code haul-state 2}) makes the whole file ignored and never
 * written, so an older haul cannot destroy a newer one's state. Anything else that is not this
 * format (no header at all) is treated as empty and replaced on the next write. A file is ours
 * only while it is a regular file (not a link) of the recorded size.
 *
 * <p>Thread-safe: downloads finish on the library's threads.
 */
final class DirectoryState {

    static final String FILE_NAME = ".haul-state";
    static final String HEADER = "haul-state 1";
    private static final String COMMENT =
            "# Files haul finished in this directory, so that running the same command again"
            + " skips them.\n"
            + "# name, SHA-256 of the URL, size, ETag, Last-Modified, finished; tab-separated."
            + " Safe to delete.\n";
    /** A state file larger than this is not read: it cannot be one haul wrote for a directory. */
    static final long MAX_BYTES = 64L * 1024 * 1024;
    // Compiled once: a state file holds a line per file, read at the start and the end of a run.
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SIZE = Pattern.compile("[0-9]{1,18}");

    /** One finished file. */
    record Entry(String name, String urlHash, long size, String etag, Instant lastModified,
            Instant finished) {
    }

    private final Path dir;
    private final Path file;
    private final Map<String, Entry> byName = new LinkedHashMap<>();   // guarded by this
    /** Why the file is ignored and never written (a later version), else null. */
    private final String foreign;
    /**
     * Whether the file on disk needs a rewrite before lines may be appended (torn, corrupt, no
     * header); guarded by this.
     */
    private boolean unclean;
    private int appended;                                               // guarded by this

    private DirectoryState(Path dir, String foreign) {
        this.dir = dir;
        this.file = dir.resolve(FILE_NAME);
        this.foreign = foreign;
    }

    /** The state of {@code dir}: empty when there is no state file or it cannot be read. */
    static DirectoryState load(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        String text;
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                DirectoryState s = new DirectoryState(dir, null);
                // a link or a directory: replace it
                s.unclean = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
                return s;
            }
            if (Files.size(file) > MAX_BYTES) {
                return new DirectoryState(dir, "larger than " + MAX_BYTES + " bytes");
            }
            text = decode(Files.readAllBytes(file));
        } catch (IOException e) {
            return new DirectoryState(dir, "cannot be read: " + e.getMessage());
        }
        String first = text.lines().findFirst().orElse("");
        if (first.startsWith("haul-state ") && !first.equals(HEADER)) {
            return new DirectoryState(dir, "written by another version of haul ("
                    + ProgressRenderer.oneLine(first) + ")");
        }
        DirectoryState s = new DirectoryState(dir, null);
        s.unclean = !first.equals(HEADER) || !text.endsWith("\n");
        int lines = s.parse(text, !text.endsWith("\n"));
        s.unclean |= lines != s.byName.size();
        return s;
    }

    /**
     * Reads entries from {@code text} into {@link #byName}; returns the number of entry lines seen.
     */
    private int parse(String text, boolean tornLast) {
        List<String> lines = new ArrayList<>(text.lines().toList());
        if (tornLast && !lines.isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        int seen = 0;
        boolean header = !lines.isEmpty() && lines.get(0).equals(HEADER);
        for (int i = header ? 1 : 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            seen++;
            Entry e = parseLine(line);
            if (e != null) {
                byName.remove(e.name());   // the latest line for a name wins, and goes last
                byName.put(e.name(), e);
            }
        }
        return seen + (tornLast ? 1 : 0);
    }

    /** Why the state file is ignored, or null when it is used. */
    String ignoredBecause() {
        return foreign;
    }

    Path file() {
        return file;
    }

    /** The hash under which a URL is recorded. */
    static String urlHash(URI uri) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest(uri.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /**
     * A file haul finished from this URL that is still there as it was left (a regular file of the
     * recorded size) and not in {@code taken}, or null.
     */
    synchronized Entry finished(String urlHash, Set<Path> taken) {
        for (Entry e : byName.values()) {
            if (e.urlHash().equals(urlHash)) {
                Path p = dir.resolve(e.name());
                if (!taken.contains(p.toAbsolutePath().normalize()) && intact(p, e.size())) {
                    return e;
                }
            }
        }
        return null;
    }

    /** Whether {@code name} is recorded as finished from a URL other than this one. */
    synchronized boolean recordedForAnother(String name, String urlHash) {
        Entry e = byName.get(name);
        return e != null && !e.urlHash().equals(urlHash);
    }

    /**
     * Records that {@code name} was finished from the URL with this hash, appending one line.
     *
     * @throws IOException when the state file cannot be written; the download itself is done
     */
    synchronized void record(String name, String urlHash, DownloadResult<?> result)
            throws IOException {
        Entry e = new Entry(name, urlHash, result.size(), result.response().etag().orElse(""),
                result.response().lastModified().orElse(null), Instant.now());
        byName.remove(name);
        byName.put(name, e);
        if (foreign != null) {
            return;
        }
        if (unclean || !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            rewrite(byName.values());
            unclean = false;
            appended++;
            return;
        }
        byte[] line = format(e).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer b = ByteBuffer.wrap(line);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
        appended++;
    }

    /**
     * Ends the run: when this run wrote to the state file, rewrites it with one line per name,
     * keeping lines other runs appended meanwhile and dropping names whose file is gone or changed.
     *
     * @throws IOException when the file cannot be rewritten (it stays valid as it is)
     */
    synchronized void compact() throws IOException {
        if (foreign != null || appended == 0) {
            return;
        }
        DirectoryState now = load(dir);
        if (now.foreign != null) {
            return;
        }
        List<Entry> keep = new ArrayList<>();
        for (Entry e : now.byName.values()) {
            if (intact(dir.resolve(e.name()), e.size())) {
                keep.add(e);
            }
        }
        rewrite(keep);
        appended = 0;
    }

    private void rewrite(Iterable<Entry> entries) throws IOException {
        StringBuilder s = new StringBuilder(HEADER).append('\n').append(COMMENT);
        for (Entry e : entries) {
            s.append(format(e));
        }
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        Files.write(tmp, s.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static boolean intact(Path p, long size) {
        try {
            BasicFileAttributes a =
                    Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() && a.size() == size;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    static String format(Entry e) {
        return escape(e.name()) + '\t' + e.urlHash() + '\t' + e.size() + '\t' + escape(e.etag())
                + '\t' + (e.lastModified() == null ? "" : e.lastModified().toString())
                + '\t' + e.finished() + '\n';
    }

    /** An entry from one line, or null when the line is not one. */
    static Entry parseLine(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 6) {
            return null;
        }
        String name = unescape(f[0]);
        if (name == null || !plainName(name) || !HASH.matcher(f[1]).matches()
                || !SIZE.matcher(f[2]).matches()) {
            return null;
        }
        String etag = unescape(f[3]);
        if (etag == null) {
            return null;
        }
        try {
            Instant lastModified = f[4].isEmpty() ? null : Instant.parse(f[4]);
            Instant finished = Instant.parse(f[5]);
            return new Entry(name, f[1], Long.parseLong(f[2]), etag, lastModified, finished);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A name that can only mean a file directly in the directory. */
    private static boolean plainName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && !name.equals(FILE_NAME)
                && name.chars().noneMatch(c -> c == '/' || c == '\\' || c < 0x20 || c == 0x7f);
    }

    private static String escape(String s) {
        return s.replace("%", "%25").replace("\t", "%09").replace("\r", "%0D").replace("\n", "%0A");
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i + 2 >= s.length()) {
                return null;
            }
            switch (s.substring(i + 1, i + 3)) {
                case "25" -> out.append('%');
                case "09" -> out.append('\t');
                case "0D" -> out.append('\r');
                case "0A" -> out.append('\n');
                default -> {
                    return null;
                }
            }
            i += 2;
        }
        return out.toString();
    }

    private static String decode(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .decode(ByteBuffer.wrap(bytes)).toString();
    }
}
