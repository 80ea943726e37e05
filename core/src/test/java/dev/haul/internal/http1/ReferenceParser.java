package dev.haul.internal.http1;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A second, deliberately naive implementation of the rules {@link ResponseReader} enforces, for
 * differential fuzzing: it sees the whole response at once, works on strings and indexes, shares
 * no code or tables with the real parser, and is slow. The fuzz test asserts that both reach the
 * same verdict on every input; a disagreement is a bug in one of them.
 *
 * <p>The rules, restated from the package documentation and RFC 9112: lines end at LF with an
 * optional CR before it; a line holds at most its limit in bytes (terminator excluded); a CR
 * elsewhere is an error; limits are checked line by line, so a response cut short inside an
 * over-long line is an error of length only once the limit plus a CRLF could have been seen.
 */
final class ReferenceParser {
    /** How a response ended up. */
    enum Kind { ACCEPT, PROTOCOL, EOF }

    /** The verdict: what a correct parser must make of the bytes. */
    record Verdict(Kind kind, String why, int status, String protocol, long contentLength,
                   byte[] body, boolean keepAlive, boolean extra) {
        static Verdict protocol(String why) {
            return new Verdict(Kind.PROTOCOL, why, 0, null, 0, null, false, false);
        }

        static Verdict eof(String why) {
            return new Verdict(Kind.EOF, why, 0, null, 0, null, false, false);
        }

        @Override
        public String toString() {
            return kind == Kind.ACCEPT ? "ACCEPT " + status + " " + protocol
                    + " cl=" + contentLength + " body=" + body.length + " keepAlive=" + keepAlive
                    + " extra=" + extra
                    : kind + " (" + why + ")";
        }
    }

    static final int STATUS_MAX = 4 * 1024;
    static final int FIELD_MAX = 16 * 1024;
    static final int HEAD_MAX = 64 * 1024;
    static final int FIELDS_MAX = 100;
    static final int INTERIM_MAX = 16;
    static final int CHUNK_LINE_MAX = 4 * 1024;
    static final int TRAILERS_MAX = 16 * 1024;

    /** Thrown inside the parser to stop at the first failure. */
    private static final class Stop extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Verdict verdict; // never serialized: it stops the parser and is caught

        Stop(Verdict verdict) {
            super(null, null, false, false);
            this.verdict = verdict;
        }
    }

    private final byte[] in;
    private int pos;

    private ReferenceParser(byte[] in) {
        this.in = in;
    }

    static Verdict parse(byte[] response, boolean headRequest) {
        try {
            return new ReferenceParser(response).run(headRequest);
        } catch (Stop s) {
            return s.verdict;
        }
    }

    private static Stop protocolError(String why) {
        return new Stop(Verdict.protocol(why));
    }

    private static Stop eof(String why) {
        return new Stop(Verdict.eof(why));
    }

    /** One line: its text (ISO-8859-1, terminator dropped) and its length with terminator. */
    private record Line(String text, int wireBytes) {
    }

    private Line line(int max) throws Stop {
        int lf = -1;
        for (int i = pos; i < in.length; i++) {
            if (in[i] == '\n') {
                lf = i;
                break;
            }
        }
        if (lf < 0) {
            if (in.length - pos >= max + 2) {
                throw protocolError("line too long");
            }
            throw eof("no line end");
        }
        int end = lf > pos && in[lf - 1] == '\r' ? lf - 1 : lf;
        if (end - pos > max) {
            throw protocolError("line too long");
        }
        String text = new String(in, pos, end - pos, StandardCharsets.ISO_8859_1);
        if (text.indexOf('\r') >= 0) {
            throw protocolError("bare CR");
        }
        int wire = lf + 1 - pos;
        pos = lf + 1;
        return new Line(text, wire);
    }

    private static boolean isTokenChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static boolean isTextChar(char c) {
        return c == '\t' || c >= ' ' && c <= '~' || c >= 0x80 && c <= 0xff;
    }

    private static String trimOws(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
            a++;
        }
        while (b > a && (s.charAt(b - 1) == ' ' || s.charAt(b - 1) == '\t')) {
            b--;
        }
        return s.substring(a, b);
    }

    /** Parses a field line into {name, value}, or stops. */
    private static String[] field(String text) throws Stop {
        if (text.startsWith(" ") || text.startsWith("\t")) {
            throw protocolError("obs-fold");
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw protocolError("no name or colon");
        }
        String name = text.substring(0, colon);
        for (char c : name.toCharArray()) {
            if (!isTokenChar(c)) {
                throw protocolError("bad name");
            }
        }
        String value = trimOws(text.substring(colon + 1));
        for (char c : value.toCharArray()) {
            if (!isTextChar(c)) {
                throw protocolError("bad value");
            }
        }
        return new String[] {name, value};
    }

    private Verdict run(boolean headRequest) throws Stop {
        for (int interim = 0; ; interim++) {
            Line statusLine = line(STATUS_MAX);
            int headBytes = statusLine.wireBytes();
            String s = statusLine.text();
            // DOTALL: ISO-8859-1 0x85 is a line terminator to a plain "." and legal in a reason.
            if (!s.matches("(?s)HTTP/1\\.[01] [0-9][0-9][0-9]( .*)?")) {
                throw protocolError("status line");
            }
            int status = Integer.parseInt(s.substring(9, 12));
            if (status < 100 || status > 599) {
                throw protocolError("status code");
            }
            for (char c : s.substring(Math.min(13, s.length())).toCharArray()) {
                if (!isTextChar(c)) {
                    throw protocolError("reason");
                }
            }
            String protocol = s.substring(0, 8);
            List<String[]> fields = new ArrayList<>();
            while (true) {
                Line l = line(FIELD_MAX);
                headBytes += l.wireBytes();
                if (headBytes > HEAD_MAX) {
                    throw protocolError("head too long");
                }
                if (l.text().isEmpty()) {
                    break;
                }
                if (fields.size() + 1 > FIELDS_MAX) {
                    throw protocolError("too many fields");
                }
                fields.add(field(l.text()));
            }
            if (status < 200) {
                if (status == 101) {
                    throw protocolError("101");
                }
                if (interim >= INTERIM_MAX) {
                    throw protocolError("too many 1xx");
                }
                continue;
            }
            return finalResponse(protocol, status, fields, headRequest);
        }
    }

    private static List<String> values(List<String[]> fields, String name) {
        List<String> out = new ArrayList<>();
        for (String[] f : fields) {
            if (f[0].toLowerCase(Locale.ROOT).equals(name)) {
                out.add(f[1]);
            }
        }
        return out;
    }

    private static List<String> listElements(List<String> values, boolean keepEmpty) {
        List<String> out = new ArrayList<>();
        for (String v : values) {
            for (String e : v.split(",", -1)) {
                String t = trimOws(e);
                if (keepEmpty || !t.isEmpty()) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    private Verdict finalResponse(String protocol, int status, List<String[]> fields,
            boolean headRequest) throws Stop {
        List<String> te = values(fields, "transfer-encoding");
        List<String> cl = values(fields, "content-length");
        if (!te.isEmpty() && !cl.isEmpty()) {
            throw protocolError("TE and CL");
        }
        if (!te.isEmpty()) {
            if (protocol.equals("HTTP/1.0")) {
                throw protocolError("TE in 1.0");
            }
            List<String> codings = listElements(te, false);
            if (!codings.equals(List.of("chunked"))
                    && !(codings.size() == 1 && codings.get(0).equalsIgnoreCase("chunked"))) {
                throw protocolError("TE not chunked");
            }
        }
        long length = -1;
        for (String e : listElements(cl, true)) {
            if (!e.matches("[0-9]+")) {
                throw protocolError("CL not digits");
            }
            String digits = e.replaceFirst("^0+(?=.)", "");
            if (digits.length() > 19 || digits.length() == 19
                    && digits.compareTo(String.valueOf(Long.MAX_VALUE)) > 0) {
                throw protocolError("CL overflow");
            }
            long n = Long.parseLong(digits);
            if (length >= 0 && n != length) {
                throw protocolError("CL differ");
            }
            length = n;
        }
        List<String> connection = listElements(values(fields, "connection"), false);
        boolean close = false;
        boolean keepAliveToken = false;
        for (String token : connection) {
            close |= token.equalsIgnoreCase("close");
            keepAliveToken |= token.equalsIgnoreCase("keep-alive");
        }
        byte[] body;
        long declared;
        boolean closeDelimited = false;
        if (headRequest || status == 204 || status == 304) {
            body = new byte[0];
            declared = 0;
        } else if (!te.isEmpty()) {
            body = chunked();
            declared = -1;
        } else if (length >= 0) {
            if (in.length - pos < length) {
                throw eof("body short");
            }
            body = Arrays.copyOfRange(in, pos, pos + (int) length);
            pos += (int) length;
            declared = length;
        } else {
            body = Arrays.copyOfRange(in, pos, in.length);
            pos = in.length;
            declared = -1;
            closeDelimited = true;
        }
        boolean keepAlive = protocol.equals("HTTP/1.1") ? !close && !closeDelimited
                : keepAliveToken && !close && length >= 0 && !closeDelimited;
        return new Verdict(Kind.ACCEPT, null, status, protocol, declared, body, keepAlive,
                pos < in.length);
    }

    private byte[] chunked() throws Stop {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line(CHUNK_LINE_MAX).text();
            int i = 0;
            while (i < sizeLine.length() && Character.digit(sizeLine.charAt(i), 16) >= 0
                    && sizeLine.charAt(i) < 0x80) {
                i++;
            }
            if (i == 0) {
                throw protocolError("no size");
            }
            if (i > 16) {
                throw protocolError("size digits");
            }
            String hex = sizeLine.substring(0, i);
            BigInteger size = new BigInteger(hex, 16);
            if (size.bitLength() > 63) {
                throw protocolError("size overflow");
            }
            String rest = sizeLine.substring(i);
            String afterWs = rest.replaceFirst("^[ \\t]*", "");
            if (!afterWs.isEmpty() && afterWs.charAt(0) != ';') {
                throw protocolError("junk after size");
            }
            for (char c : afterWs.toCharArray()) {
                if (!isTextChar(c)) {
                    throw protocolError("extension byte");
                }
            }
            long n = size.longValue();
            if (n == 0) {
                int trailerBytes = 0;
                int count = 0;
                while (true) {
                    Line l = line(FIELD_MAX);
                    trailerBytes += l.wireBytes();
                    if (trailerBytes > TRAILERS_MAX) {
                        throw protocolError("trailers too long");
                    }
                    if (l.text().isEmpty()) {
                        return body.toByteArray();
                    }
                    if (++count > FIELDS_MAX) {
                        throw protocolError("too many trailers");
                    }
                    field(l.text());
                }
            }
            if (in.length - pos < n) {
                throw eof("chunk short");
            }
            body.write(in, pos, (int) n);
            pos += (int) n;
            if (in.length - pos < 2) {
                throw eof("no CRLF after data");
            }
            if (in[pos] != '\r' || in[pos + 1] != '\n') {
                throw protocolError("no CRLF after data");
            }
            pos += 2;
        }
    }
}
