package dev.haul.internal.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed {@code .netrc} file: login names and passwords per host, read with curl's rules
 * ({@code lib/netrc.c}, curl 8.x, whose grammar comment follows the GNU inetutils manual).
 *
 * <p>The format:
 * <ul>
 *   <li>Tokens are separated by any whitespace, newlines included; line breaks have no meaning
 *       except that an empty line (or one of blanks only) ends a macro.</li>
 *   <li>A line whose first non-blank character is {@code #} is a comment and is dropped before
 *       anything else, as curl does. A {@code #} elsewhere is an ordinary character, so
 *       {@code password abc#123} is the password {@code abc#123}.</li>
 *   <li>A token that starts with {@code "} is quoted: it runs to the next unescaped {@code "},
 *       may contain whitespace, and {@code \n}, {@code \r}, {@code \t} stand for newline,
 *       carriage return and tab; a backslash before any other character keeps that character
 *       ({@code \"}, {@code \\}). A quoted token is never a keyword.</li>
 *   <li>Keywords are case-insensitive: {@code machine NAME} and {@code default} start an entry;
 *       {@code login}, {@code password} and {@code account} take the next token, whatever it is,
 *       as their value (so {@code password machine} is the password "machine"); a repeated one
 *       replaces the earlier value; {@code macdef NAME} ends the entry and skips everything up
 *       to the next empty line. Other tokens are ignored.</li>
 * </ul>
 * Lookup ({@link #find(String, String)}):
 * <ul>
 *   <li>{@code machine} entries are tried in file order; the name is compared with the host
 *       case-insensitively (ASCII) and exactly, with no subdomain or wildcard matching. An IPv6
 *       host may be given with brackets.</li>
 *   <li>An entry that matches the host gives credentials when it has a login (and, if a login
 *       was asked for, that login, compared case-sensitively, and a password), or when it has a
 *       password but no login: that password then goes with any login. An entry that gives
 *       nothing is passed over and the search goes on.</li>
 *   <li>{@code default} is tried only when no {@code machine} entry gave credentials, wherever it
 *       stands in the file. GNU says it must be last; curl reads entries strictly in order, so a
 *       {@code default} placed before a matching {@code machine} would win there and does not
 *       here.</li>
 *   <li>A login without a password gets the empty password, as curl 8.x sends.</li>
 * </ul>
 * Hostile files: {@link #load} refuses a file larger than {@value #MAX_BYTES} bytes (curl refuses
 * past 128 KiB of non-comment text; a larger cap costs nothing and accepts everything curl
 * does), a token longer than {@value #MAX_TOKEN} characters (curl's {@code MAX_NETRC_TOKEN}),
 * an unterminated quote and bytes that are not UTF-8. Such a file is refused as a whole, where
 * curl fails only the lookups whose scan reaches the bad spot: a typo never silently changes
 * which entry matches. Messages give line numbers, never tokens, so no password reaches a log.
 *
 * <p>Instances are immutable and never show a password in {@link #toString()}.
 */
public final class Netrc {

    /** The largest file {@link #load} reads. */
    public static final int MAX_BYTES = 1024 * 1024;
    /** The longest token, in characters (curl's {@code MAX_NETRC_TOKEN}). */
    public static final int MAX_TOKEN = 4096;

    private final List<Entry> machines;
    private final Entry fallback;

    private Netrc(List<Entry> machines, Entry fallback) {
        this.machines = machines;
        this.fallback = fallback;
    }

    /**
     * Reads and parses a netrc file.
     *
     * @throws IOException when the file cannot be read, is a directory, is larger than
     *                     {@value #MAX_BYTES} bytes, is not UTF-8 or is malformed; the message
     *                     names the file and never shows its contents
     */
    public static Netrc load(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("cannot read netrc file " + file + ": it is a directory");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new IOException("cannot read netrc file " + file + ": " + e, e);
        }
        if (bytes.length > MAX_BYTES) {
            throw new IOException("netrc file " + file + " is larger than " + MAX_BYTES
                    + " bytes; refusing to read it");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("netrc file " + file + " is not valid UTF-8");
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("netrc file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Parses netrc text.
     *
     * @throws IllegalArgumentException for an unterminated quote or an over-long token, with the
     *                                  line number and without the token
     */
    static Netrc parse(String text) {
        Lexer lexer = new Lexer(withoutComments(text));
        List<Entry> machines = new ArrayList<>();
        Entry fallback = null;
        Entry current = null;
        Token token;
        while ((token = lexer.next()) != null) {
            String keyword = token.quoted ? "" : asciiLower(token.text);
            switch (keyword) {
                case "machine" -> {
                    Token name = lexer.next();
                    if (name == null) {
                        current = null;
                    } else {
                        current = new Entry(name.text);
                        machines.add(current);
                    }
                }
                case "default" -> {
                    current = new Entry(null);
                    if (fallback == null) {
                        fallback = current;
                    }
                }
                case "login", "password", "account" -> {
                    Token value = lexer.next();
                    if (value != null && current != null) {
                        current.set(keyword, value.text);
                    }
                }
                case "macdef" -> {
                    current = null;
                    lexer.skipToEmptyLine();
                }
                default -> {
                    // junk, as curl ignores it
                }
            }
        }
        return new Netrc(List.copyOf(machines), fallback);
    }

    /** Returns the credentials for {@code host}, from its first usable entry or the default. */
    public Optional<Credentials> find(String host) {
        return find(host, null);
    }

    /**
     * Returns the credentials for {@code login} at {@code host}, or for any login when
     * {@code login} is null or empty. The rules are in the class comment.
     */
    public Optional<Credentials> find(String host, String login) {
        Objects.requireNonNull(host, "host");
        String name = host.startsWith("[") && host.endsWith("]")
                ? host.substring(1, host.length() - 1) : host;
        String wanted = login == null || login.isEmpty() ? null : login;
        for (Entry entry : machines) {
            if (equalsIgnoreAsciiCase(entry.machine, name)) {
                Credentials c = entry.credentials(wanted);
                if (c != null) {
                    return Optional.of(c);
                }
            }
        }
        return fallback == null ? Optional.empty()
                : Optional.ofNullable(fallback.credentials(wanted));
    }

    /** Returns the number of entries, never a name or a password. */
    @Override
    public String toString() {
        return "Netrc[" + machines.size() + " machines" + (fallback == null ? "" : ", default")
                + "]";
    }

    /** A login and password from a netrc file; the password never shows in toString. */
    public static final class Credentials {
        private final String login;
        private final String password;
        private final String account;

        Credentials(String login, String password, String account) {
            this.login = login;
            this.password = password;
            this.account = account;
        }

        /**
         * Returns the login: the entry's, or the one asked for when the entry has only a
         * password; null when neither is known.
         */
        public String login() {
            return login;
        }

        /** Returns the password, "" when the entry has a login but no password. */
        public String password() {
            return password;
        }

        /** Returns the {@code account} value (an FTP extra password), or null. */
        public String account() {
            return account;
        }

        /** Returns the login, with the password and account masked. */
        @Override
        public String toString() {
            return "Credentials[login=" + login + ", password=***"
                    + (account == null ? "" : ", account=***") + "]";
        }
    }

    private static final class Entry {
        final String machine;
        String login;
        String password;
        String account;

        Entry(String machine) {
            this.machine = machine;
        }

        void set(String keyword, String value) {
            switch (keyword) {
                case "login" -> login = value;
                case "password" -> password = value;
                default -> account = value;
            }
        }

        Credentials credentials(String wanted) {
            if (login != null) {
                if (wanted == null) {
                    return new Credentials(login, password == null ? "" : password, account);
                }
                return login.equals(wanted) && password != null
                        ? new Credentials(wanted, password, account) : null;
            }
            return password == null ? null : new Credentials(wanted, password, account);
        }
    }

    private static final class Token {
        final String text;
        final boolean quoted;

        Token(String text, boolean quoted) {
            this.text = text;
            this.quoted = quoted;
        }
    }

    /** The text without comment lines, and for each remaining line its number in the file. */
    private static final class Text {
        final String content;
        final int[] lineNumbers;

        Text(String content, int[] lineNumbers) {
            this.content = content;
            this.lineNumbers = lineNumbers;
        }
    }

    private static Text withoutComments(String text) {
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        String[] lines = body.split("\n", -1);
        StringBuilder kept = new StringBuilder(body.length());
        int[] numbers = new int[lines.length];
        int count = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].stripLeading().startsWith("#")) {
                continue;
            }
            if (count > 0) {
                kept.append('\n');
            }
            kept.append(lines[i]);
            numbers[count++] = i + 1;
        }
        int[] trimmed = new int[Math.max(count, 1)];
        System.arraycopy(numbers, 0, trimmed, 0, count);
        return new Text(kept.toString(), trimmed);
    }

    private static final class Lexer {
        private final String s;
        private final int[] lineNumbers;
        private int pos;

        Lexer(Text text) {
            this.s = text.content;
            this.lineNumbers = text.lineNumbers;
        }

        Token next() {
            while (pos < s.length() && isSeparator(s.charAt(pos))) {
                pos++;
            }
            if (pos >= s.length()) {
                return null;
            }
            int start = pos;
            if (s.charAt(pos) == '"') {
                StringBuilder out = new StringBuilder();
                pos++;
                while (true) {
                    if (pos >= s.length()) {
                        throw new IllegalArgumentException("unterminated quoted token starting"
                                + " on line " + lineOf(start));
                    }
                    char c = s.charAt(pos++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\' && pos < s.length()) {
                        char escaped = s.charAt(pos++);
                        c = escaped == 'n' ? '\n' : escaped == 'r' ? '\r'
                                : escaped == 't' ? '\t' : escaped;
                    }
                    out.append(c);
                    checkLength(out.length(), start);
                }
                return new Token(out.toString(), true);
            }
            while (pos < s.length() && !isSeparator(s.charAt(pos))) {
                pos++;
                checkLength(pos - start, start);
            }
            return new Token(s.substring(start, pos), false);
        }

        /** Skips a macro body: everything up to and including the next empty line. */
        void skipToEmptyLine() {
            int newline = s.indexOf('\n', pos);
            while (newline >= 0) {
                int i = newline + 1;
                while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t'
                        || s.charAt(i) == '\r')) {
                    i++;
                }
                if (i >= s.length() || s.charAt(i) == '\n') {
                    pos = i;
                    return;
                }
                newline = s.indexOf('\n', i);
            }
            pos = s.length();
        }

        private void checkLength(int length, int start) {
            if (length > MAX_TOKEN) {
                throw new IllegalArgumentException("token longer than " + MAX_TOKEN
                        + " characters on line " + lineOf(start));
            }
        }

        private int lineOf(int index) {
            int line = 0;
            for (int i = 0; i < index; i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                }
            }
            return lineNumbers[Math.min(line, lineNumbers.length - 1)];
        }

        private static boolean isSeparator(char c) {
            return c <= ' ' || Character.isWhitespace(c);
        }
    }

    private static String asciiLower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return out.toString();
    }

    private static boolean equalsIgnoreAsciiCase(String a, String b) {
        return a.length() == b.length() && asciiLower(a).equals(asciiLower(b));
    }
}
