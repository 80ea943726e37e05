package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.queue.testing.FileServer;
import dev.haul.testing.LeakCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The API contract against a real daemon on loopback: every endpoint and every error code. */
@ExtendWith(LeakCheck.class)
@LeakCheck.Options(threadPrefixes = {"haul", "file-server"}, fdTolerance = 6)
@Timeout(60)
class ApiTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;
    TestDaemon d;
    FileServer files;
    Http http;

    @BeforeEach
    void start() throws Exception {
        files = FileServer.start();
        d = new TestDaemon(tmp);
        http = d.http;
    }

    @AfterEach
    void stop() {
        d.close();
        files.close();
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    String add(String json) {
        Http.Answer a = http.post("/api/v1/jobs", json);
        assertEquals(201, a.status(), a::toString);
        return a.json().path("id").asText();
    }

    long count() {
        return http.get("/api/v1/jobs?state=queued,active,paused,completed,failed,removed")
                .json().path("total").asLong();
    }

    @Test
    void everyApiRequestNeedsTheTokenButThePageDoesNot() throws Exception {
        Http anon = d.anonymous();
        for (String path : List.of("/api/v1/jobs", "/api/v1/stats", "/api/v1/options",
                "/api/v1/jobs/1", "/api/v1/nothing", "/api/")) {
            Http.Answer a = anon.get(path);
            assertEquals(401, a.status(), path);
            assertEquals("unauthorized", a.errorCode());
            assertEquals("Bearer", a.header("WWW-Authenticate"));
        }
        Http wrong = new Http(d.daemon.url(), "wrong-token-0123456789");
        Http.Answer a = wrong.post("/api/v1/jobs", "{\"url\":\"" + files.url("/x") + "\"}");
        assertEquals(401, a.status());
        assertEquals("wrong token", a.json().path("error").path("message").asText());
        // the query token works for the event stream only
        assertEquals(401, anon.get("/api/v1/stats?token=" + TestDaemon.TOKEN).status());
        try (EventStream s = new EventStream(d.daemon.url().resolve("/api/v1/events?token="
                + TestDaemon.TOKEN), null, null)) {
            assertEquals(200, s.status);
            assertEquals("hello", s.next(WAIT).type());
        }
        try (EventStream s = new EventStream(d.daemon.url().resolve("/api/v1/events?token=x"
                + TestDaemon.TOKEN), null, null)) {
            assertEquals(401, s.status);
        }
        assertEquals(0, count(), "refused requests added nothing");
        Http.Answer page = anon.get("/");
        assertEquals(200, page.status());
        assertTrue(page.header("Content-Type").startsWith("text/html"));
        assertTrue(page.body().contains("app.js"));
        assertEquals(200, anon.get("/app.js").status());
        for (String escape : List.of("/../pom.xml", "/dev/haul/daemon/Api.class",
                "/web/../../Api.class", "/%2e%2e/x.txt")) {
            Http.Answer refused = anon.get(escape);
            assertTrue(refused.status() == 400 || refused.status() == 404, escape + refused);
        }
        assertEquals("not_found", anon.get("/nope.html").errorCode());
    }

    @Test
    void theTokenFileIsOwnerOnlyAndMadeOnce() throws Exception {
        Path data = tmp.resolve("other");
        String first;
        try (Daemon daemon = Daemon.start(Daemon.Settings.defaults().dataDir(data)
                .downloadDir(tmp).port(0))) {
            first = daemon.token();
            assertEquals(43, first.length());
            assertEquals(EnumSet.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(data.resolve("token")));
            assertEquals(first, Files.readString(data.resolve("token")).trim());
            assertEquals(daemon.url().toString(), Files.readString(data.resolve("daemon.url"))
                    .trim());
            assertEquals(ProcessHandle.current().pid(), Long.parseLong(Files.readString(
                    data.resolve("daemon.pid")).trim()));
            assertEquals(200, new Http(daemon.url(), first).get("/api/v1/stats").status());
        }
        assertFalse(Files.exists(data.resolve("daemon.pid")), "the pid file goes at close");
        assertFalse(Files.exists(data.resolve("daemon.url")));
        try (Daemon daemon = Daemon.start(Daemon.Settings.defaults().dataDir(data)
                .downloadDir(tmp).port(0))) {
            assertEquals(first, daemon.token(), "the token is kept across restarts");
        }
    }

    @Test
    void aSecondDaemonOnTheSameQueueIsRefused() {
        dev.haul.queue.QueueException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.haul.queue.QueueException.class, () -> Daemon.start(Daemon.Settings
                        .defaults().dataDir(d.data).downloadDir(tmp).port(0)));
        assertEquals(dev.haul.queue.QueueException.Code.LOCKED, e.code());
        assertEquals(200, http.get("/api/v1/stats").status(), "the first one still serves");
    }

    @Test
    void listeningBeyondLoopbackNeedsAnExplicitToken() {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> Daemon.start(Daemon.Settings.defaults()
                        .dataDir(tmp.resolve("net")).downloadDir(tmp).listen("0.0.0.0", 0)));
        assertTrue(e.getMessage().contains("--token"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("net").resolve("token")));
    }

    @Test
    void addDownloadWaitAndTheFileIsRight() throws Exception {
        byte[] body = bytes(300_000, 1);
        files.file("/f.bin", body);
        Http.Answer a = http.post("/api/v1/jobs", "{\"url\":\"" + files.url("/f.bin") + "\"}");
        assertEquals(201, a.status(), a::toString);
        long id = a.json().path("id").asLong();
        assertEquals("/api/v1/jobs/" + id, a.header("Location"));
        JsonNode done = http.get("/api/v1/jobs/" + id + "/wait?timeout=20").json();
        assertEquals("completed", done.path("state").asText(), done::toString);
        assertEquals(300_000, done.path("bytesDone").asLong());
        assertEquals(d.downloads.resolve("f.bin").toString(), done.path("file").asText());
        assertTrue(java.util.Arrays.equals(body, Files.readAllBytes(d.downloads
                .resolve("f.bin"))));
        assertNotNull(done.path("finishedAt").textValue());
        JsonNode stats = http.get("/api/v1/stats").json();
        assertEquals(1, stats.path("jobs").path("completed").asLong());
    }

    @Test
    void anIdempotencyKeyAddsOnce() {
        String job = "{\"url\":\"" + files.url("/k") + "\",\"paused\":true,\"key\":\"k-1\"}";
        Http.Answer first = http.post("/api/v1/jobs", job);
        Http.Answer again = http.post("/api/v1/jobs", job);
        assertEquals(201, first.status());
        assertEquals(200, again.status());
        assertEquals(first.json().path("id"), again.json().path("id"));
        assertEquals(1, count());
    }

    @Test
    void aBatchIsAllOrNothingAndNamesTheBadJob() {
        String good = "{\"url\":\"" + files.url("/a.txt") + "\",\"paused\":true}";
        Http.Answer bad = http.post("/api/v1/jobs/batch", "{\"jobs\":[" + good + "," + good
                + ",{\"url\":\"nope://x\"}]}");
        assertEquals(400, bad.status());
        assertEquals("invalid_value", bad.errorCode());
        assertTrue(bad.json().path("error").path("message").asText().startsWith("jobs[2].url"),
                bad::toString);
        assertEquals(0, count(), "nothing added");
        Http.Answer ok = http.post("/api/v1/jobs/batch", "{\"jobs\":[" + good + "," + good
                + "]}");
        assertEquals(201, ok.status());
        assertEquals("a.txt", ok.json().path("jobs").get(0).path("name").asText());
        assertEquals("a.txt.1", ok.json().path("jobs").get(1).path("name").asText());
        StringBuilder many = new StringBuilder("{\"jobs\":[");
        for (int i = 0; i <= Api.MAX_BATCH; i++) {
            many.append(i == 0 ? "" : ",").append(good);
        }
        Http.Answer tooMany = http.post("/api/v1/jobs/batch", many + "]}");
        assertEquals("invalid_value", tooMany.errorCode());
        assertEquals(2, count());
    }

    @Test
    void listPagesAndFilters() {
        for (int i = 0; i < 7; i++) {
            add("{\"url\":\"" + files.url("/p" + i) + "\",\"paused\":true}");
        }
        JsonNode page = http.get("/api/v1/jobs?state=paused&offset=2&limit=3").json();
        assertEquals(7, page.path("total").asLong());
        assertEquals(3, page.path("jobs").size());
        assertEquals(3, page.path("jobs").get(0).path("id").asLong());
        assertEquals(0, http.get("/api/v1/jobs?state=queued").json().path("total").asLong());
        assertEquals("invalid_value", http.get("/api/v1/jobs?limit=0").errorCode());
        assertEquals("invalid_value", http.get("/api/v1/jobs?limit=1001").errorCode());
        assertEquals("invalid_value", http.get("/api/v1/jobs?offset=-1").errorCode());
        assertEquals("invalid_value", http.get("/api/v1/jobs?state=sleeping").errorCode());
        assertEquals("invalid_value", http.get("/api/v1/jobs?limit=x").errorCode());
        assertEquals("invalid_value", http.get("/api/v1/jobs?limit=1&limit=2").errorCode());
        assertEquals("unknown_field", http.get("/api/v1/jobs?staet=paused").errorCode());
        assertEquals("unknown_field", http.get("/api/v1/stats?verbose=1").errorCode());
    }

    @Test
    void pauseResumeMoveRemove() throws Exception {
        String a = add("{\"url\":\"" + files.url("/a") + "\",\"paused\":true}");
        String b = add("{\"url\":\"" + files.url("/b") + "\",\"paused\":true}");
        String c = add("{\"url\":\"" + files.url("/c") + "\",\"paused\":true}");
        JsonNode moved = http.post("/api/v1/jobs/" + c + "/move", "{\"position\":0}").json();
        assertEquals("paused", moved.path("state").asText());
        List<String> order = new ArrayList<>();
        http.get("/api/v1/jobs").json().path("jobs").forEach(j -> order.add(j.path("id")
                .asText()));
        assertEquals(List.of(c, a, b), order);
        http.post("/api/v1/jobs/" + c + "/move", "{\"by\":2}");
        order.clear();
        http.get("/api/v1/jobs").json().path("jobs").forEach(j -> order.add(j.path("id")
                .asText()));
        assertEquals(List.of(a, b, c), order);
        assertEquals("invalid_value", http.post("/api/v1/jobs/" + c + "/move",
                "{\"position\":0,\"by\":1}").errorCode());
        assertEquals("invalid_value", http.post("/api/v1/jobs/" + c + "/move",
                "{\"position\":-1}").errorCode());
        assertEquals("unknown_field", http.post("/api/v1/jobs/" + c + "/move",
                "{\"place\":1}").errorCode());
        // pause a paused job: no change; resume; pause again
        assertEquals("paused", http.post("/api/v1/jobs/" + a + "/pause", null).json()
                .path("state").asText());
        files.file("/a", bytes(1000, 2));
        assertEquals(200, http.post("/api/v1/jobs/" + a + "/resume", null).status());
        JsonNode done = http.get("/api/v1/jobs/" + a + "/wait?timeout=20").json();
        assertEquals("completed", done.path("state").asText());
        Http.Answer conflict = http.post("/api/v1/jobs/" + a + "/pause", null);
        assertEquals(409, conflict.status());
        assertEquals("invalid_state", conflict.errorCode());
        assertEquals("cannot pause job " + a + ": it is completed",
                conflict.json().path("error").path("message").asText());
        assertEquals("invalid_state", http.post("/api/v1/jobs/" + a + "/move",
                "{\"by\":1}").errorCode());
        // remove keeps a completed file
        JsonNode removed = http.delete("/api/v1/jobs/" + a + "?partial=delete").json();
        assertEquals("removed", removed.path("state").asText());
        assertTrue(Files.exists(d.downloads.resolve("a")));
        assertEquals("invalid_state", http.post("/api/v1/jobs/" + a + "/resume", null)
                .errorCode());
        assertEquals("removed", http.delete("/api/v1/jobs/" + a).json().path("state").asText(),
                "removing a removed job changes nothing");
        assertEquals("invalid_value", http.delete("/api/v1/jobs/" + b + "?partial=maybe")
                .errorCode());
        assertEquals("paused", http.get("/api/v1/jobs/" + b).json().path("state").asText());
        assertEquals(2, http.get("/api/v1/jobs").json().path("total").asLong());
        assertEquals(1, http.get("/api/v1/jobs?state=removed").json().path("total").asLong());
    }

    @Test
    void removingAnActiveJobCanDeleteItsPart() throws Exception {
        files.file("/big", bytes(2_000_000, 3));
        FileServer.Gate gate = files.hold("/big", 500_000);
        try (EventStream events = d.events(null)) {
            String id = add("{\"url\":\"" + files.url("/big") + "\"}");
            assertTrue(gate.awaitHeld(WAIT));
            events.until(e -> e.type().equals("state") && e.json().path("state").asText()
                    .equals("active"), WAIT);
            JsonNode removed = http.delete("/api/v1/jobs/" + id + "?partial=delete").json();
            assertEquals("removed", removed.path("state").asText());
            events.until(e -> e.type().equals("state") && e.json().path("state").asText()
                    .equals("removed"), WAIT);
            // the part goes once the stopped download has ended; the gate stays shut until
            // then, or the download could finish its last bytes before the stop lands
            Poll.until(() -> !Files.exists(d.downloads.resolve("big.part")), WAIT,
                    "part deleted");
            gate.release();
        }
        try (Stream<Path> left = Files.list(d.downloads)) {
            assertEquals(List.of(), left.toList(), "no part, no file");
        }
    }

    @Test
    void waitAnswersAtTheTimeoutWithTheJobAsItIs() {
        String id = add("{\"url\":\"" + files.url("/w") + "\",\"paused\":true}");
        long t0 = System.nanoTime();
        Http.Answer a = http.get("/api/v1/jobs/" + id + "/wait?timeout=1");
        assertEquals(200, a.status());
        assertEquals("paused", a.json().path("state").asText());
        assertTrue(System.nanoTime() - t0 >= 900_000_000L);
        assertEquals("invalid_value", http.get("/api/v1/jobs/" + id + "/wait?timeout=301")
                .errorCode());
        assertEquals("job_not_found", http.get("/api/v1/jobs/99/wait").errorCode());
    }

    @Test
    void everyErrorCode() throws Exception {
        String url = files.url("/e");
        assertEquals("bad_json", http.post("/api/v1/jobs", "{\"url\":").errorCode());
        assertEquals("bad_json", http.post("/api/v1/jobs", "[1]").errorCode());
        assertEquals("bad_json", http.post("/api/v1/jobs", "{\"url\":\"" + url + "\",\"url\":\""
                + url + "\"}").errorCode());
        Http.Answer unknown = http.post("/api/v1/jobs", "{\"url\":\"" + url
                + "\",\"pasued\":true}");
        assertEquals(400, unknown.status());
        assertEquals("unknown_field", unknown.errorCode());
        for (String bad : List.of("{\"url\":\"ftp://x/a\"}", "{\"url\":7}", "{}",
                "{\"url\":\"" + url + "\",\"name\":\"../x\"}",
                "{\"url\":\"" + url + "\",\"sha256\":\"abc\"}",
                "{\"url\":\"" + url + "\",\"connections\":17}",
                "{\"url\":\"" + url + "\",\"maxBytesPerSecond\":-1}",
                "{\"url\":\"" + url + "\",\"paused\":\"yes\"}",
                "{\"url\":\"" + url + "\",\"headers\":{\"X\":1}}",
                "{\"url\":\"" + url + "\",\"headers\":{\"Bad Name\":\"v\"}}",
                "{\"url\":\"" + url + "\",\"mirrors\":\"x\"}")) {
            Http.Answer a = http.post("/api/v1/jobs", bad);
            assertEquals(400, a.status(), bad + " -> " + a);
            assertEquals("invalid_value", a.errorCode(), bad + " -> " + a);
        }
        assertEquals("invalid_id", http.get("/api/v1/jobs/abc").errorCode());
        assertEquals("invalid_id", http.get("/api/v1/jobs/0").errorCode());
        assertEquals("invalid_id", http.post("/api/v1/jobs/-1/pause", null).errorCode());
        assertEquals("job_not_found", http.get("/api/v1/jobs/99").errorCode());
        assertEquals(404, http.get("/api/v1/jobs/99").status());
        assertEquals("job_not_found", http.post("/api/v1/jobs/99/pause", null).errorCode());
        assertEquals("job_not_found", http.delete("/api/v1/jobs/99").errorCode());
        assertEquals("not_found", http.get("/api/v1/jobz").errorCode());
        assertEquals("not_found", http.get("/api/v2/jobs").errorCode());
        assertEquals("not_found", http.get("/api/v1/jobs/1/explode").errorCode());
        Http.Answer method = http.send("PUT", "/api/v1/jobs", "{}", "application/json");
        assertEquals(405, method.status());
        assertEquals("method_not_allowed", method.errorCode());
        assertEquals("GET, POST", method.header("Allow"));
        assertEquals("method_not_allowed", http.delete("/api/v1/stats").errorCode());
        assertEquals("method_not_allowed", http.get("/api/v1/jobs/1/pause").errorCode());
        assertEquals(405, d.anonymous().send("POST", "/", "x", "text/plain").status());
        String id = add("{\"url\":\"" + url + "\",\"name\":\"taken\",\"paused\":true}");
        Http.Answer taken = http.post("/api/v1/jobs", "{\"url\":\"" + url
                + "\",\"name\":\"taken\"}");
        assertEquals(409, taken.status());
        assertEquals("file_exists", taken.errorCode());
        Http.Answer type = http.send("POST", "/api/v1/jobs", "{\"url\":\"" + url + "\"}",
                "text/plain");
        assertEquals(415, type.status());
        assertEquals("unsupported_media_type", type.errorCode());
        assertEquals("close", type.header("Connection"), "its body was not read: the "
                + "connection is not reused");
        assertEquals("unsupported_media_type", http.send("POST", "/api/v1/jobs", "{}", null)
                .errorCode());
        // a declared length over the limit is refused before a byte of the body is read (a raw
        // socket: a client still sending its body may see the early answer as a reset)
        String large = rawRequest("POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + "Bearer " + TestDaemon.TOKEN + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + (Api.MAX_BODY + 1) + "\r\n\r\n{");
        assertTrue(large.startsWith("HTTP/1.1 413 "), large);
        assertTrue(large.contains("\"code\":\"body_too_large\""), large);
        assertEquals("bad_json", http.send("POST", "/api/v1/jobs", null, "application/json",
                Map.of()).errorCode(), "an empty body");
        // a body without a declared length is counted as it is read
        java.net.http.HttpRequest streamed = java.net.http.HttpRequest.newBuilder(
                d.daemon.url().resolve("/api/v1/jobs")).header("Authorization", "Bearer "
                + TestDaemon.TOKEN).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() ->
                        new java.io.ByteArrayInputStream(("{\"url\":\"" + url + "\",\"key\":\""
                        + "x".repeat(Api.MAX_BODY) + "\"}").getBytes(StandardCharsets.UTF_8))))
                .build();
        try {
            java.net.http.HttpResponse<String> r = Http.CLIENT.send(streamed,
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(413, r.statusCode(), r.body());
        } catch (java.io.IOException e) {
            // the early answer reset the upload: refused all the same (checked below)
        }
        // what Jetty refuses before the API sees it is JSON with a code too
        String ambiguous = rawRequest("GET /api/v1/jobs/%2e%2e/x HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + TestDaemon.TOKEN + "\r\n\r\n");
        assertTrue(ambiguous.startsWith("HTTP/1.1 400 "), ambiguous);
        assertTrue(ambiguous.contains("application/json"), ambiguous);
        assertTrue(ambiguous.contains("\"code\":\"bad_request\""), ambiguous);
        String bigHeaders = rawRequest("GET /api/v1/stats HTTP/1.1\r\nHost: x\r\nX-Big: "
                + "y".repeat(20_000) + "\r\n\r\n");
        assertTrue(bigHeaders.startsWith("HTTP/1.1 431 "), bigHeaders);
        assertTrue(bigHeaders.contains("\"code\":\"headers_too_large\""), bigHeaders);
        assertEquals(1, count(), "only the one good add changed anything");
        assertEquals("paused", http.get("/api/v1/jobs/" + id).json().path("state").asText());
        for (Http.Answer a : List.of(unknown, taken)) {
            assertEquals("application/json", a.header("Content-Type"));
            assertFalse(a.body().contains("Exception"), a.body());
        }
    }

    String rawRequest(String request) throws java.io.IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", d.daemon.url().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            java.io.InputStream in = socket.getInputStream();
            StringBuilder answer = new StringBuilder();
            byte[] buf = new byte[8192];
            int n;
            while (!answer.toString().contains("}}") && (n = in.read(buf)) > 0) {
                answer.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            return answer.toString();
        }
    }

    @Test
    void optionsChangeAtRunTimeAndABadValueChangesNothing() {
        JsonNode o = http.get("/api/v1/options").json();
        assertEquals(3, o.path("maxConcurrentDownloads").asInt());
        assertEquals(0, o.path("maxBytesPerSecond").asLong());
        JsonNode p = http.patch("/api/v1/options", "{\"maxConcurrentDownloads\":5,"
                + "\"maxBytesPerSecond\":1000000}").json();
        assertEquals(5, p.path("maxConcurrentDownloads").asInt());
        assertEquals(1000000, p.path("maxBytesPerSecond").asLong());
        assertEquals("invalid_value", http.patch("/api/v1/options",
                "{\"maxBytesPerSecond\":5,\"maxConcurrentDownloads\":65}").errorCode());
        assertEquals("unknown_field", http.patch("/api/v1/options", "{\"speed\":5}")
                .errorCode());
        JsonNode after = http.get("/api/v1/stats").json();
        assertEquals(5, after.path("maxConcurrentDownloads").asInt());
        assertEquals(1000000, after.path("maxBytesPerSecond").asLong());
    }

    /**
     * The log records of the process while it is installed, formatted with their exceptions:
     * every level of Haul's own loggers ({@code dev.haul.*}), and what the daemon logs by default
     * (INFO and up) for the rest. (Jetty's DEBUG level dumps raw request bytes; it is off unless
     * someone turns it on.)
     */
    static final class LogCapture extends java.util.logging.Handler implements AutoCloseable {
        final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        private final java.util.logging.Logger haul = java.util.logging.Logger.getLogger(
                "dev.haul");
        private final java.util.logging.Level before = haul.getLevel();

        LogCapture() {
            setLevel(java.util.logging.Level.ALL);
            haul.setLevel(java.util.logging.Level.ALL);
            root.addHandler(this);
        }

        @Override
        public void publish(java.util.logging.LogRecord r) {
            String text = new java.util.logging.SimpleFormatter().formatMessage(r);
            if (r.getThrown() != null) {
                java.io.StringWriter w = new java.io.StringWriter();
                r.getThrown().printStackTrace(new java.io.PrintWriter(w));
                text += "\n" + w;
            }
            lines.add(r.getLoggerName() + ": " + text);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            root.removeHandler(this);
            haul.setLevel(before);
        }
    }

    @Test
    void secretsNeverComeBackAndStayOffDisk() throws Exception {
        byte[] body = bytes(50_000, 4);
        files.file("/secret.bin", body);
        files.status("/secret-gone", 404);
        String url = files.url("/secret.bin").replace("http://", "http://alice:pw-url-9@");
        try (LogCapture log = new LogCapture(); EventStream events = d.events(null)) {
            Http.Answer a = http.post("/api/v1/jobs", "{\"url\":\"" + url + "\",\"headers\":"
                    + "{\"Authorization\":\"Bearer sekrit-42\",\"Cookie\":\"s=cookie-77\","
                    + "\"X-Trace\":\"7\"}}");
            assertEquals(201, a.status(), a::toString);
            long id = a.json().path("id").asLong();
            assertEquals("memory", a.json().path("credentials").asText());
            JsonNode done = http.get("/api/v1/jobs/" + id + "/wait?timeout=20").json();
            assertEquals("completed", done.path("state").asText(), done::toString);
            List<EventStream.Event> seen = events.until(e -> e.type().equals("state")
                    && e.json().path("state").asText().equals("completed"), WAIT);
            FileServer.Request sent = files.requests("/secret.bin").get(0);
            assertEquals("Bearer sekrit-42", sent.header("Authorization"),
                    "the download used the credentials");
            assertEquals("s=cookie-77", sent.header("Cookie"));
            List<String> answers = new ArrayList<>();
            answers.add(a.body());
            answers.add(http.get("/api/v1/jobs").body());
            answers.add(http.get("/api/v1/jobs/" + id).body());
            seen.forEach(e -> answers.add(e.data()));
            for (String text : answers) {
                for (String secret : List.of("sekrit-42", "cookie-77", "pw-url-9", "alice")) {
                    assertFalse(text.contains(secret), secret + " in " + text);
                }
            }
            assertTrue(answers.get(2).contains("\"X-Trace\":\"7\""));
            // a failing one logs its failure, and a refused add its request: without secrets
            Http.Answer failing = http.post("/api/v1/jobs", "{\"url\":\"" + files.url(
                    "/secret-gone").replace("http://", "http://alice:pw-url-9@") + "\","
                    + "\"headers\":{\"Cookie\":\"s=cookie-77\"}}");
            JsonNode failed = http.get("/api/v1/jobs/" + failing.json().path("id").asLong()
                    + "/wait?timeout=20").json();
            assertEquals("failed", failed.path("state").asText(), failed::toString);
            assertEquals(400, http.post("/api/v1/jobs", "{\"url\":\"" + url + "\",\"headers\":"
                    + "{\"Authorization\":\"Bearer sekrit-42\"},\"sha256\":\"x\"}").status());
            d.close();
            assertTrue(log.lines.stream().anyMatch(l -> l.contains("failed")), log.lines::toString);
            for (String line : log.lines) {
                for (String secret : List.of("sekrit-42", "cookie-77", "pw-url-9")) {
                    assertFalse(line.contains(secret), secret + " in the log: " + line);
                }
            }
        }
        d.close();
        try (Stream<Path> all = Files.walk(d.data)) {
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String secret : List.of("sekrit-42", "cookie-77", "pw-url-9")) {
                    assertFalse(text.contains(secret), secret + " in " + f);
                }
            }
        }
    }

    @Test
    void eventsComeInOrderAndResumeAfterLastEventId() throws Exception {
        files.file("/e1", bytes(10_000, 5));
        String lastId;
        try (EventStream s = d.events(null)) {
            assertEquals(200, s.status);
            assertEquals("text/event-stream", s.headers.get("content-type").get(0));
            EventStream.Event hello = s.next(WAIT);
            assertEquals("hello", hello.type());
            assertEquals("v1", hello.json().path("api").asText());
            long start = hello.json().path("sequence").asLong();
            String id = add("{\"url\":\"" + files.url("/e1") + "\"}");
            List<EventStream.Event> seen = s.until(e -> e.type().equals("state")
                    && e.json().path("state").asText().equals("completed"), WAIT);
            assertEquals("added", seen.get(0).type());
            assertEquals(id, seen.get(0).json().path("id").asText());
            long expected = start + 1;
            for (EventStream.Event e : seen) {
                assertEquals(expected++, e.sequence(), "ids increase by one: " + seen);
            }
            lastId = seen.get(0).id();
            assertTrue(s.comments().isEmpty() || s.comments().get(0).equals(": keep-alive"));
        }
        // events after lastId while nobody listened are replayed, then live ones follow
        String paused = add("{\"url\":\"" + files.url("/e2") + "\",\"paused\":true}");
        try (EventStream s = d.events(lastId)) {
            EventStream.Event hello = s.next(WAIT);
            assertEquals(Long.parseLong(lastId), hello.json().path("sequence").asLong());
            List<EventStream.Event> replay = s.until(e -> e.type().equals("added")
                    && e.json().path("id").asText().equals(paused), WAIT);
            assertEquals(Long.parseLong(lastId) + 1, replay.get(0).sequence());
            http.post("/api/v1/jobs/" + paused + "/move", "{\"position\":0}");
            http.delete("/api/v1/jobs/" + paused);
            EventStream.Event next = s.next(WAIT);
            assertEquals(replay.get(replay.size() - 1).sequence() + 1, next.sequence());
            assertEquals("state", next.type());
            assertEquals("removed", next.json().path("state").asText());
            // keep-alive comments on a quiet stream
            Poll.until(() -> !s.comments().isEmpty(), WAIT, "a keep-alive comment");
            assertEquals(": keep-alive", s.comments().get(0));
        }
        // an id from another run (beyond this one's) starts afresh
        try (EventStream s = d.events("999999")) {
            assertNotEquals(999999, s.next(WAIT).json().path("sequence").asLong());
        }
        assertEquals("invalid_value", http.send("GET", "/api/v1/events", null, null,
                Map.of("Last-Event-ID", "x")).errorCode());
    }

    @Test
    void tooManyStreamsAndStreamsEndWhenTheDaemonStops() throws Exception {
        List<EventStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < EventStreams.MAX_STREAMS; i++) {
                EventStream s = d.events(null);
                open.add(s);
                assertEquals("hello", s.next(WAIT).type());
            }
            Http.Answer more = http.get("/api/v1/events");
            assertEquals(503, more.status());
            assertEquals("too_many_streams", more.errorCode());
            d.close();
            for (EventStream s : open) {
                assertTrue(s.ends(WAIT), "a stream ends when the daemon stops");
            }
        } finally {
            for (EventStream s : open) {
                s.close();
            }
        }
    }

    @Test
    void aStoppingDaemonRefusesRequests() throws Exception {
        Api api = d.daemon.api();
        api.stopping();
        Http.Answer a = http.get("/api/v1/stats");
        assertEquals(503, a.status());
        assertEquals("shutting_down", a.errorCode());
    }
}
