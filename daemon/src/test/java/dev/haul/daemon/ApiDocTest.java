package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.queue.testing.FileServer;
import dev.haul.testing.LeakCheck;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays every request of docs/api.md, in order, against a real daemon and checks that it
 * answers what the document says: the status, the headers shown, and the body (JSON compared as
 * values, where {@code "…"} matches anything; an event stream's first events). The document's
 * {@code http://files.example} is a loopback file server, {@code /home/me/Downloads} a temporary
 * directory and {@code TOKEN} the daemon's token.
 */
@ExtendWith(LeakCheck.class)
@LeakCheck.Options(threadPrefixes = {"haul", "file-server"}, fdTolerance = 6)
@Timeout(60)
class ApiDocTest {
    static final String ANY = "…";

    @TempDir
    Path tmp;

    record Example(int line, String request, String response) {
    }

    static List<Example> examples(Path doc) throws IOException {
        List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
        List<Example> out = new ArrayList<>();
        String pending = null;
        int pendingLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            String fence = lines.get(i).trim();
            if (!fence.equals("```http request") && !fence.equals("```http response")) {
                continue;
            }
            StringBuilder block = new StringBuilder();
            int start = i + 1;
            for (i = i + 1; !lines.get(i).trim().equals("```"); i++) {
                block.append(lines.get(i)).append('\n');
            }
            if (fence.endsWith("request")) {
                assertTrue(pending == null, "two requests in a row at line " + start);
                pending = block.toString();
                pendingLine = start;
            } else {
                assertTrue(pending != null, "a response without a request at line " + start);
                out.add(new Example(pendingLine, pending, block.toString()));
                pending = null;
            }
        }
        assertTrue(pending == null, "a request without a response at line " + pendingLine);
        return out;
    }

    @Test
    void everyExampleIsWhatTheDaemonAnswers() throws Exception {
        Path doc = Path.of(System.getProperty("maven.multiModuleProjectDirectory",
                ".."), "docs", "api.md");
        if (!Files.exists(doc)) {
            doc = Path.of("..", "docs", "api.md");
        }
        List<Example> examples = examples(doc);
        assertTrue(examples.size() >= 15, "found only " + examples.size() + " examples");
        try (FileServer files = FileServer.start();
             TestDaemon d = new TestDaemon(tmp, Daemon.Settings.defaults().limits(3, 0))) {
            files.file("/a.txt", "hello, haul\n".getBytes(StandardCharsets.US_ASCII));
            String filesBase = files.url("");
            Map<String, String> replace = new LinkedHashMap<>();
            replace.put("http://files.example", filesBase);
            replace.put("/home/me/Downloads", d.downloads.toString());
            for (Example e : examples) {
                check(e, d, replace);
            }
        }
    }

    static String substitute(String text, Map<String, String> replace) {
        for (Map.Entry<String, String> r : replace.entrySet()) {
            text = text.replace(r.getKey(), r.getValue());
        }
        return text;
    }

    private void check(Example e, TestDaemon d, Map<String, String> replace) throws Exception {
        String where = "docs/api.md line " + e.line() + ": ";
        String[] req = substitute(e.request(), replace).replace("Bearer TOKEN", "Bearer "
                + TestDaemon.TOKEN).split("\n\n", 2);
        String[] head = req[0].split("\n");
        String[] requestLine = head[0].split(" ");
        String method = requestLine[0];
        String path = requestLine[1];
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < head.length; i++) {
            String[] kv = head[i].split(": ", 2);
            headers.put(kv[0], kv[1]);
        }
        String body = req.length > 1 && !req[1].isBlank() ? req[1] : null;
        String[] res = substitute(e.response(), replace).split("\n\n", 2);
        String[] resHead = res[0].split("\n");
        int status = Integer.parseInt(resHead[0].split(" ")[1]);
        Map<String, String> expectedHeaders = new LinkedHashMap<>();
        for (int i = 1; i < resHead.length; i++) {
            String[] kv = resHead[i].split(": ", 2);
            expectedHeaders.put(kv[0], kv[1]);
        }
        String expectedBody = res.length > 1 ? res[1] : "";
        if ("text/event-stream".equals(expectedHeaders.get("Content-Type"))) {
            checkStream(where, d, path, status, expectedBody);
            return;
        }
        Http http = new Http(d.daemon.url(), null);
        Map<String, String> extra = new LinkedHashMap<>(headers);
        String type = extra.remove("Content-Type");
        Http.Answer a = http.send(method, path, body, type, extra);
        assertEquals(status, a.status(), where + method + " " + path + " -> " + a);
        for (Map.Entry<String, String> h : expectedHeaders.entrySet()) {
            assertEquals(h.getValue(), a.header(h.getKey()), where + h.getKey());
        }
        JsonNode expected = Json.MAPPER.readTree(expectedBody);
        match(where, "$", expected, a.json());
    }

    private void checkStream(String where, TestDaemon d, String path, int status,
            String expectedBody) throws Exception {
        try (EventStream s = new EventStream(d.daemon.url().resolve(URI.create(path)),
                TestDaemon.TOKEN, null)) {
            assertEquals(status, s.status, where);
            assertEquals("text/event-stream", s.headers.get("content-type").get(0), where);
            String retry = null;
            for (String block : expectedBody.strip().split("\n\n")) {
                Map<String, String> fields = new LinkedHashMap<>();
                for (String line : block.split("\n")) {
                    String[] kv = line.split(": ", 2);
                    fields.put(kv[0], kv[1]);
                }
                if (fields.containsKey("retry")) {
                    retry = fields.get("retry");
                    continue;
                }
                checkEvent(where, fields, s.next(Duration.ofSeconds(10)));
                if (retry != null) {
                    // the retry line came before the first event, so it has been read
                    assertEquals(retry, s.retry, where + "retry");
                    retry = null;
                }
            }
        }
    }

    private void checkEvent(String where, Map<String, String> fields, EventStream.Event got)
            throws IOException {
        assertEquals(fields.get("event"), got.type(), where);
        match(where, "$", Json.MAPPER.readTree(fields.get("data")), got.json());
    }

    static void match(String where, String at, JsonNode expected, JsonNode actual) {
        if (expected.isTextual() && expected.asText().equals(ANY)) {
            return;
        }
        if (expected.isObject()) {
            assertTrue(actual.isObject(), where + at + ": expected an object, got " + actual);
            List<String> want = new ArrayList<>();
            expected.fieldNames().forEachRemaining(want::add);
            List<String> got = new ArrayList<>();
            actual.fieldNames().forEachRemaining(got::add);
            assertEquals(want, got, where + at + ": the fields");
            for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                match(where, at + "." + f, expected.get(f), actual.get(f));
            }
        } else if (expected.isArray()) {
            assertTrue(actual.isArray(), where + at + ": expected an array, got " + actual);
            assertEquals(expected.size(), actual.size(), where + at + ": the length");
            for (int i = 0; i < expected.size(); i++) {
                match(where, at + "[" + i + "]", expected.get(i), actual.get(i));
            }
        } else if (expected.isNumber()) {
            if (!actual.isNumber() || expected.decimalValue().compareTo(actual.decimalValue())
                    != 0) {
                fail(where + at + ": expected " + expected + ", got " + actual);
            }
        } else {
            assertEquals(expected, actual, where + at);
        }
    }
}
