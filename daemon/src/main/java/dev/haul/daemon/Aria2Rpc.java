package dev.haul.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.haul.queue.DownloadQueue;
import dev.haul.queue.Job;
import dev.haul.queue.JobEvent;
import dev.haul.queue.JobFilter;
import dev.haul.queue.JobPage;
import dev.haul.queue.JobRequest;
import dev.haul.queue.JobState;
import dev.haul.queue.QueueException;
import dev.haul.queue.QueueStats;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * aria2's JSON-RPC interface over the queue, so that the tools written for aria2 (AriaNg,
 * webui-aria2, aria2p, the {@code aria2} and {@code maria2} npm clients, browser extensions)
 * drive Haul unchanged. One call in, one answer out; {@link #notification} turns queue events
 * into aria2's WebSocket notifications. The transports (HTTP POST and WebSocket at
 * {@code /jsonrpc}) are {@link Api} and {@link Aria2Socket}.
 *
 * <p>aria2's conventions are kept: the first parameter is {@code "token:SECRET"} (the daemon's
 * token; required), numbers are strings, a download is named by a GID of 16 hex digits (here the
 * job's id), {@code system.multicall} runs several calls, errors are
 * {@code {"code": 1, "message": ...}} as aria2 sends them. The mapping of methods and options,
 * and which options act, is in docs/api.md ("aria2 JSON-RPC").
 */
final class Aria2Rpc {
    /** What {@code getVersion} reports: the aria2 release whose interface this follows. */
    static final String ARIA2_VERSION = "1.37.0";

    static final List<String> METHODS = List.of("aria2.addUri", "aria2.addTorrent",
            "aria2.addMetalink", "aria2.remove", "aria2.forceRemove", "aria2.pause",
            "aria2.pauseAll", "aria2.forcePause", "aria2.forcePauseAll", "aria2.unpause",
            "aria2.unpauseAll", "aria2.tellStatus", "aria2.getUris", "aria2.getFiles",
            "aria2.getPeers", "aria2.getServers", "aria2.tellActive", "aria2.tellWaiting",
            "aria2.tellStopped", "aria2.changePosition", "aria2.changeUri", "aria2.getOption",
            "aria2.changeOption", "aria2.getGlobalOption", "aria2.changeGlobalOption",
            "aria2.getGlobalStat", "aria2.purgeDownloadResult", "aria2.removeDownloadResult",
            "aria2.getVersion", "aria2.getSessionInfo", "aria2.shutdown", "aria2.forceShutdown",
            "aria2.saveSession", "system.multicall", "system.listMethods",
            "system.listNotifications");

    static final List<String> NOTIFICATIONS = List.of("aria2.onDownloadStart",
            "aria2.onDownloadPause", "aria2.onDownloadStop", "aria2.onDownloadComplete",
            "aria2.onDownloadError", "aria2.onBtDownloadComplete");

    /** Options of addUri that act here; every other aria2 option is accepted and reported. */
    static final Set<String> ACTING_OPTIONS = Set.of("dir", "out", "split",
            "max-connection-per-server", "max-download-limit", "header", "checksum", "pause",
            "user-agent", "referer");
    /** Options that act but cannot change once a download is added. */
    static final Set<String> FIXED_OPTIONS = Set.of("dir", "out", "pause");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int PAGE = JobFilter.MAX_LIMIT;

    private final DownloadQueue queue;
    private final byte[] token;
    private final Path downloads;
    private final Runnable shutdown;
    /** Stopped downloads whose results a caller purged: aria2 forgets them, so tellStopped does. */
    private final Set<Long> purged = ConcurrentHashMap.newKeySet();
    /** Per-download options accepted but not acting, reported back by getOption. */
    private final Map<Long, ObjectNode> otherOptions = new ConcurrentHashMap<>();
    private final String sessionId;

    Aria2Rpc(DownloadQueue queue, String token, Path downloads, Runnable shutdown) {
        this.queue = queue;
        this.token = ("token:" + token).getBytes(StandardCharsets.UTF_8);
        this.downloads = downloads;
        this.shutdown = shutdown;
        this.sessionId = HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(8)
                .putLong(System.nanoTime() ^ ProcessHandle.current().pid()).array());
    }

    /** A JSON-RPC error, as aria2 answers it. */
    static final class RpcError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;

        RpcError(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        /** aria2 answers almost every failure with code 1. */
        static RpcError of(String message) {
            return new RpcError(1, message);
        }
    }

    // ---------------------------------------------------------------- calls

    /**
     * Answers one JSON-RPC message: a call, or a batch (an array of calls). Returns null for a
     * batch of notifications only (nothing to answer).
     */
    JsonNode handle(JsonNode message) {
        if (message == null) {
            return error(NODES.nullNode(), -32700, "Parse error.");
        }
        if (message.isArray()) {
            if (message.isEmpty()) {
                return error(NODES.nullNode(), -32600, "Invalid Request.");
            }
            ArrayNode out = NODES.arrayNode();
            for (JsonNode call : message) {
                out.add(call(call));
            }
            return out;
        }
        return call(message);
    }

    private ObjectNode call(JsonNode call) {
        JsonNode id = call.isObject() && call.has("id") ? call.get("id") : NODES.nullNode();
        if (!call.isObject() || !call.path("method").isTextual()) {
            return error(id, -32600, "Invalid Request.");
        }
        JsonNode params = call.get("params");
        if (params != null && !params.isArray()) {
            return error(id, -32602, "Invalid params.");
        }
        try {
            JsonNode result = invoke(call.get("method").asText(),
                    params == null ? NODES.arrayNode() : (ArrayNode) params);
            ObjectNode out = NODES.objectNode();
            out.set("id", id);
            out.put("jsonrpc", "2.0");
            out.set("result", result);
            return out;
        } catch (RpcError e) {
            return error(id, e.code, e.getMessage());
        } catch (QueueException e) {
            return error(id, 1, e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(id, 1, String.valueOf(e.getMessage()));
        }
    }

    static ObjectNode error(JsonNode id, int code, String message) {
        ObjectNode out = NODES.objectNode();
        out.set("id", id);
        out.put("jsonrpc", "2.0");
        ObjectNode e = out.putObject("error");
        e.put("code", code);
        e.put("message", message);
        return out;
    }

    private JsonNode invoke(String method, ArrayNode params) {
        switch (method) {
            case "system.listMethods" -> {
                return strings(METHODS);
            }
            case "system.listNotifications" -> {
                return strings(NOTIFICATIONS);
            }
            case "system.multicall" -> {
                return multicall(params);
            }
            default -> {
                // every other method wants the token first
            }
        }
        if (!METHODS.contains(method)) {
            throw new RpcError(1, "No such method: " + method);
        }
        List<JsonNode> p = authorized(params);
        return switch (method) {
            case "aria2.addUri" -> addUri(p);
            case "aria2.addTorrent", "aria2.addMetalink" -> throw RpcError.of(method.substring(6)
                    + " is not supported: Haul downloads over HTTP(S) only (no BitTorrent, no"
                    + " Metalink)");
            case "aria2.remove", "aria2.forceRemove" -> gid(queue.remove(id(p, 0), false));
            case "aria2.pause", "aria2.forcePause" -> gid(queue.pause(id(p, 0)));
            case "aria2.unpause" -> gid(queue.resume(id(p, 0)));
            case "aria2.pauseAll", "aria2.forcePauseAll" -> all(true);
            case "aria2.unpauseAll" -> all(false);
            case "aria2.tellStatus" -> status(job(id(p, 0)), keys(p, 1));
            case "aria2.getUris" -> uris(job(id(p, 0)));
            case "aria2.getFiles" -> files(job(id(p, 0)));
            case "aria2.getPeers" -> {
                job(id(p, 0));
                yield NODES.arrayNode();
            }
            case "aria2.getServers" -> servers(job(id(p, 0)));
            case "aria2.tellActive" -> list(jobs(EnumSet.of(JobState.ACTIVE)), keys(p, 0));
            case "aria2.tellWaiting" -> list(window(jobs(EnumSet.of(JobState.QUEUED,
                    JobState.PAUSED)), p), keys(p, 2));
            case "aria2.tellStopped" -> list(window(stopped(), p), keys(p, 2));
            case "aria2.changePosition" -> changePosition(p);
            case "aria2.changeUri" -> changeUri(p);
            case "aria2.getOption" -> options(job(id(p, 0)));
            case "aria2.changeOption" -> {
                job(id(p, 0));
                yield changeOption(id(p, 0), object(p, 1));
            }
            case "aria2.getGlobalOption" -> globalOptions();
            case "aria2.changeGlobalOption" -> changeGlobalOption(object(p, 0));
            case "aria2.getGlobalStat" -> globalStat();
            case "aria2.purgeDownloadResult" -> {
                for (Job j : stopped()) {
                    purged.add(j.id());
                }
                yield NODES.textNode("OK");
            }
            case "aria2.removeDownloadResult" -> {
                Job j = job(id(p, 0));
                if (!stoppedState(j.state())) {
                    throw RpcError.of("Could not remove download result of GID#" + gid(j.id())
                            + ": it has not stopped");
                }
                purged.add(j.id());
                yield NODES.textNode("OK");
            }
            case "aria2.getVersion" -> version();
            case "aria2.getSessionInfo" -> {
                ObjectNode o = NODES.objectNode();
                o.put("sessionId", sessionId);
                yield o;
            }
            case "aria2.saveSession" -> NODES.textNode("OK"); // every change is on disk already
            case "aria2.shutdown", "aria2.forceShutdown" -> {
                shutdown.run();
                yield NODES.textNode("OK");
            }
            default -> throw new RpcError(1, "No such method: " + method);
        };
    }

    /** The parameters after a valid token; aria2 answers a missing or wrong one "Unauthorized". */
    private List<JsonNode> authorized(ArrayNode params) {
        if (params.isEmpty() || !params.get(0).isTextual()
                || !MessageDigest.isEqual(token,
                        params.get(0).asText().getBytes(StandardCharsets.UTF_8))) {
            throw RpcError.of("Unauthorized");
        }
        List<JsonNode> rest = new ArrayList<>();
        for (int i = 1; i < params.size(); i++) {
            rest.add(params.get(i));
        }
        return rest;
    }

    private ArrayNode multicall(ArrayNode params) {
        if (params.size() != 1 || !params.get(0).isArray()) {
            throw new RpcError(-32602, "Invalid params.");
        }
        ArrayNode out = NODES.arrayNode();
        for (JsonNode c : params.get(0)) {
            if (!c.isObject() || !c.path("methodName").isTextual()
                    || c.path("methodName").asText().equals("system.multicall")) {
                out.add(fault(1, "Invalid call in system.multicall"));
                continue;
            }
            JsonNode ps = c.get("params");
            if (ps != null && !ps.isArray()) {
                out.add(fault(1, "Invalid params in system.multicall"));
                continue;
            }
            try {
                out.add(NODES.arrayNode().add(invoke(c.get("methodName").asText(),
                        ps == null ? NODES.arrayNode() : (ArrayNode) ps)));
            } catch (RpcError e) {
                out.add(fault(e.code, e.getMessage()));
            } catch (QueueException | IllegalArgumentException e) {
                out.add(fault(1, String.valueOf(e.getMessage())));
            }
        }
        return out;
    }

    private static ObjectNode fault(int code, String message) {
        ObjectNode o = NODES.objectNode();
        o.put("code", code);
        o.put("message", message);
        return o;
    }

    // ---------------------------------------------------------------- adding

    /**
     * The options that act, other than {@code dir}, {@code out} and {@code pause}: what
     * {@code addUri} and {@code changeOption} both apply.
     */
    private static void applyOptions(JobRequest.Builder b, ObjectNode options) {
        String connections = text(options, "split");
        String perServer = text(options, "max-connection-per-server");
        int n = Math.max(number(connections, "split", 1), number(perServer,
                "max-connection-per-server", 1));
        if (connections != null || perServer != null) {
            b.connections(n);
        }
        String limit = text(options, "max-download-limit");
        if (limit != null) {
            b.maxBytesPerSecond(size(limit, "max-download-limit"));
        }
        for (String h : headers(options.get("header"))) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw RpcError.of("header: wants 'Name: value', got '" + h + "'");
            }
            b.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        String ua = text(options, "user-agent");
        if (ua != null) {
            b.header("User-Agent", ua);
        }
        String referer = text(options, "referer");
        if (referer != null && !referer.equals("*")) {
            b.header("Referer", referer);
        }
        String checksum = text(options, "checksum");
        if (checksum != null) {
            int eq = checksum.indexOf('=');
            String type = eq < 0 ? "" : checksum.substring(0, eq).toLowerCase(Locale.ROOT);
            if (!type.equals("sha-256") && !type.equals("sha256")) {
                throw RpcError.of("checksum: only sha-256=HEX is supported, got '" + checksum
                        + "'");
            }
            b.expectedSha256(checksum.substring(eq + 1));
        }
    }

    private JsonNode addUri(List<JsonNode> p) {
        if (p.isEmpty() || !p.get(0).isArray() || p.get(0).isEmpty()) {
            throw RpcError.of("addUri wants an array of URIs");
        }
        List<String> uris = new ArrayList<>();
        for (JsonNode u : p.get(0)) {
            if (!u.isTextual()) {
                throw RpcError.of("addUri wants an array of URIs");
            }
            uris.add(u.asText().trim());
        }
        ObjectNode options = p.size() > 1 && p.get(1).isObject() ? (ObjectNode) p.get(1)
                : NODES.objectNode();
        if (p.size() > 1 && !p.get(1).isObject()) {
            throw RpcError.of("the options of addUri must be an object");
        }
        Path dir = downloads;
        String dirText = text(options, "dir");
        if (dirText != null) {
            try {
                dir = downloads.resolve(Path.of(dirText)).normalize();
            } catch (InvalidPathException e) {
                throw RpcError.of("dir: not a path: " + e.getMessage());
            }
        }
        JobRequest.Builder b = JobRequest.builder(uris.get(0), dir);
        for (String mirror : uris.subList(1, uris.size())) {
            b.mirror(URI.create(mirror));
        }
        String out = text(options, "out");
        if (out != null) {
            b.fileName(out);
        }
        applyOptions(b, options);
        b.paused("true".equals(text(options, "pause")));
        Job job = queue.add(b.build());
        ObjectNode others = NODES.objectNode();
        options.properties().forEach(e -> {
            if (!ACTING_OPTIONS.contains(e.getKey())) {
                others.set(e.getKey(), e.getValue().isTextual() ? e.getValue()
                        : NODES.textNode(e.getValue().toString()));
            }
        });
        if (!others.isEmpty()) {
            otherOptions.put(job.id(), others);
        }
        if (p.size() > 2 && p.get(2).canConvertToLong()) {
            job = queue.move(job.id(), Math.max(0, p.get(2).asLong()));
        }
        return NODES.textNode(gid(job.id()));
    }

    private static List<String> headers(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            for (JsonNode h : node) {
                out.add(h.asText());
            }
        } else {
            throw RpcError.of("header: wants a string or an array of strings");
        }
        return out;
    }

    // ---------------------------------------------------------------- reading

    private Job job(long id) {
        return queue.get(id).filter(j -> !purged.contains(j.id()))
                .orElseThrow(() -> RpcError.of("GID " + gid(id) + " is not found"));
    }

    private List<Job> jobs(Set<JobState> states) {
        List<Job> out = new ArrayList<>();
        for (long offset = 0; ; offset += PAGE) {
            JobPage page = queue.list(JobFilter.all().states(states).page(offset, PAGE));
            out.addAll(page.jobs());
            if (page.jobs().size() < PAGE) {
                return out;
            }
        }
    }

    private List<Job> stopped() {
        List<Job> out = new ArrayList<>();
        for (Job j : jobs(EnumSet.of(JobState.COMPLETED, JobState.FAILED, JobState.REMOVED))) {
            if (!purged.contains(j.id())) {
                out.add(j);
            }
        }
        return out;
    }

    /** aria2's (offset, num): a negative offset counts from the end, and then goes backwards. */
    private static List<Job> window(List<Job> all, List<JsonNode> p) {
        if (p.size() < 2 || !p.get(0).canConvertToLong() || !p.get(1).canConvertToLong()) {
            throw RpcError.of("wants offset and num");
        }
        long offset = p.get(0).asLong();
        long num = Math.max(0, p.get(1).asLong());
        List<Job> out = new ArrayList<>();
        if (offset >= 0) {
            for (long i = offset; i < all.size() && out.size() < num; i++) {
                out.add(all.get((int) i));
            }
        } else {
            for (long i = all.size() + offset; i >= 0 && out.size() < num; i--) {
                if (i < all.size()) {
                    out.add(all.get((int) i));
                }
            }
        }
        return out;
    }

    private static boolean stoppedState(JobState s) {
        return s == JobState.COMPLETED || s == JobState.FAILED || s == JobState.REMOVED;
    }

    static String gid(long id) {
        return String.format(Locale.ROOT, "%016x", id);
    }

    private static JsonNode gid(Job job) {
        return NODES.textNode(gid(job.id()));
    }

    private static long id(List<JsonNode> p, int index) {
        if (p.size() <= index || !p.get(index).isTextual()) {
            throw RpcError.of("wants a GID");
        }
        String g = p.get(index).asText();
        if (!g.matches("[0-9a-fA-F]{16}")) {
            throw RpcError.of("Bad GID " + g);
        }
        long id = Long.parseUnsignedLong(g, 16);
        if (id <= 0) {
            throw RpcError.of("GID " + g + " is not found");
        }
        return id;
    }

    private static Set<String> keys(List<JsonNode> p, int index) {
        if (p.size() <= index || !p.get(index).isArray()) {
            return Set.of();
        }
        Set<String> keys = new java.util.HashSet<>();
        p.get(index).forEach(k -> keys.add(k.asText()));
        return keys;
    }

    private static ObjectNode object(List<JsonNode> p, int index) {
        if (p.size() <= index || !p.get(index).isObject()) {
            throw RpcError.of("wants an object of options");
        }
        return (ObjectNode) p.get(index);
    }

    private static String status(JobState s) {
        return switch (s) {
            case QUEUED -> "waiting";
            case ACTIVE -> "active";
            case PAUSED -> "paused";
            case COMPLETED -> "complete";
            case FAILED -> "error";
            case REMOVED -> "removed";
        };
    }

    ObjectNode status(Job j, Set<String> keys) {
        ObjectNode o = NODES.objectNode();
        o.put("gid", gid(j.id()));
        o.put("status", status(j.state()));
        long total = Math.max(0, j.totalBytes());
        o.put("totalLength", Long.toString(j.state() == JobState.COMPLETED
                ? Math.max(total, j.bytesDone()) : total));
        o.put("completedLength", Long.toString(j.bytesDone()));
        o.put("uploadLength", "0");
        o.put("downloadSpeed", Long.toString(Math.round(j.bytesPerSecond())));
        o.put("uploadSpeed", "0");
        o.put("connections", j.state() == JobState.ACTIVE ? "1" : "0");
        o.put("numPieces", "1");
        o.put("pieceLength", Long.toString(Math.max(total, 1)));
        o.put("dir", j.request().directory().toString());
        o.set("files", files(j));
        j.failure().ifPresent(f -> {
            o.put("errorCode", "1");
            o.put("errorMessage", f.code() + ": " + f.message());
        });
        if (j.state() == JobState.COMPLETED) {
            o.put("errorCode", "0");
        }
        if (keys.isEmpty()) {
            return o;
        }
        o.retain(keys);
        return o;
    }

    private ArrayNode list(List<Job> jobs, Set<String> keys) {
        ArrayNode out = NODES.arrayNode();
        for (Job j : jobs) {
            out.add(status(j, keys));
        }
        return out;
    }

    private static ArrayNode uris(Job j) {
        ArrayNode out = NODES.arrayNode();
        out.add(uri(j.request().uri().toString(), j.state() == JobState.ACTIVE ? "used"
                : "waiting"));
        for (URI m : j.request().mirrors()) {
            out.add(uri(m.toString(), "waiting"));
        }
        return out;
    }

    private static ObjectNode uri(String uri, String status) {
        ObjectNode o = NODES.objectNode();
        o.put("uri", uri);
        o.put("status", status);
        return o;
    }

    private static ArrayNode files(Job j) {
        ObjectNode f = NODES.objectNode();
        f.put("index", "1");
        f.put("path", j.file().toString());
        f.put("length", Long.toString(Math.max(0, j.state() == JobState.COMPLETED
                ? Math.max(j.totalBytes(), j.bytesDone()) : j.totalBytes())));
        f.put("completedLength", Long.toString(j.bytesDone()));
        f.put("selected", "true");
        f.set("uris", uris(j));
        return NODES.arrayNode().add(f);
    }

    private static ArrayNode servers(Job j) {
        ArrayNode out = NODES.arrayNode();
        if (j.state() != JobState.ACTIVE) {
            return out;
        }
        ObjectNode server = NODES.objectNode();
        server.put("uri", j.request().uri().toString());
        server.put("currentUri", j.request().uri().toString());
        server.put("downloadSpeed", Long.toString(Math.round(j.bytesPerSecond())));
        ObjectNode file = NODES.objectNode();
        file.put("index", "1");
        file.set("servers", NODES.arrayNode().add(server));
        return out.add(file);
    }

    // ---------------------------------------------------------------- changing

    private JsonNode all(boolean pause) {
        for (Job j : jobs(pause ? EnumSet.of(JobState.QUEUED, JobState.ACTIVE)
                : EnumSet.of(JobState.PAUSED))) {
            try {
                if (pause) {
                    queue.pause(j.id());
                } else {
                    queue.resume(j.id());
                }
            } catch (QueueException e) {
                // it finished meanwhile: nothing to pause or resume
            }
        }
        return NODES.textNode("OK");
    }

    private JsonNode changePosition(List<JsonNode> p) {
        long id = id(p, 0);
        if (p.size() < 3 || !p.get(1).canConvertToLong() || !p.get(2).isTextual()) {
            throw RpcError.of("changePosition wants a GID, a position and POS_SET, POS_CUR or"
                    + " POS_END");
        }
        long pos = p.get(1).asLong();
        Job j = job(id);
        if (j.state() != JobState.QUEUED && j.state() != JobState.PAUSED) {
            throw RpcError.of("GID#" + gid(id) + " not found in the waiting queue.");
        }
        Job moved = switch (p.get(2).asText()) {
            case "POS_SET" -> queue.move(id, Math.max(0, pos));
            case "POS_CUR" -> queue.moveBy(id, pos);
            case "POS_END" -> queue.move(id, Math.max(0, jobs(EnumSet.of(JobState.QUEUED,
                    JobState.ACTIVE, JobState.PAUSED)).size() - 1 + Math.min(0, pos)));
            default -> throw RpcError.of("how must be POS_SET, POS_CUR or POS_END");
        };
        List<Job> waiting = jobs(EnumSet.of(JobState.QUEUED, JobState.PAUSED));
        for (int i = 0; i < waiting.size(); i++) {
            if (waiting.get(i).id() == moved.id()) {
                return NODES.numberNode(i);
            }
        }
        return NODES.numberNode(0);
    }

    private ObjectNode options(Job j) {
        ObjectNode o = NODES.objectNode();
        JobRequest r = j.request();
        o.put("dir", r.directory().toString());
        o.put("out", String.valueOf(j.file().getFileName()));
        int n = r.connections() > 0 ? r.connections() : 1;
        o.put("split", Integer.toString(n));
        o.put("max-connection-per-server", Integer.toString(n));
        o.put("max-download-limit", Long.toString(r.maxBytesPerSecond()));
        if (r.expectedSha256() != null) {
            o.put("checksum", "sha-256=" + r.expectedSha256());
        }
        ObjectNode others = otherOptions.get(j.id());
        if (others != null) {
            o.setAll(others);
        }
        return o;
    }

    /**
     * {@code changeUri(gid, fileIndex, delUris, addUris[, position])}: the download's URIs are
     * its URL and then its mirrors; each of {@code delUris} removes one occurrence, then
     * {@code addUris} go in at {@code position} (the end without one). The first URI left is the
     * URL. Answers {@code [deleted, added]}.
     */
    private JsonNode changeUri(List<JsonNode> p) {
        if (p.size() < 4 || !p.get(2).isArray() || !p.get(3).isArray()) {
            throw RpcError.of("changeUri wants gid, fileIndex, delUris, addUris[, position]");
        }
        long id = id(p, 0);
        if (p.get(1).asInt() != 1) {
            throw RpcError.of("fileIndex is out of range: a download has one file, index 1");
        }
        Job j = job(id);
        List<URI> uris = new ArrayList<>();
        uris.add(j.request().uri());
        uris.addAll(j.request().mirrors());
        int deleted = 0;
        for (JsonNode d : p.get(2)) {
            if (uris.remove(uri(d))) {
                deleted++;
            }
        }
        List<URI> added = new ArrayList<>();
        for (JsonNode a : p.get(3)) {
            added.add(uri(a));
        }
        int at = p.size() > 4 && p.get(4).canConvertToInt()
                ? Math.max(0, Math.min(p.get(4).asInt(), uris.size())) : uris.size();
        uris.addAll(at, added);
        if (uris.isEmpty()) {
            throw RpcError.of("changeUri would leave GID#" + gid(id) + " without a URI");
        }
        JobRequest.Builder b = j.request().newBuilder().uri(uris.get(0)).clearMirrors();
        uris.subList(1, uris.size()).forEach(b::mirror);
        if (deleted > 0 || !added.isEmpty()) {
            queue.update(id, b.build());
        }
        ArrayNode answer = NODES.arrayNode();
        answer.add(deleted);
        answer.add(added.size());
        return answer;
    }

    private static URI uri(JsonNode n) {
        if (!n.isTextual()) {
            throw RpcError.of("a URI must be a string");
        }
        try {
            return new URI(n.asText().trim());
        } catch (java.net.URISyntaxException e) {
            throw RpcError.of("not a URI: " + e.getMessage());
        }
    }

    private JsonNode changeOption(long id, ObjectNode options) {
        List<String> fixed = new ArrayList<>();
        boolean acting = false;
        for (String name : (Iterable<String>) options::fieldNames) {
            if (FIXED_OPTIONS.contains(name)) {
                fixed.add(name);
            }
            acting |= ACTING_OPTIONS.contains(name);
        }
        if (!fixed.isEmpty()) {
            throw RpcError.of("cannot change " + String.join(", ", fixed) + " of an added"
                    + " download (its file is chosen when it is added; pause with aria2.pause)");
        }
        if (acting) {
            // an active download restarts with them and continues from its .part
            JobRequest.Builder b = job(id).request().newBuilder();
            applyOptions(b, options);
            queue.update(id, b.build());
        }
        ObjectNode others = otherOptions.computeIfAbsent(id, k -> NODES.objectNode());
        options.properties().forEach(e -> {
            if (!ACTING_OPTIONS.contains(e.getKey())) {
                others.set(e.getKey(), e.getValue().isTextual() ? e.getValue()
                        : NODES.textNode(e.getValue().toString()));
            }
        });
        return NODES.textNode("OK");
    }

    private ObjectNode globalOptions() {
        ObjectNode o = NODES.objectNode();
        o.put("dir", downloads.toString());
        o.put("max-concurrent-downloads", Integer.toString(queue.maxConcurrentDownloads()));
        o.put("max-overall-download-limit", Long.toString(queue.maxBytesPerSecond()));
        o.put("split", "1");
        o.put("max-connection-per-server", "1");
        o.put("continue", "true");
        o.put("allow-overwrite", "false");
        o.put("auto-file-renaming", "true");
        return o;
    }

    private JsonNode changeGlobalOption(ObjectNode options) {
        String concurrent = text(options, "max-concurrent-downloads");
        String limit = text(options, "max-overall-download-limit");
        int n = concurrent == null ? -1 : number(concurrent, "max-concurrent-downloads", 1);
        if (n > DownloadQueue.MAX_CONCURRENT_DOWNLOADS) {
            throw RpcError.of("max-concurrent-downloads: at most "
                    + DownloadQueue.MAX_CONCURRENT_DOWNLOADS);
        }
        long rate = limit == null ? -1 : size(limit, "max-overall-download-limit");
        if (n > 0) {
            queue.maxConcurrentDownloads(n);
        }
        if (rate >= 0) {
            queue.maxBytesPerSecond(rate);
        }
        return NODES.textNode("OK");
    }

    private ObjectNode globalStat() {
        QueueStats s = queue.stats();
        ObjectNode o = NODES.objectNode();
        o.put("downloadSpeed", Long.toString(Math.round(s.bytesPerSecond())));
        o.put("uploadSpeed", "0");
        o.put("numActive", Long.toString(count(s, JobState.ACTIVE)));
        o.put("numWaiting", Long.toString(count(s, JobState.QUEUED)
                + count(s, JobState.PAUSED)));
        long stopped = stopped().size();
        o.put("numStopped", Long.toString(stopped));
        o.put("numStoppedTotal", Long.toString(stopped));
        return o;
    }

    private static long count(QueueStats s, JobState state) {
        return s.jobs().getOrDefault(state, 0L);
    }

    private static ObjectNode version() {
        ObjectNode o = NODES.objectNode();
        o.put("version", ARIA2_VERSION);
        o.set("enabledFeatures", strings(List.of("HTTPS", "Message Digest")));
        String haul = Aria2Rpc.class.getPackage().getImplementationVersion();
        o.put("haul", haul == null ? "dev" : haul);
        return o;
    }

    // ---------------------------------------------------------------- notifications

    /**
     * aria2's notification for a queue event, or null when aria2 sends none for it: a download
     * that starts, pauses, stops (removed), completes or fails.
     */
    static ObjectNode notification(JobEvent event) {
        if (event.type() != JobEvent.Type.STATE) {
            return null;
        }
        String method = switch (event.job().state()) {
            case ACTIVE -> "aria2.onDownloadStart";
            case PAUSED -> "aria2.onDownloadPause";
            case REMOVED -> "aria2.onDownloadStop";
            case COMPLETED -> "aria2.onDownloadComplete";
            case FAILED -> "aria2.onDownloadError";
            case QUEUED -> null;
        };
        if (method == null) {
            return null;
        }
        ObjectNode o = NODES.objectNode();
        o.put("jsonrpc", "2.0");
        o.put("method", method);
        ObjectNode g = NODES.objectNode();
        g.put("gid", gid(event.job().id()));
        o.set("params", NODES.arrayNode().add(g));
        return o;
    }

    // ---------------------------------------------------------------- values

    private static ArrayNode strings(List<String> values) {
        ArrayNode a = NODES.arrayNode();
        values.forEach(a::add);
        return a;
    }

    private static String text(ObjectNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        return v.isTextual() ? v.asText() : v.toString();
    }

    private static int number(String value, String name, int min) {
        if (value == null) {
            return min;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw RpcError.of(name + ": wants a number of at least " + min + ", got '" + value
                + "'");
    }

    /** aria2's sizes: a number with an optional K or M (1024-based). */
    private static long size(String value, String name) {
        String v = value.trim();
        long unit = 1;
        if (v.endsWith("K") || v.endsWith("k")) {
            unit = 1024;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("M") || v.endsWith("m")) {
            unit = 1024 * 1024;
            v = v.substring(0, v.length() - 1);
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0 && n <= Long.MAX_VALUE / unit) {
                return n * unit;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw RpcError.of(name + ": wants a size such as 500K or 2M, got '" + value + "'");
    }
}
