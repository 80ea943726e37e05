package dev.haul.internal.name;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the file name a {@code Content-Disposition} header value suggests (RFC 6266).
 *
 * <p>The rules, most trusted first:
 * <ul>
 *   <li>{@code filename*} (RFC 8187 {@code charset'language'value}) wins when its charset is
 *       {@code UTF-8} or {@code ISO-8859-1} (any case), every {@code %} is followed by two hex
 *       digits, every other character is printable ASCII, and the bytes are valid in that
 *       charset. Otherwise it is ignored and {@code filename} is used. The language is ignored.
 *       A quoted {@code filename*} value is not RFC 8187 and is ignored too.</li>
 *   <li>{@code filename} is a token or a quoted string in which a backslash escapes the next
 *       character. An unquoted value may contain spaces: it runs to the next {@code ;} and is
 *       trimmed, because servers send {@code filename=my file.pdf}. An unterminated quote runs
 *       to the end of the header. Percent escapes are not decoded (RFC 6266 §4.3). A value made
 *       of ISO-8859-1 characters that form valid UTF-8 is read as UTF-8, as browsers do, because
 *       HTTP stacks hand raw UTF-8 header bytes over as ISO-8859-1 characters.</li>
 *   <li>Parameter names are case-insensitive and may have spaces around {@code =}. The
 *       disposition type is not checked: {@code attachment}, {@code inline}, an unknown type and
 *       a missing type (a header that starts with a parameter) are all read.</li>
 *   <li>When a parameter appears more than once, the first occurrence wins and later ones are
 *       ignored, even when the first one is unusable: RFC 6266 calls such a header invalid, and
 *       reading a later duplicate would let a second parser pick a different name than ours.</li>
 *   <li>An empty name counts as absent. Garbage never throws; it yields null.</li>
 * </ul>
 *
 * <p>The result is whatever the server sent, decoded: it may contain separators, {@code ..},
 * control characters or a Windows device name. It must go through
 * {@link FileNames#resolveInside} (or {@link FileNames#sanitize}) before it names a file.
 */
public final class ContentDisposition {

    private ContentDisposition() {
    }

    /**
     * Returns the file name that a {@code Content-Disposition} header value suggests, or null when
     * it suggests none. The name is untrusted; see the class comment.
     */
    public static String fileName(String headerValue) {
        if (headerValue == null) {
            return null;
        }
        Scanner in = new Scanner(headerValue);
        if (!in.startsWithParameter()) {
            in.skipValue(); // the disposition type
        }
        boolean seenPlain = false;
        boolean seenExtended = false;
        String plain = null;
        String extended = null;
        while (in.nextParameter()) {
            String name = in.name();
            if (name.equals("filename*") && !seenExtended) {
                seenExtended = true;
                extended = in.valueQuoted() ? null : decodeExtended(in.value());
            } else if (name.equals("filename") && !seenPlain) {
                seenPlain = true;
                plain = in.value();
            }
        }
        if (extended != null && !extended.isEmpty()) {
            return extended;
        }
        if (plain != null && !plain.isEmpty()) {
            return utf8IfValid(plain);
        }
        return null;
    }

    /** RFC 8187 {@code ext-value}, or null when it is not one we can decode exactly. */
    private static String decodeExtended(String value) {
        int charsetEnd = value.indexOf('\'');
        int languageEnd = charsetEnd < 0 ? -1 : value.indexOf('\'', charsetEnd + 1);
        if (languageEnd < 0) {
            return null;
        }
        Charset charset = charset(value.substring(0, charsetEnd));
        if (charset == null) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(value.length());
        for (int i = languageEnd + 1; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                int hi = i + 1 < value.length() ? Character.digit(value.charAt(i + 1), 16) : -1;
                int lo = i + 2 < value.length() ? Character.digit(value.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else if (c > 0x20 && c < 0x7f) {
                bytes.write(c);
            } else {
                return null;
            }
        }
        return decodeStrictly(bytes.toByteArray(), charset);
    }

    private static Charset charset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "utf-8" -> StandardCharsets.UTF_8;
            case "iso-8859-1" -> StandardCharsets.ISO_8859_1;
            default -> null;
        };
    }

    private static String utf8IfValid(String value) {
        boolean high = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0xff) {
                return value; // real characters, not bytes in disguise
            }
            high |= c >= 0x80;
        }
        if (!high) {
            return value;
        }
        String utf8 = decodeStrictly(value.getBytes(StandardCharsets.ISO_8859_1),
                StandardCharsets.UTF_8);
        return utf8 == null ? value : utf8;
    }

    private static String decodeStrictly(byte[] bytes, Charset charset) {
        try {
            return charset.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A forgiving cursor over {@code type; name=value; name="quoted"; …}. */
    private static final class Scanner {
        private final String s;
        private int pos;
        private String name;
        private String value;
        private boolean quoted;

        Scanner(String s) {
            this.s = s;
        }

        /** True when the header has no type and begins with {@code name=}. */
        boolean startsWithParameter() {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == ';' || c == '"') {
                    return false;
                }
                if (c == '=') {
                    return true;
                }
            }
            return false;
        }

        /** Moves past the next {@code name[=value]}; false at the end of the header. */
        boolean nextParameter() {
            while (true) {
                while (pos < s.length() && (s.charAt(pos) == ';' || isSpace(s.charAt(pos)))) {
                    pos++;
                }
                if (pos >= s.length()) {
                    return false;
                }
                int start = pos;
                while (pos < s.length() && s.charAt(pos) != '=' && s.charAt(pos) != ';') {
                    pos++;
                }
                name = s.substring(start, pos).strip().toLowerCase(Locale.ROOT);
                if (pos < s.length() && s.charAt(pos) == '=') {
                    pos++;
                    skipValue();
                    return true;
                }
                // a bare word without "=": not a parameter we know, keep looking
            }
        }

        /** Reads a token, an unquoted run up to {@code ;}, or a quoted string. */
        void skipValue() {
            while (pos < s.length() && isSpace(s.charAt(pos))) {
                pos++;
            }
            quoted = pos < s.length() && s.charAt(pos) == '"';
            if (quoted) {
                StringBuilder out = new StringBuilder();
                pos++;
                while (pos < s.length() && s.charAt(pos) != '"') {
                    if (s.charAt(pos) == '\\' && pos + 1 < s.length()) {
                        pos++;
                    }
                    out.append(s.charAt(pos++));
                }
                value = out.toString();
                while (pos < s.length() && s.charAt(pos) != ';') {
                    pos++; // whatever follows the closing quote is ignored
                }
            } else {
                int start = pos;
                while (pos < s.length() && s.charAt(pos) != ';') {
                    pos++;
                }
                value = s.substring(start, pos).strip();
            }
        }

        String name() {
            return name;
        }

        String value() {
            return value;
        }

        boolean valueQuoted() {
            return quoted;
        }

        private static boolean isSpace(char c) {
            return c == ' ' || c == '\t';
        }
    }
}
