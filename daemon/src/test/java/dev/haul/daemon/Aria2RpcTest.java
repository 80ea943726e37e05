package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * aria2's JSON-RPC over HTTP POST, call by call: the token, aria2's error shapes, the options
 * that act (and those only reported), queue windows, multicall and batches. The real clients are
 * in {@link Aria2ClientsTest}.
 */
@ExtendWith(LeakCheck.class)
@LeakCheck.Options(threadPrefixes = {"haul", "fault-server"}, fdTolerance = 6) // as ApiTest
@Timeout(60)
class Aria2RpcTest {
    static final String TOKEN = "\"token:" + TestDaemon.TOKEN + "\"";

    @TempDir
    Path tmp;
    TestDaemon d;
    FaultServer files;
    final byte[] body = TestBodies.random(200_000, 3);

    @BeforeEach
    void start() throws Exception {
        files = FaultServer.start();
        files.handle("/f.bin", ServeBytes.of(body));
        d = new TestDaemon(tmp);
    }

    @AfterEach
    void stop() {
        d.close();
        files.close();
    }

    JsonNode rpc(String json) {
        Http.Answer a = d.anonymous().send("POST", "/jsonrpc", json, "application/json");
        assertEquals(200, a.status(), a::toString);
        return a.json();
    }

    JsonNode call(String method, String params) {
        return rpc("{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"" + method + "\",\"params\":["
                + TOKEN + (params.isEmpty() ? "" : "," + params) + "]}");
    }

    JsonNode result(String method, String params) {
        JsonNode r = call(method, params);
        assertFalse(r.has("error"), r::toString);
        assertEquals("q", r.path("id").asText());
        assertEquals("2.0", r.path("jsonrpc").asText());
        return r.path("result");
    }

    String error(JsonNode answer) {
        assertTrue(answer.has("error"), answer::toString);
        return answer.path("error").path("code").asInt() + " " + answer.path("error")
                .path("message").asText();
    }

    JsonNode waitFor(String gid, String status) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            JsonNode s = result("aria2.tellStatus", "\"" + gid + "\"");
            if (s.path("status").asText().equals(status) || System.nanoTime() > until) {
                assertEquals(status, s.path("status").asText(), s::toString);
                return s;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void theTokenIsRequiredAndCheckedAsAria2Does() {
        assertEquals("1 Unauthorized", error(rpc("{\"jsonrpc\":\"2.0\",\"id\":1,"
                + "\"method\":\"aria2.getGlobalStat\",\"params\":[]}")));
        assertEquals("1 Unauthorized", error(rpc("{\"jsonrpc\":\"2.0\",\"id\":1,"
                + "\"method\":\"aria2.getGlobalStat\",\"params\":[\"token:nope\"]}")));
        assertEquals("1 Unauthorized", error(rpc("{\"jsonrpc\":\"2.0\",\"id\":1,"
                + "\"method\":\"aria2.addUri\",\"params\":[[\"" + files.url("/f.bin") + "\"]]}")));
        assertEquals(0, files.requests().size(), "nothing was added");
        // listMethods needs no token, as in aria2
        assertTrue(rpc("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.listMethods\"}")
                .path("result").toString().contains("aria2.addUri"));
    }

    @Test
    void malformedMessagesGetJsonRpcErrorsNotStackTraces() {
        assertEquals("-32700 Parse error.", error(rpc("{not json")));
        assertEquals("-32600 Invalid Request.", error(rpc("[]")));
        assertEquals("-32600 Invalid Request.", error(rpc("{\"id\":1}")));
        assertEquals("-32602 Invalid params.", error(rpc("{\"jsonrpc\":\"2.0\",\"id\":1,"
                + "\"method\":\"aria2.tellActive\",\"params\":{}}")));
        assertTrue(error(call("aria2.noSuchThing", "")).startsWith("1 No such method"));
        assertTrue(error(call("aria2.tellStatus", "\"xyz\"")).startsWith("1 Bad GID"));
        assertTrue(error(call("aria2.tellStatus", "\"00000000000000ff\"")).contains("not found"));
        assertTrue(error(call("aria2.addTorrent", "\"AAAA\"")).contains("not supported"));
        assertTrue(error(call("aria2.addMetalink", "\"AAAA\"")).contains("not supported"));
        assertTrue(error(call("aria2.addUri", "[]")).contains("array of URIs"));
        assertTrue(error(call("aria2.addUri", "[\"ftp://x/y\"]")).startsWith("1 "));
        assertTrue(error(call("aria2.addUri", "[\"" + files.url("/f.bin")
                + "\"],{\"checksum\":\"md5=abc\"}")).contains("sha-256"));
        assertTrue(error(call("aria2.addUri", "[\"" + files.url("/f.bin")
                + "\"],{\"split\":\"lots\"}")).contains("split"));
        Http.Answer get = d.anonymous().get("/jsonrpc");
        assertEquals(405, get.status(), get::toString);
        assertEquals(0, files.requests().size(), "no refused call added anything");
    }

    @Test
    void addUriMapsAria2sOptionsAndKeepsTheOthersReported() throws Exception {
        String sha = TestBodies.sha256Hex(body);
        String gid = result("aria2.addUri", "[\"" + files.url("/f.bin") + "\",\""
                + files.url("/mirror.bin") + "\"],{\"dir\":\"sub\",\"out\":\"named.bin\","
                + "\"split\":\"3\",\"max-download-limit\":\"1M\",\"header\":[\"X-A: 1\"],"
                + "\"user-agent\":\"agent/1\",\"checksum\":\"sha-256=" + sha + "\","
                + "\"seed-time\":\"0\"}").asText();
        assertTrue(gid.matches("[0-9a-f]{16}"), gid);
        JsonNode done = waitFor(gid, "complete");
        assertEquals(Integer.toString(body.length), done.path("completedLength").asText());
        Path file = d.downloads.resolve("sub").resolve("named.bin");
        assertArrayEquals(body, Files.readAllBytes(file));
        RecordedRequest r = files.lastRequest("/f.bin");
        assertEquals("1", r.header("X-A"));
        assertEquals("agent/1", r.header("User-Agent"));
        JsonNode options = result("aria2.getOption", "\"" + gid + "\"");
        assertEquals("named.bin", options.path("out").asText());
        assertEquals("3", options.path("split").asText());
        assertEquals(Long.toString(1024 * 1024), options.path("max-download-limit").asText());
        assertEquals("sha-256=" + sha, options.path("checksum").asText());
        assertEquals("0", options.path("seed-time").asText(), "reported, not acting");
        JsonNode uris = result("aria2.getUris", "\"" + gid + "\"");
        assertEquals(2, uris.size());
        JsonNode filesOf = result("aria2.getFiles", "\"" + gid + "\"");
        assertEquals(file.toString(), filesOf.get(0).path("path").asText());
        assertTrue(error(call("aria2.changeOption", "\"" + gid + "\",{\"max-download-limit\":"
                + "\"2M\"}")).contains("it is completed"));
        assertTrue(error(call("aria2.changeOption", "\"" + gid + "\",{\"dir\":\"x\"}"))
                .contains("cannot change dir"));
        assertEquals("OK", result("aria2.changeOption", "\"" + gid + "\",{\"seed-ratio\":\"1\"}")
                .asText());
    }

    @Test
    void changeUriAndChangeOptionChangeWhatAWaitingDownloadFetches() throws Exception {
        String gone = files.url("/gone.bin"); // 404
        String gid = result("aria2.addUri", "[\"" + gone + "\"],{\"pause\":\"true\"}")
                .asText();
        JsonNode changed = result("aria2.changeUri", "\"" + gid + "\",1,[\"" + gone + "\"],[\""
                + files.url("/f.bin") + "\",\"" + files.url("/m.bin") + "\"]");
        assertEquals("[1,2]", changed.toString(), "deleted 1, added 2, as numbers");
        JsonNode uris = result("aria2.getUris", "\"" + gid + "\"");
        assertEquals(files.url("/f.bin"), uris.get(0).path("uri").asText());
        assertEquals(files.url("/m.bin"), uris.get(1).path("uri").asText());
        // position 0 puts the added URI first: it becomes the URL
        assertEquals("[0,1]", result("aria2.changeUri", "\"" + gid + "\",1,[],[\""
                + files.url("/f.bin") + "\"],0").toString());
        assertEquals("[2,0]", result("aria2.changeUri", "\"" + gid + "\",1,[\""
                + files.url("/f.bin") + "\",\"" + files.url("/m.bin") + "\"],[]").toString());
        assertEquals(1, result("aria2.getUris", "\"" + gid + "\"").size());
        assertTrue(error(call("aria2.changeUri", "\"" + gid + "\",2,[],[]"))
                .contains("fileIndex"));
        assertTrue(error(call("aria2.changeUri", "\"" + gid + "\",1,[\"" + files.url("/f.bin")
                + "\"],[]")).contains("without a URI"));
        assertEquals("OK", result("aria2.changeOption", "\"" + gid + "\",{\"split\":\"2\","
                + "\"max-download-limit\":\"10M\",\"header\":[\"X-B: 2\"]}").asText());
        JsonNode options = result("aria2.getOption", "\"" + gid + "\"");
        assertEquals("2", options.path("split").asText());
        assertEquals(Long.toString(10L * 1024 * 1024), options.path("max-download-limit")
                .asText());
        assertEquals(gid, result("aria2.unpause", "\"" + gid + "\"").asText());
        waitFor(gid, "complete");
        assertArrayEquals(body, Files.readAllBytes(d.downloads.resolve("gone.bin")),
                "the file chosen when it was added, with the bytes of the new URL");
        assertEquals("2", files.lastRequest("/f.bin").header("X-B"));
        assertEquals(0, files.requests("/m.bin").size(), "the removed mirror was never asked");
    }

    @Test
    void queueWindowsPositionsAndResultsFollowAria2() throws Exception {
        String[] gids = new String[3];
        for (int i = 0; i < 3; i++) {
            gids[i] = result("aria2.addUri", "[\"" + files.url("/f.bin") + "\"],{\"out\":\"w" + i
                    + ".bin\",\"pause\":\"true\"}").asText();
        }
        JsonNode waiting = result("aria2.tellWaiting", "0,10,[\"gid\",\"status\"]");
        assertEquals(3, waiting.size(), waiting::toString);
        assertEquals("paused", waiting.get(0).path("status").asText());
        assertEquals(2, waiting.get(0).size(), "only the keys asked for");
        JsonNode lastTwo = result("aria2.tellWaiting", "-1,2,[\"gid\"]");
        assertEquals(gids[2], lastTwo.get(0).path("gid").asText(), "a negative offset counts"
                + " from the end, backwards");
        assertEquals(gids[1], lastTwo.get(1).path("gid").asText());
        assertEquals(0, result("aria2.changePosition", "\"" + gids[2] + "\",0,\"POS_SET\"")
                .asInt());
        assertEquals(gids[2], result("aria2.tellWaiting", "0,1,[\"gid\"]").get(0).path("gid")
                .asText());
        assertEquals(1, result("aria2.changePosition", "\"" + gids[2] + "\",1,\"POS_CUR\"")
                .asInt());
        assertEquals(2, result("aria2.changePosition", "\"" + gids[2] + "\",0,\"POS_END\"")
                .asInt());
        assertEquals(1, result("aria2.changePosition", "\"" + gids[2] + "\",-1,\"POS_END\"")
                .asInt(), "one before the end");
        assertEquals("OK", result("aria2.unpauseAll", "").asText());
        for (String g : gids) {
            waitFor(g, "complete");
        }
        JsonNode stat = result("aria2.getGlobalStat", "");
        assertEquals("3", stat.path("numStopped").asText(), stat::toString);
        assertEquals("OK", result("aria2.removeDownloadResult", "\"" + gids[0] + "\"").asText());
        assertEquals(2, result("aria2.tellStopped", "0,10").size());
        assertEquals("OK", result("aria2.purgeDownloadResult", "").asText());
        assertEquals(0, result("aria2.tellStopped", "0,10").size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(body, Files.readAllBytes(d.downloads.resolve("w" + i + ".bin")),
                    "purging results never touches files");
        }
    }

    @Test
    void multicallBatchesAndGlobalOptions() {
        // system.multicall takes no token of its own: each call carries one
        JsonNode multi = rpc("{\"jsonrpc\":\"2.0\",\"id\":\"m\",\"method\":\"system.multicall\","
                + "\"params\":[[{\"methodName\":\"aria2.getGlobalStat\",\"params\":[" + TOKEN
                + "]},{\"methodName\":\"aria2.getVersion\",\"params\":[\"token:wrong\"]}]]}")
                .path("result");
        assertEquals(2, multi.size());
        assertTrue(multi.get(0).isArray() && multi.get(0).get(0).has("numActive"));
        assertEquals("Unauthorized", multi.get(1).path("message").asText());
        JsonNode batch = rpc("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aria2.getVersion\","
                + "\"params\":[" + TOKEN + "]},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
                + "\"aria2.nope\",\"params\":[" + TOKEN + "]}]");
        assertEquals(2, batch.size());
        assertEquals(Aria2Rpc.ARIA2_VERSION, batch.get(0).path("result").path("version").asText());
        assertTrue(batch.get(1).has("error"));
        assertEquals("OK", result("aria2.changeGlobalOption", "{\"max-concurrent-downloads\":\"3\","
                + "\"max-overall-download-limit\":\"500K\"}").asText());
        JsonNode global = result("aria2.getGlobalOption", "");
        assertEquals("3", global.path("max-concurrent-downloads").asText());
        assertEquals(Long.toString(500 * 1024), global.path("max-overall-download-limit").asText());
        assertTrue(error(call("aria2.changeGlobalOption", "{\"max-concurrent-downloads\":\"0\"}"))
                .contains("max-concurrent-downloads"));
        assertEquals("OK", result("aria2.saveSession", "").asText());
    }

    @Test
    void shutdownAsksWhoeverRunsTheDaemonToStopIt() throws Exception {
        assertFalse(d.daemon.shutdownRequested().isDone());
        assertEquals("OK", result("aria2.shutdown", "").asText());
        d.daemon.shutdownRequested().get(5, java.util.concurrent.TimeUnit.SECONDS);
    }
}
