package dev.haul.internal.name;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Local file names for bodies: taken from the URL or a server's suggestion, made safe, and placed
 * inside one directory.
 *
 * <p>A name that came from the network is untrusted (fault catalogue S-a). {@link #sanitize}
 * reduces any string to one plain file name that is valid on POSIX and Windows file systems alike,
 * because a file downloaded on Linux often ends up on a Windows share:
 * <ul>
 *   <li>control characters (C0, DEL, C1), line and paragraph separators, bidirectional overrides
 *       (which can disguise {@code evil\u202Etxt.exe} as {@code evilexe.txt}), U+FFFD and unpaired
 *       surrogates become {@code _};</li>
 *   <li>{@code /} and {@code \} split the name into components; empty, {@code .} and {@code ..}
 *       components are dropped and the rest are joined with {@code _};</li>
 *   <li>the characters Windows forbids in names, {@code < > : " | ? *}, become {@code _} ({@code :}
 *       would otherwise name an NTFS alternate data stream);</li>
 *   <li>leading dots and spaces (hidden files, {@code ..}) and trailing dots and spaces (which
 *       Windows silently drops) are removed;</li>
 *   <li>a Windows device name ({@code CON}, {@code PRN}, {@code AUX}, {@code NUL},
 *       {@code COM0}–{@code COM9}, {@code LPT0}–{@code LPT9}, their superscript-digit forms,
 *       {@code CONIN$}, {@code CONOUT$}), with or without an extension and in any case, gets a
 *       {@code _} prefix;</li>
 *   <li>the result is cut to {@value #MAX_NAME_BYTES} bytes of UTF-8, keeping a short
 *       extension.</li>
 * </ul>
 * The result contains no {@code %} escape that a second decoding could turn into a separator,
 * because names are decoded exactly once, before sanitising. Sanitising is idempotent.
 *
 * <p>{@link #resolveInside} then places the name in a directory and checks, after normalising,
 * that the path's parent is that directory. It does not open the file: a caller that must not
 * follow a symbolic link planted at that path opens it with {@code CREATE_NEW} or
 * {@link LinkOption#NOFOLLOW_LINKS}.
 */
public final class FileNames {

    /** What wget names the body of a URL whose path ends in {@code /}. */
    public static final String INDEX = "index.html";
    /** Most file systems allow 255 bytes; this leaves room for {@code .part} and {@code .NNN}. */
    public static final int MAX_NAME_BYTES = 200;
    /** How many {@code name.N} candidates {@link #uniqueName} tries before giving up. */
    public static final int MAX_SUFFIX = 999;

    /** An extension longer than this is more likely part of the name than a type. */
    private static final int MAX_KEPT_EXTENSION = 16;
    /** Error messages show at most this much of a hostile name. */
    private static final int MAX_QUOTED = 80;
    private static final String WINDOWS_FORBIDDEN = "<>:\"|?*";
    private static final Set<String> WINDOWS_DEVICES = devices();

    private FileNames() {
    }

    /**
     * Returns the file name for the body of {@code uri}: its last path segment, percent-decoded
     * once as UTF-8 and sanitised, or {@value #INDEX} when nothing usable is left.
     */
    public static String fromUrl(URI uri) {
        String rawPath = uri.getRawPath();
        if (rawPath == null) {
            return INDEX;
        }
        String last = rawPath.substring(rawPath.lastIndexOf('/') + 1);
        String name = sanitize(percentDecode(last));
        return name.isEmpty() ? INDEX : name;
    }

    /**
     * Returns one safe file name made from an untrusted, already decoded string, or "" when
     * nothing usable is left. The rules are in the class comment.
     */
    public static String sanitize(String untrusted) {
        Objects.requireNonNull(untrusted, "untrusted");
        StringBuilder clean = new StringBuilder(untrusted.length());
        untrusted.codePoints().forEach(cp -> clean.appendCodePoint(unsafe(cp) ? '_' : cp));
        List<String> parts = new ArrayList<>();
        for (String part : clean.toString().split("[/\\\\]", -1)) {
            String p = part.strip();
            if (!p.isEmpty() && !p.equals(".") && !p.equals("..")) {
                parts.add(p);
            }
        }
        StringBuilder joined = new StringBuilder(String.join("_", parts));
        for (int i = 0; i < joined.length(); i++) {
            if (WINDOWS_FORBIDDEN.indexOf(joined.charAt(i)) >= 0) {
                joined.setCharAt(i, '_');
            }
        }
        String name = trimDotsAndSpaces(joined.toString());
        if (isWindowsDevice(name)) {
            name = "_" + name;
        }
        // Cutting may leave a trailing dot or space behind; the device check needs no repeat
        // because the cut never reaches the first characters.
        return trimDotsAndSpaces(truncate(name));
    }

    /**
     * Returns {@code dir/name} for the sanitised form of an untrusted name, after checking that
     * the normalised path is a direct child of the normalised {@code dir}. A traversal such as
     * {@code ../../etc/passwd} is never followed: it becomes the name {@code etc_passwd}.
     *
     * @throws IllegalArgumentException when sanitising leaves no name
     */
    public static Path resolveInside(Path dir, String untrustedName) {
        String name = sanitize(untrustedName);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("no usable file name in " + quote(untrustedName));
        }
        return child(base(dir), name);
    }

    /**
     * Returns the first path among {@code dir/name}, {@code dir/name.1} … {@code dir/name.999}
     * that does not exist (a dangling symbolic link counts as existing), or null when all of them
     * do. The name is sanitised first.
     *
     * @throws IllegalArgumentException when sanitising leaves no name
     */
    public static Path uniqueName(Path dir, String name) {
        return uniqueName(dir, name, Set.of());
    }

    /**
     * Returns the first path among {@code dir/name}, {@code dir/name.1} … {@code dir/name.999}
     * that neither exists nor is in {@code taken}, or null when all of them are used. The set
     * holds paths this run has already promised to other downloads; they are compared as
     * returned by {@link #resolveInside}.
     *
     * @throws IllegalArgumentException when sanitising leaves no name
     */
    public static Path uniqueName(Path dir, String name, Set<Path> taken) {
        String clean = sanitize(name);
        if (clean.isEmpty()) {
            throw new IllegalArgumentException("no usable file name in " + quote(name));
        }
        Path base = base(dir);
        for (int n = 0; n <= MAX_SUFFIX; n++) {
            Path candidate = child(base, n == 0 ? clean : clean + "." + n);
            if (!taken.contains(candidate) && !Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Decodes {@code %XX} escapes as UTF-8. A malformed escape stays as it is; bytes that are not
     * valid UTF-8 become U+FFFD, which {@link #sanitize} turns into {@code _}. {@code +} is not a
     * space in a path.
     */
    static String percentDecode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        byte[] in = raw.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '%' && i + 2 < in.length && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
                bytes.write(hex(in[i + 1]) * 16 + hex(in[i + 2]));
                i += 2;
            } else {
                bytes.write(in[i]);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError("REPLACE never throws", e);
        }
    }

    /**
     * A hostile name made fit for an error message: quoted, control and non-ASCII characters
     * escaped (a name must not drive the terminal that shows the error), long names shortened.
     */
    static String quote(String untrusted) {
        if (untrusted == null) {
            return "null";
        }
        StringBuilder s = new StringBuilder("\"");
        int shown = Math.min(untrusted.length(), MAX_QUOTED);
        for (int i = 0; i < shown; i++) {
            char c = untrusted.charAt(i);
            if (c == '"' || c == '\\') {
                s.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                s.append(c);
            }
        }
        s.append('"');
        if (shown < untrusted.length()) {
            s.append("… (").append(untrusted.length()).append(" chars)");
        }
        return s.toString();
    }

    private static Path base(Path dir) {
        return dir.toAbsolutePath().normalize();
    }

    /** {@code base/name}, asserting that it really is a direct child of {@code base}. */
    private static Path child(Path base, String name) {
        Path p = base.resolve(name).normalize();
        if (!base.equals(p.getParent()) || !p.getFileName().toString().equals(name)) {
            throw new IllegalArgumentException("unsafe file name: " + quote(name));
        }
        return p;
    }

    private static boolean unsafe(int cp) {
        return Character.isISOControl(cp)
                || cp == 0xFFFD
                || cp == 0x2028 || cp == 0x2029
                || cp == 0x061C || cp == 0x200E || cp == 0x200F
                || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x2066 && cp <= 0x2069)
                || (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE);
    }

    private static String trimDotsAndSpaces(String name) {
        int start = 0;
        while (start < name.length() && isDotOrSpace(name.charAt(start))) {
            start++;
        }
        int end = name.length();
        while (end > start && isDotOrSpace(name.charAt(end - 1))) {
            end--;
        }
        return name.substring(start, end);
    }

    private static boolean isDotOrSpace(char c) {
        return c == '.' || Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** Windows reserves a device name whatever follows its first dot, and ignores spaces. */
    private static boolean isWindowsDevice(String name) {
        int dot = name.indexOf('.');
        String stem = (dot < 0 ? name : name.substring(0, dot)).stripTrailing();
        return WINDOWS_DEVICES.contains(stem.toUpperCase(Locale.ROOT));
    }

    private static Set<String> devices() {
        List<String> names = new ArrayList<>(List.of("CON", "PRN", "AUX", "NUL", "CONIN$",
                "CONOUT$"));
        for (String digit : List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
                "\u00B9", "\u00B2", "\u00B3")) {
            names.add("COM" + digit);
            names.add("LPT" + digit);
        }
        return Set.copyOf(names);
    }

    private static String truncate(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES) {
            return name;
        }
        // Keep a short extension, cut the stem at a code point boundary.
        int dot = name.lastIndexOf('.');
        String ext = dot > 0 && name.length() - dot <= MAX_KEPT_EXTENSION
                ? name.substring(dot) : "";
        String stem = name.substring(0, name.length() - ext.length());
        int budget = MAX_NAME_BYTES - ext.getBytes(StandardCharsets.UTF_8).length;
        StringBuilder out = new StringBuilder();
        int used = 0;
        for (int i = 0; i < stem.length(); ) {
            int cp = stem.codePointAt(i);
            int len = utf8Length(cp);
            if (used + len > budget) {
                break;
            }
            out.appendCodePoint(cp);
            used += len;
            i += Character.charCount(cp);
        }
        return out + ext;
    }

    private static int utf8Length(int cp) {
        if (cp < 0x80) {
            return 1;
        }
        if (cp < 0x800) {
            return 2;
        }
        return cp < 0x10000 ? 3 : 4;
    }

    private static int hex(byte b) {
        return Character.digit(b, 16);
    }
}
