package dev.haul.cli;

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
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Local file names for {@code -d DIR}: taken from the URL, made safe, and never an existing file.
 *
 * <p>A name that came from the network is untrusted (fault catalogue S-a): it is percent-decoded
 * once, then every path separator, control character and {@code .}/{@code ..} component is taken
 * out, so the result is one plain file name that stays inside the directory. Nothing is left that a
 * second decoding could turn into a separator either, because {@code %} survives only as itself.
 */
final class FileNames {
    /** Either path separator: compiled once, not per URL. */
    private static final Pattern SEPARATORS = Pattern.compile("[/\\\\]");


    /** What wget names the body of a URL whose path ends in {@code /}. */
    static final String INDEX = "index.html";
    /** Most file systems allow 255 bytes; leave room for {@code .part} and {@code .NNN}. */
    static final int MAX_NAME_BYTES = 200;
    /** How many {@code name.N} candidates are tried before giving up. */
    static final int MAX_SUFFIX = 999;

    private FileNames() {
    }

    /**
     * The file name for the body of {@code uri}: its last path segment, sanitised, or index.html.
     */
    static String fromUrl(URI uri) {
        String rawPath = uri.getRawPath();
        if (rawPath == null) {
            return INDEX;
        }
        String last = rawPath.substring(rawPath.lastIndexOf('/') + 1);
        String name = sanitize(percentDecode(last));
        return name.isEmpty() ? INDEX : name;
    }

    /**
     * One safe file name from an untrusted, already decoded string, or "" if nothing usable is
     * left: separators split it into components, empty, {@code .} and {@code ..} components are
     * dropped and the rest are joined with {@code _}; control characters become {@code _}; leading
     * dots (hidden files, {@code ..}) and trailing dots and spaces are removed.
     */
    static String sanitize(String untrusted) {
        StringBuilder clean = new StringBuilder(untrusted.length());
        untrusted.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp) || cp == 0xFFFD || cp == 0x2028 || cp == 0x2029) {
                clean.append('_');
            } else {
                clean.appendCodePoint(cp);
            }
        });
        List<String> parts = new ArrayList<>();
        for (String part : SEPARATORS.split(clean.toString(), -1)) {
            String p = part.strip();
            if (!p.isEmpty() && !p.equals(".") && !p.equals("..")) {
                parts.add(p);
            }
        }
        String name = String.join("_", parts);
        int start = 0;
        while (start < name.length()
                && (name.charAt(start) == '.' || Character.isWhitespace(name.charAt(start)))) {
            start++;
        }
        int end = name.length();
        while (end > start
                && (name.charAt(end - 1) == '.' || Character.isWhitespace(name.charAt(end - 1)))) {
            end--;
        }
        return truncate(name.substring(start, end));
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
     * A path in {@code dir} for {@code name} that neither exists nor is in {@code taken}: the name
     * itself, else {@code name.1}, {@code name.2}, … Null when all {@value #MAX_SUFFIX} are used.
     */
    static Path freePath(Path dir, String name, Set<Path> taken) {
        for (int n = 0; n <= MAX_SUFFIX; n++) {
            Path candidate = inside(dir, n == 0 ? name : name + "." + n);
            if (!taken.contains(candidate) && !Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
                return candidate;
            }
        }
        return null;
    }

    /** {@code dir/name}, after checking that it really is a direct child of {@code dir}. */
    static Path inside(Path dir, String name) {
        Path base = dir.toAbsolutePath().normalize();
        Path p = base.resolve(name).normalize();
        if (!base.equals(p.getParent())) {
            throw new IllegalArgumentException("unsafe file name: " + name);
        }
        return p;
    }

    private static String truncate(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES) {
            return name;
        }
        // Keep a short extension, cut the stem at a code point boundary.
        int dot = name.lastIndexOf('.');
        String ext = dot > 0 && name.length() - dot <= 16 ? name.substring(dot) : "";
        String stem = name.substring(0, name.length() - ext.length());
        int budget = MAX_NAME_BYTES - ext.getBytes(StandardCharsets.UTF_8).length;
        StringBuilder out = new StringBuilder();
        int used = 0;
        for (int i = 0; i < stem.length(); ) {
            int cp = stem.codePointAt(i);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (used + len > budget) {
                break;
            }
            out.appendCodePoint(cp);
            used += len;
            i += Character.charCount(cp);
        }
        return out + ext;
    }

    private static int hex(byte b) {
        return Character.digit(b, 16);
    }
}
