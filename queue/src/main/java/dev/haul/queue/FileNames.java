package dev.haul.queue;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * File names for jobs: taken from a URL and made safe, or checked when a caller gives one. The
 * rules are the CLI's (docs/cli.md, "Names from URLs"): one plain name, never a path, never
 * outside the directory.
 */
final class FileNames {
    /** Most file systems allow 255 bytes; room is left for {@code .part.meta} and {@code .999}. */
    static final int MAX_BYTES = 230;

    private FileNames() {
    }

    /** Throws if {@code name} is not one plain, safe file name the queue can own. */
    static void checkPlain(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.startsWith(".")) {
            throw new IllegalArgumentException("not a plain file name: '" + name + "'");
        }
        if (name.chars().anyMatch(c -> c == '/' || c == '\\' || c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("a file name cannot hold separators or control "
                    + "characters: '" + printable(name) + "'");
        }
        if (name.endsWith(".part") || name.endsWith(".part.meta")) {
            throw new IllegalArgumentException("names ending in .part or .part.meta are the "
                    + "engine's partial files: '" + name + "'");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new IllegalArgumentException("file name longer than " + MAX_BYTES + " bytes");
        }
    }

    /** The safe name for a download of {@code uri}: its last path segment, else index.html. */
    static String fromUri(URI uri) {
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String last = path.substring(path.lastIndexOf('/') + 1);
        String decoded = percentDecode(last);
        List<String> parts = new ArrayList<>();
        for (String p : decoded.split("[/\\\\]", -1)) {
            if (!p.isEmpty() && !p.equals(".") && !p.equals("..")) {
                parts.add(p);
            }
        }
        StringBuilder name = new StringBuilder();
        String joined = String.join("_", parts);
        joined.codePoints().forEach(c -> name.appendCodePoint(c < 0x20 || c == 0x7f ? '_' : c));
        String s = name.toString().replaceAll("^\\.+", "").replaceAll("[. ]+$", "");
        if (s.endsWith(".part") || s.endsWith(".part.meta")) {
            s = s + "_";
        }
        while (s.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            s = s.substring(0, s.length() - 1);
        }
        return s.isEmpty() ? "index.html" : s;
    }

    /** Decodes %XX once; invalid UTF-8 and bad escapes become {@code _}. */
    private static String percentDecode(String s) {
        ByteBuffer bytes = ByteBuffer.allocate(s.length() * 4);
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0
                    && hex(s.charAt(i + 2)) >= 0) {
                bytes.put((byte) (hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2))));
                i += 3;
            } else {
                int cp = s.codePointAt(i);
                bytes.put(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        bytes.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .replaceWith("_")
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            return "_"; // not reached with REPLACE
        }
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    private static String printable(String s) {
        return s.replaceAll("\\p{Cntrl}", "?");
    }
}
