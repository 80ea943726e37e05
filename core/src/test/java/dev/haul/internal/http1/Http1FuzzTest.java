package dev.haul.internal.http1;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.http1.ReferenceParser.Kind;
import dev.haul.internal.http1.ReferenceParser.Verdict;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.Script;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Differential fuzzing of the response reader: seeded random responses (valid ones, the fault
 * catalogue's malformations, and random mutations of valid ones) are fed in random pieces,
 * including one byte per read, to {@link ResponseReader} and to the naive {@link ReferenceParser}.
 *
 * <p>Properties checked on every case: the reader never hangs (a watchdog bounds the run), never
 * throws anything but {@code ProtocolException} or {@code EOFException}, reaches the reference's
 * verdict (so it never accepts malformed framing, and delivers exactly the body), never delivers
 * more than a declared Content-Length at any point, and never grows its buffer. A smaller number
 * of cases runs over real sockets through the whole transport.
 *
 * <p>{@code -Dhaul.fuzz.iterations=N} (default 20,000, a few seconds), {@code -Dhaul.fuzz.seed=S}
 * (default fixed), {@code -Dhaul.fuzz.case=I} to rerun one case; a failure prints all three.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
@ExtendWith(LeakCheck.class)
class Http1FuzzTest {
    static final long SEED = Long.getLong("haul.fuzz.seed", 0x4841554C_2026L);
    static final int ITERATIONS = Integer.getInteger("haul.fuzz.iterations", 20_000);
    static final int SOCKET_ITERATIONS = Integer.getInteger("haul.fuzz.socketIterations",
            Math.max(20, Math.min(2_000, ITERATIONS / 100)));
    static final int ONLY_CASE = Integer.getInteger("haul.fuzz.case", -1);
    /** How long one case may run before the watchdog calls it a hang. */
    static final long CASE_LIMIT_MS = 10_000;

    private static final String EOL = "\r\n";

    /** One generated input. */
    record Case(byte[] bytes, boolean headRequest, String origin, boolean mustReject) {
    }

    static long caseSeed(long seed, long index) {
        // SplittableRandom's mixing gives unrelated streams for neighbouring indexes.
        return new SplittableRandom(seed ^ (index * 0x9E3779B97F4A7C15L)).nextLong();
    }

    // ----------------------------------------------------------------------------------------
    // Generation

    static Case generate(SplittableRandom r) {
        int kind = r.nextInt(100);
        if (kind < 30) {
            Valid v = valid(r);
            return new Case(v.bytes, v.head, "valid", false);
        }
        if (kind < 55) {
            return malformed(r);
        }
        Valid v = valid(r);
        byte[] bytes = v.bytes;
        int ops = 1 + r.nextInt(4);
        StringBuilder what = new StringBuilder("mutated:");
        for (int i = 0; i < ops; i++) {
            bytes = mutate(r, bytes, v.headLength, what);
        }
        return new Case(bytes, v.head, what.toString(), false);
    }

    /**
     * A generated valid response; {@code framedEnd} is where its Content-Length or chunked body
     * ends, or -1 when it has no framed body (HEAD, 204, 304, close-delimited).
     */
    record Valid(byte[] bytes, boolean head, int headLength, int framedEnd) {
    }

    private static final String[] NAMES = {"Content-Type", "ETag", "Last-Modified", "Server",
        "Set-Cookie", "X-Request-Id", "Accept-Ranges", "Cache-Control", "Vary", "Date", "a", "X-"};
    private static final String TCHARS =
            "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    static String token(SplittableRandom r) {
        if (r.nextInt(3) > 0) {
            return NAMES[r.nextInt(NAMES.length)];
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 1 + r.nextInt(12); i > 0; i--) {
            sb.append(TCHARS.charAt(r.nextInt(TCHARS.length())));
        }
        return sb.toString();
    }

    static String fieldValue(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        for (int i = r.nextInt(40); i > 0; i--) {
            int c = r.nextInt(10) == 0 ? 0x80 + r.nextInt(0x80)
                    : r.nextInt(20) == 0 ? '\t' : 0x20 + r.nextInt(0x5f);
            sb.append((char) c);
        }
        return sb.toString();
    }

    static String ows(SplittableRandom r) {
        return r.nextInt(4) > 0 ? "" : r.nextBoolean() ? " " : " \t ";
    }

    static Valid valid(SplittableRandom r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String eol = r.nextInt(10) == 0 ? "\n" : EOL;
        boolean head = r.nextInt(8) == 0;
        for (int i = r.nextInt(6) == 0 ? 1 + r.nextInt(3) : 0; i > 0; i--) {
            write(out, (r.nextBoolean() ? "HTTP/1.1 100 Continue" : "HTTP/1.1 103 Early Hints")
                    + eol + (r.nextBoolean() ? "Link: </s.css>; rel=preload" + eol : "") + eol);
        }
        boolean http10 = r.nextInt(6) == 0;
        int[] statuses = {200, 200, 200, 206, 204, 304, 404, 500, 201, 299, 418, 599};
        int status = statuses[r.nextInt(statuses.length)];
        String[] reasons = {" OK", "", " ", " Partial Content", " caf\u00e9", " x\ty z"};
        String reason = reasons[r.nextInt(reasons.length)];
        write(out, (http10 ? "HTTP/1.0 " : "HTTP/1.1 ") + status + reason + eol);
        for (int i = r.nextInt(8); i > 0; i--) {
            write(out, token(r) + ":" + ows(r) + fieldValue(r).strip() + ows(r) + eol);
        }
        int framing = r.nextInt(3); // 0 Content-Length, 1 chunked, 2 close-delimited
        if (http10 && framing == 1) {
            framing = 0;
        }
        int length = r.nextInt(10) == 0 ? 20_000 + r.nextInt(60_000) : r.nextInt(3_000);
        byte[] body = new byte[length];
        r.nextBytes(body);
        int connection = r.nextInt(5);
        if (connection == 0) {
            write(out, "Connection: close" + eol);
        } else if (connection == 1) {
            write(out, "Connection:" + ows(r) + "keep-alive" + eol);
        } else if (connection == 2) {
            write(out, "Connection: Keep-Alive, Upgrade" + eol);
        }
        if (framing == 0) {
            String n = (r.nextInt(8) == 0 ? "000" : "") + length;
            write(out, "Content-Length:" + ows(r) + n + ows(r) + eol);
            if (r.nextInt(10) == 0) {
                write(out, "content-length: " + length + ", " + length + eol);
            }
        } else if (framing == 1) {
            String[] te = {"chunked", "Chunked", "CHUNKED", " chunked ", ", chunked"};
            write(out, "Transfer-Encoding:" + te[r.nextInt(te.length)] + eol);
        }
        write(out, eol);
        int headLength = out.size();
        boolean bodiless = head || status == 204 || status == 304;
        if (!bodiless) {
            if (framing == 1) {
                writeChunked(r, out, body, eol);
            } else {
                out.writeBytes(body);
            }
        }
        int framedEnd = bodiless || framing == 2 || length == 0 ? -1 : out.size();
        if (framing != 2 && r.nextInt(8) == 0) {
            write(out, r.nextBoolean() ? "HTTP/1.1 200 OK\r\n" : "\r\n");
        }
        return new Valid(out.toByteArray(), head, headLength, framedEnd);
    }

    static void writeChunked(SplittableRandom r, ByteArrayOutputStream out, byte[] body,
            String eol) {
        int off = 0;
        while (off < body.length) {
            int n = Math.min(body.length - off, 1 + r.nextInt(r.nextBoolean() ? 50 : 40_000));
            String hex = r.nextBoolean() ? Integer.toHexString(n)
                    : Integer.toHexString(n).toUpperCase();
            if (r.nextInt(8) == 0) {
                hex = "0".repeat(r.nextInt(16 - hex.length() + 1)) + hex;
            }
            write(out, hex + (r.nextInt(8) == 0 ? " " : "") + extensions(r) + eol);
            out.write(body, off, n);
            write(out, EOL);
            off += n;
        }
        write(out, "0" + extensions(r) + eol);
        for (int i = r.nextInt(4) == 0 ? r.nextInt(3) + 1 : 0; i > 0; i--) {
            write(out, token(r) + ": " + fieldValue(r).strip() + eol);
        }
        write(out, eol);
    }

    static String extensions(SplittableRandom r) {
        if (r.nextInt(5) > 0) {
            return "";
        }
        String[] ext = {";a", ";name=value", "; q=\"x;y\"", ";e=" + fieldValue(r).strip()};
        return ext[r.nextInt(ext.length)];
    }

    /** A response with one defect from the fault catalogue: never acceptable. */
    static Case malformed(SplittableRandom r) {
        String ok = "HTTP/1.1 200 OK\r\n";
        String te = "Transfer-Encoding: chunked\r\n";
        String chunked = "5\r\nhello\r\n0\r\n\r\n";
        String[] badLengths = {"-1", "+5", "abc", "5.0", "0x10", "1 0", "", "5,",
            "99999999999999999999", "9223372036854775808", "5, 6"};
        String[] badCodings = {"gzip, chunked", "chunked, gzip", "identity", "chunked;q=1",
            "chunked, chunked", "gzip"};
        String[] badStatus = {"HTTP/1.1 20 OK", "HTTP/2 200", "HTTP/1.2 200 OK", "http/1.1 200",
            "HTTP/1.1  200 OK", "HTTP/1.1 2000", "HTTP/1.1 099 x", "HTTP/1.1 600 x",
            "HTTP/1.1 200 O\u0000K", "ICY 200 OK", "", "HTTP/1.1 200OK"};
        String[] badChunkSizes = {"zz", "", "-1", "0x5", "00000000000000005", "8000000000000000",
            "ffffffffffffffff", "5 x", "5;a\u0000", "5\u000b"};
        int which = r.nextInt(16);
        String body;
        switch (which) {
            case 0:
                body = r.nextBoolean() ? ok + "Content-Length: 5\r\n" + te + "\r\n" + chunked
                        : ok + te + "Content-Length: 5\r\n\r\n" + chunked;
                break;
            case 1:
                body = ok + "Transfer-Encoding: " + badCodings[r.nextInt(badCodings.length)]
                        + "\r\n\r\n" + chunked;
                break;
            case 2:
                body = ok + "Content-Length: 5\r\nContent-Length: " + (6 + r.nextInt(100))
                        + "\r\n\r\nhello";
                break;
            case 3:
                body = ok + "Content-Length: " + badLengths[r.nextInt(badLengths.length)]
                        + "\r\n\r\nhello";
                break;
            case 4:
                body = ok + "X-A: one\r\n" + (r.nextBoolean() ? " " : "\t") + "folded\r\n"
                        + "Content-Length: 0\r\n\r\n";
                break;
            case 5:
                body = ok + token(r) + (r.nextBoolean() ? " " : "\t") + ": v\r\n\r\n";
                break;
            case 6: {
                char[] bad = {'\r', '\u0000', '\u0001', '\u001f', '\u007f', '\u000b'};
                body = ok + "X-A: a" + bad[r.nextInt(bad.length)]
                        + "b\r\nContent-Length: 0\r\n\r\n";
                break;
            }
            case 7:
                body = badStatus[r.nextInt(badStatus.length)] + "\r\nContent-Length: 0\r\n\r\n";
                break;
            case 8:
                body = ok + te + "\r\n" + badChunkSizes[r.nextInt(badChunkSizes.length)]
                        + "\r\nhello\r\n0\r\n\r\n";
                break;
            case 9:
                body = ok + te + "\r\n5\r\nhello" + (r.nextBoolean() ? "X" : "\n0")
                        + "\r\n0\r\n\r\n";
                break;
            case 10:
                body = oversized(r);
                break;
            case 11: {
                Valid v = valid(r);
                while (v.framedEnd < 0) {
                    v = valid(r);
                }
                // Cut inside a framed body: the end of the stream cannot be a clean end.
                byte[] cut = Arrays.copyOf(v.bytes,
                        v.headLength + r.nextInt(v.framedEnd - v.headLength));
                return new Case(cut, false, "catalogue: truncated framed body", true);
            }
            case 12:
                body = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n";
                break;
            case 13:
                body = "HTTP/1.0 200 OK\r\n" + te + "\r\n" + chunked;
                break;
            case 14:
                body = ok + te + "\r\n0\r\n" + (r.nextBoolean() ? "No colon" : " fold: x")
                        + "\r\n\r\n";
                break;
            default:
                body = ok + ": empty name\r\n\r\n";
                break;
        }
        return new Case(body.getBytes(StandardCharsets.ISO_8859_1), false,
                "catalogue " + which, true);
    }

    static String oversized(SplittableRandom r) {
        String ok = "HTTP/1.1 200 OK\r\n";
        switch (r.nextInt(7)) {
            case 0:
                return "HTTP/1.1 200 " + "r".repeat(ResponseReader.MAX_STATUS_LINE) + "\r\n\r\n";
            case 1:
                return ok + "X: " + "v".repeat(ResponseReader.MAX_FIELD_LINE) + "\r\n\r\n";
            case 2:
                return ok + "X: v\r\n".repeat(ResponseReader.MAX_FIELDS + 1) + "\r\n";
            case 3:
                return ok + ("X: " + "v".repeat(1000) + "\r\n").repeat(66) + "\r\n";
            case 4:
                return ok + "Transfer-Encoding: chunked\r\n\r\n5;"
                        + "e".repeat(ResponseReader.MAX_CHUNK_LINE) + "\r\nhello\r\n0\r\n\r\n";
            case 5:
                return ok + "Transfer-Encoding: chunked\r\n\r\n0\r\n"
                        + ("T: " + "t".repeat(1000) + "\r\n").repeat(17) + "\r\n";
            default:
                return "HTTP/1.1 100 Continue\r\n\r\n".repeat(ResponseReader.MAX_INTERIM_HEADS + 1)
                        + ok + "Content-Length: 0\r\n\r\n";
        }
    }

    private static final String[] INSERTS = {"\r", "\n", "\r\n", " ", "\t", "\u0000", ":", ";",
        "0\r\n\r\n", "Transfer-Encoding: chunked\r\n", "Content-Length: 3\r\n",
        "Content-Length: 99\r\n", "\r\n\r\n", "HTTP/1.1 200 OK\r\n", ";ext=1", "ffffffff", ",",
        "Connection: close\r\n", "HTTP/1.1 100 Continue\r\n\r\n", "\u0080", "\u00ff", "-"};
    private static final byte[] INTERESTING = {'\r', '\n', 0, ' ', '\t', ':', ';', '0', 'f', ',',
        '-', (byte) 0x80, (byte) 0xff, 'H', '1'};

    static byte[] mutate(SplittableRandom r, byte[] in, int headLength, StringBuilder what) {
        if (in.length == 0) {
            return INSERTS[r.nextInt(INSERTS.length)].getBytes(StandardCharsets.ISO_8859_1);
        }
        // Most mutations land in or near the head, where the framing decisions are made.
        int window = r.nextInt(10) < 7 ? Math.min(in.length, headLength + 200) : in.length;
        int at = r.nextInt(window);
        switch (r.nextInt(7)) {
            case 0: {
                byte[] out = in.clone();
                out[at] ^= (byte) (1 << r.nextInt(8));
                what.append(" flip@").append(at);
                return out;
            }
            case 1: {
                byte[] out = in.clone();
                out[at] = INTERESTING[r.nextInt(INTERESTING.length)];
                what.append(" set@").append(at);
                return out;
            }
            case 2: {
                byte[] insert = INSERTS[r.nextInt(INSERTS.length)]
                        .getBytes(StandardCharsets.ISO_8859_1);
                what.append(" insert@").append(at);
                return splice(in, at, 0, insert);
            }
            case 3: {
                int n = Math.min(in.length - at, 1 + r.nextInt(20));
                what.append(" delete@").append(at).append('+').append(n);
                return splice(in, at, n, new byte[0]);
            }
            case 4: {
                int n = Math.min(in.length - at, 1 + r.nextInt(40));
                what.append(" dup@").append(at).append('+').append(n);
                return splice(in, at, 0, Arrays.copyOfRange(in, at, at + n));
            }
            case 5: {
                byte[] noise = new byte[1 + r.nextInt(8)];
                r.nextBytes(noise);
                what.append(" noise@").append(at);
                return splice(in, at, 0, noise);
            }
            default:
                what.append(" cut@").append(at);
                return Arrays.copyOf(in, at);
        }
    }

    static byte[] splice(byte[] in, int at, int remove, byte[] insert) {
        byte[] out = new byte[in.length - remove + insert.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(in, at + remove, out, at + insert.length, in.length - at - remove);
        return out;
    }

    static void write(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    // ----------------------------------------------------------------------------------------
    // Running

    /** What the real reader made of a case. */
    record Seen(Kind kind, String detail, ResponseHead head, byte[] body, boolean keepAlive,
                boolean extra) {
    }

    static Seen runReader(Case c, SplittableRandom r) {
        int mode = r.nextInt(10);
        int maxPiece = mode == 0 ? 1 : mode == 1 ? Integer.MAX_VALUE
                : new int[] {2, 7, 100, 5_000, 70_000}[r.nextInt(5)];
        MemorySource source = new MemorySource(c.bytes(), maxPiece, mode < 2 ? null : r.split());
        int[] sizes = {1, 3, 16, 1_000, 16_384, 262_144};
        int dstSize = sizes[r.nextInt(sizes.length)];
        ByteBuffer dst = r.nextBoolean() ? ByteBuffer.allocateDirect(dstSize)
                : ByteBuffer.allocate(dstSize);
        ResponseReader reader = new ResponseReader(source);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ResponseHead head = null;
        try {
            head = reader.readHead(c.headRequest(), false);
            if (head.headers().map().size() > ResponseReader.MAX_FIELDS) {
                throw new AssertionError("more header names than lines allowed");
            }
            long declared = reader.framing() == ResponseReader.Framing.LENGTH
                    ? head.contentLength() : Long.MAX_VALUE;
            byte[] copy = new byte[dstSize];
            while (true) {
                dst.clear();
                int n = reader.read(dst);
                if (n < 0) {
                    break;
                }
                if (n == 0 || n != dst.position()) {
                    throw new AssertionError("read() returned " + n + ", put " + dst.position());
                }
                dst.flip();
                dst.get(copy, 0, n);
                body.write(copy, 0, n);
                if (body.size() > declared) {
                    throw new AssertionError("delivered " + body.size() + " bytes of a "
                            + declared + "-byte Content-Length");
                }
            }
            if (reader.bufferCapacity() != ResponseReader.BUFFER_BYTES) {
                throw new AssertionError("the head buffer grew");
            }
            return new Seen(Kind.ACCEPT, null, head, body.toByteArray(), reader.keepAlive(),
                    reader.hasBuffered() || !source.exhausted());
        } catch (ProtocolException e) {
            return new Seen(Kind.PROTOCOL, e.getMessage(), head, null, false, false);
        } catch (EOFException e) {
            return new Seen(Kind.EOF, e.getMessage(), head, null, false, false);
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("unexpected " + e, e);
        }
    }

    /** Null when the real reader and the reference agree, else what differs. */
    static String compare(Seen seen, Verdict expected, boolean mustReject, boolean checkExtra) {
        if (mustReject && expected.kind() == Kind.ACCEPT) {
            return "the reference accepted a catalogue malformation";
        }
        if (seen.kind() != expected.kind()) {
            return "reader " + seen.kind() + " (" + seen.detail() + "), reference " + expected;
        }
        if (seen.kind() != Kind.ACCEPT) {
            return null;
        }
        if (seen.head().status() != expected.status()) {
            return "status " + seen.head().status() + " vs " + expected.status();
        }
        if (!seen.head().protocol().equals(expected.protocol())) {
            return "protocol " + seen.head().protocol() + " vs " + expected.protocol();
        }
        if (seen.head().contentLength() != expected.contentLength()) {
            return "contentLength " + seen.head().contentLength() + " vs "
                    + expected.contentLength();
        }
        if (!Arrays.equals(seen.body(), expected.body())) {
            return "body of " + seen.body().length + " bytes differs from the reference's "
                    + expected.body().length;
        }
        if (checkExtra && seen.keepAlive() != expected.keepAlive()) {
            return "keepAlive " + seen.keepAlive() + " vs " + expected.keepAlive();
        }
        if (checkExtra && seen.extra() != expected.extra()) {
            return "extra bytes " + seen.extra() + " vs " + expected.extra();
        }
        return null;
    }

    static String describe(long seed, int index, Case c, String problem) {
        StringBuilder sb = new StringBuilder("fuzz failure: ").append(problem)
                .append("\n  reproduce: -Dhaul.fuzz.seed=").append(seed)
                .append(" -Dhaul.fuzz.case=").append(index)
                .append("\n  case: ").append(c.origin()).append(c.headRequest() ? " (HEAD)" : "")
                .append(", ").append(c.bytes().length).append(" bytes\n  input: ");
        int shown = Math.min(c.bytes().length, 1_500);
        for (int i = 0; i < shown; i++) {
            int b = c.bytes()[i] & 0xff;
            if (b == '\r') {
                sb.append("\\r");
            } else if (b == '\n') {
                sb.append("\\n");
            } else if (b >= 0x20 && b < 0x7f && b != '\\') {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b));
            }
        }
        return sb.append(shown < c.bytes().length ? "..." : "").toString();
    }

    /**
     * Runs {@code body} on a watchdog-guarded thread: a case that runs longer than
     * {@link #CASE_LIMIT_MS} fails the test as a hang, naming the case.
     */
    static void guarded(String name, long seed, CaseLoop body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] current = {-1, System.nanoTime()};
        Thread worker = new Thread(() -> {
            try {
                body.run((index) -> {
                    synchronized (current) {
                        current[0] = index;
                        current[1] = System.nanoTime();
                    }
                });
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "haul-fuzz-" + name);
        worker.setDaemon(true);
        worker.start();
        while (worker.isAlive()) {
            worker.join(200);
            synchronized (current) {
                long stuckMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - current[1]);
                if (worker.isAlive() && stuckMs > CASE_LIMIT_MS) {
                    fail("fuzz case hangs: -Dhaul.fuzz.seed=" + seed + " -Dhaul.fuzz.case="
                            + current[0] + " has run for " + stuckMs + " ms");
                }
            }
        }
        Throwable t = failure.get();
        if (t instanceof AssertionError) {
            throw (AssertionError) t;
        }
        if (t != null) {
            throw new AssertionError(t);
        }
    }

    interface CaseLoop {
        void run(Progress progress) throws Exception;
    }

    interface Progress {
        void at(long index);
    }

    @Test
    void readerAgreesWithTheReferenceOnEveryInput() throws InterruptedException {
        Map<Kind, Integer> outcomes = new EnumMap<>(Kind.class);
        long start = System.nanoTime();
        guarded("memory", SEED, progress -> {
            for (int i = ONLY_CASE >= 0 ? ONLY_CASE : 0;
                    i < (ONLY_CASE >= 0 ? ONLY_CASE + 1 : ITERATIONS); i++) {
                progress.at(i);
                SplittableRandom r = new SplittableRandom(caseSeed(SEED, i));
                Case c = generate(r);
                Verdict expected = ReferenceParser.parse(c.bytes(), c.headRequest());
                Seen seen;
                try {
                    seen = runReader(c, r);
                } catch (AssertionError e) {
                    String message = describe(SEED, i, c, e.getMessage());
                    System.err.println(message);
                    throw new AssertionError(message, e);
                }
                String problem = compare(seen, expected, c.mustReject(), true);
                if (problem != null) {
                    String message = describe(SEED, i, c, problem);
                    System.err.println(message);
                    throw new AssertionError(message);
                }
                outcomes.merge(seen.kind(), 1, Integer::sum);
            }
        });
        System.out.printf("Http1FuzzTest in memory: %d cases, seed %d, %d ms, outcomes %s%n",
                ONLY_CASE >= 0 ? 1 : ITERATIONS, SEED,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), outcomes);
        if (ONLY_CASE < 0 && ITERATIONS >= 1_000) {
            for (Kind k : Kind.values()) {
                assertTrue(outcomes.getOrDefault(k, 0) > ITERATIONS / 50,
                        "the generator reaches every outcome: " + outcomes);
            }
        }
    }

    @Test
    void theTransportAgreesWithTheReferenceOverSockets() throws Exception {
        // Socket cases draw from their own stream of the same seed.
        long seed = SEED ^ 0x50434B45_54L;
        Map<Kind, Integer> outcomes = new EnumMap<>(Kind.class);
        try (FaultServer server = FaultServer.start();
             Http1Transport transport = new Http1Transport(Bodies.DIRECT)) {
            guarded("socket", SEED, progress -> {
                for (int i = ONLY_CASE >= 0 ? ONLY_CASE : 0;
                        i < (ONLY_CASE >= 0 ? ONLY_CASE + 1 : SOCKET_ITERATIONS); i++) {
                    progress.at(i);
                    SplittableRandom r = new SplittableRandom(caseSeed(seed, i));
                    Case c = generate(r);
                    if (c.bytes().length > 200_000) {
                        continue;
                    }
                    Script.Builder script = Script.builder();
                    for (int off = 0; off < c.bytes().length; ) {
                        int n = Math.min(c.bytes().length - off, 1 + r.nextInt(
                                r.nextBoolean() ? 16 : 20_000));
                        script.write(Arrays.copyOfRange(c.bytes(), off, off + n));
                        off += n;
                    }
                    server.enqueue("/fuzz", script.fin().build());
                    Verdict expected = ReferenceParser.parse(c.bytes(), c.headRequest());
                    Seen seen = exchange(transport, server, c, r);
                    String problem = compare(seen, expected, c.mustReject(), false);
                    if (problem != null) {
                        String message = describe(SEED, i, c, "over a socket: " + problem);
                        System.err.println(message);
                        throw new AssertionError(message);
                    }
                    outcomes.merge(seen.kind(), 1, Integer::sum);
                }
            });
        }
        System.out.printf("Http1FuzzTest over sockets: %d cases, seed %d, outcomes %s%n",
                ONLY_CASE >= 0 ? 1 : SOCKET_ITERATIONS, SEED, outcomes);
    }

    private static Seen exchange(Http1Transport transport, FaultServer server, Case c,
            SplittableRandom r) {
        URI uri = server.uri("/fuzz");
        ExchangeRequest.Builder request = c.headRequest()
                ? ExchangeRequest.head(uri) : ExchangeRequest.get(uri);
        ResponseHead head = null;
        try (Exchange ex = transport.newExchange(request.freshConnection(true).build())) {
            head = ex.send();
            byte[] body = Bodies.readAll(ex, new int[] {1, 100, 65_536}[r.nextInt(3)]);
            return new Seen(Kind.ACCEPT, null, head, body, false, false);
        } catch (ProtocolException e) {
            return new Seen(Kind.PROTOCOL, e.getMessage(), head, null, false, false);
        } catch (EOFException e) {
            return new Seen(Kind.EOF, e.getMessage(), head, null, false, false);
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("unexpected " + e, e);
        }
    }
}
