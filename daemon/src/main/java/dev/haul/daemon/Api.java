package dev.haul.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.haul.queue.DownloadQueue;
import dev.haul.queue.Job;
import dev.haul.queue.JobFilter;
import dev.haul.queue.JobPage;
import dev.haul.queue.JobRequest;
import dev.haul.queue.JobState;
import dev.haul.queue.QueueException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The HTTP API ({@code /api/v1}, docs/api.md) and the static web page, as one Jetty handler.
 *
 * <p>A request is checked in a fixed order, and the first refusal answers: the token (every
 * {@code /api/} path), the endpoint and method, the id, the query parameters, the content type,
 * the body's size, its JSON, its fields. Only then does the queue change, so a refused request
 * changes nothing. Queue refusals ({@link QueueException}) map to their codes here.
 */
final class Api extends Handler.Abstract {
    private static final System.Logger LOG = System.getLogger("dev.haul.daemon");
    /** Bodies are small JSON objects; a batch of 1000 jobs fits in well under this. */
    static final int MAX_BODY = 1 << 20;
    /** The most jobs one batch adds. */
    static final int MAX_BATCH = 1000;
    static final long DEFAULT_WAIT_SECONDS = 30;
    static final long MAX_WAIT_SECONDS = 300;
    private static final String PREFIX = "/api/v1/";

    /** aria2's JSON-RPC path: over HTTP POST here, over WebSocket in {@link Aria2Socket}. */
    static final String JSONRPC = "/jsonrpc";

    private final DownloadQueue queue;
    private final EventStreams events;
    private volatile Aria2Rpc rpc;
    private final String token;
    private final Path downloads;
    private volatile boolean stopping;

    Api(DownloadQueue queue, EventStreams events, String token, Path downloads) {
        this.queue = queue;
        this.events = events;
        this.token = token;
        this.downloads = downloads;
    }

    /** Serves aria2's JSON-RPC at {@link #JSONRPC} with {@code rpc}. */
    void jsonRpc(Aria2Rpc rpc) {
        this.rpc = rpc;
    }

    /**
     * One JSON-RPC message over HTTP POST, as aria2 takes it: any content type, the answer always
     * {@code 200} with the JSON-RPC result or error (the token is checked inside, per call).
     */
    private void jsonRpc(Request request, Response response, Callback callback)
            throws IOException {
        if (!request.getMethod().equals("POST")) {
            response.getHeaders().put(HttpHeader.ALLOW, "POST");
            throw new ApiError(405, "method_not_allowed", "JSON-RPC takes POST (or a WebSocket)");
        }
        if (stopping) {
            throw new ApiError(503, "shutting_down", "the daemon is stopping");
        }
        if (request.getLength() > MAX_BODY) {
            throw tooLarge();
        }
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) {
            throw tooLarge();
        }
        JsonNode message;
        try {
            message = Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            message = null;
        }
        JsonNode answer = rpc.handle(message);
        ok(response, callback, 200, answer == null ? Json.MAPPER.createArrayNode() : answer);
    }

    /** From now on every API request is answered {@code 503 shutting_down}. */
    void stopping() {
        stopping = true;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        try {
            if (path.equals("/api") || path.startsWith("/api/")) {
                api(request, response, callback, path);
            } else if (path.equals(JSONRPC) && rpc != null) {
                jsonRpc(request, response, callback);
            } else {
                StaticFiles.serve(request, response, callback, path);
            }
        } catch (ApiError e) {
            unread(request, response);
            error(response, callback, e.status, e.code, e.getMessage());
        } catch (QueueException e) {
            unread(request, response);
            queueError(response, callback, e);
        } catch (RuntimeException | IOException e) {
            unread(request, response);
            LOG.log(System.Logger.Level.ERROR, request.getMethod() + " " + path + " failed", e);
            error(response, callback, 500, "internal", "internal error: " + e.getClass()
                    .getSimpleName() + " (the daemon's log has the details)");
        }
        return true;
    }

    /**
     * A refusal may come before the body is read (a wrong token, type or size): then the
     * connection closes after the answer, and says so, so that a client does not send its next
     * request on a connection that still holds, or is about to drop, an unread body.
     */
    private static void unread(Request request, Response response) {
        if (request.getLength() != 0 && !response.isCommitted()) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
    }

    private void api(Request request, Response response, Callback callback, String path)
            throws IOException {
        String method = request.getMethod();
        Fields query = query(request);
        authorize(request, path, query);
        if (stopping) {
            throw new ApiError(503, "shutting_down", "the daemon is stopping");
        }
        if (!path.startsWith(PREFIX)) {
            throw ApiError.notFound("no such endpoint: " + path + " (the API is under "
                    + PREFIX + ")");
        }
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        switch (parts[0]) {
            case "jobs" -> jobs(request, response, callback, method, query, parts);
            case "stats" -> {
                endpoint(response, parts.length == 1, path, method, "GET");
                params(query);
                ok(response, callback, 200, Json.stats(queue.stats()));
            }
            case "options" -> {
                endpoint(response, parts.length == 1, path, method, "GET", "PATCH");
                params(query);
                if (method.equals("PATCH")) {
                    patchOptions(body(request));
                }
                ok(response, callback, 200, options());
            }
            case "events" -> {
                endpoint(response, parts.length == 1, path, method, "GET");
                params(query, "token");
                events.serve(response, callback, request.getHeaders().get("Last-Event-ID"));
            }
            default -> throw ApiError.notFound("no such endpoint: " + path);
        }
    }

    private void jobs(Request request, Response response, Callback callback, String method,
            Fields query, String[] parts) throws IOException {
        String path = Request.getPathInContext(request);
        if (parts.length == 1) {
            endpoint(response, true, path, method, "GET", "POST");
            if (method.equals("GET")) {
                params(query, "state", "offset", "limit");
                list(response, callback, query);
            } else {
                params(query);
                add(request, response, callback);
            }
            return;
        }
        if (parts.length == 2 && parts[1].equals("batch")) {
            endpoint(response, true, path, method, "POST");
            params(query);
            addBatch(request, response, callback);
            return;
        }
        String action = parts.length == 3 ? parts[2] : parts.length == 2 ? "" : null;
        boolean known = action != null && List.of("", "pause", "resume", "move", "wait")
                .contains(action);
        if (!known) {
            throw ApiError.notFound("no such endpoint: " + path);
        }
        switch (action) {
            case "" -> endpoint(response, true, path, method, "GET", "DELETE");
            case "wait" -> endpoint(response, true, path, method, "GET");
            default -> endpoint(response, true, path, method, "POST");
        }
        long id = id(parts[1]);
        switch (action) {
            case "" -> {
                if (method.equals("GET")) {
                    params(query);
                    ok(response, callback, 200, Json.job(find(id)));
                } else {
                    params(query, "partial");
                    String partial = Optional.ofNullable(query.getValue("partial"))
                            .orElse("keep");
                    if (!partial.equals("keep") && !partial.equals("delete")) {
                        throw ApiError.invalid("partial: must be keep or delete, not '"
                                + partial + "'");
                    }
                    ok(response, callback, 200, Json.job(queue.remove(id,
                            partial.equals("delete"))));
                }
            }
            case "pause" -> {
                params(query);
                ok(response, callback, 200, Json.job(queue.pause(id)));
            }
            case "resume" -> {
                params(query);
                ok(response, callback, 200, Json.job(queue.resume(id)));
            }
            case "move" -> {
                params(query);
                move(request, response, callback, id);
            }
            default -> {
                params(query, "timeout");
                await(response, callback, id, query);
            }
        }
    }

    // ---------------------------------------------------------------- endpoints

    private void list(Response response, Callback callback, Fields query) {
        JobFilter filter = JobFilter.all();
        String states = query.getValue("state");
        if (states != null) {
            Set<JobState> set = EnumSet.noneOf(JobState.class);
            for (String s : states.split(",", -1)) {
                try {
                    set.add(JobState.parse(s.trim()));
                } catch (IllegalArgumentException e) {
                    throw ApiError.invalid("state: " + e.getMessage());
                }
            }
            filter = filter.states(set);
        }
        long offset = number(query, "offset", 0, 0, Long.MAX_VALUE);
        long limit = number(query, "limit", JobFilter.DEFAULT_LIMIT, 1, JobFilter.MAX_LIMIT);
        JobPage page = queue.list(filter.page(offset, (int) limit));
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("jobs", Json.jobs(page.jobs()));
        o.put("total", page.total());
        o.put("offset", page.offset());
        o.put("limit", page.limit());
        ok(response, callback, 200, o);
    }

    private void add(Request request, Response response, Callback callback) throws IOException {
        JobRequest r = Json.jobRequest(body(request), downloads, "");
        if (r.key() != null) {
            Optional<Job> existing = queue.findByKey(r.key());
            if (existing.isPresent()) {
                ok(response, callback, 200, Json.job(existing.get()));
                return;
            }
        }
        Job job = queue.add(r);
        response.getHeaders().put(HttpHeader.LOCATION, PREFIX + "jobs/" + job.id());
        ok(response, callback, 201, Json.job(job));
    }

    private void addBatch(Request request, Response response, Callback callback)
            throws IOException {
        ObjectNode body = body(request);
        Json.onlyFields(body, Json.BATCH_FIELDS, "");
        JsonNode jobs = body.get("jobs");
        if (jobs == null || !jobs.isArray()) {
            throw ApiError.invalid("jobs: must be an array of jobs");
        }
        if (jobs.size() > MAX_BATCH) {
            throw ApiError.invalid("jobs: more than " + MAX_BATCH + " in one batch ("
                    + jobs.size() + ")");
        }
        List<JobRequest> requests = new ArrayList<>(jobs.size());
        for (int i = 0; i < jobs.size(); i++) {
            requests.add(Json.jobRequest(jobs.get(i), downloads, "jobs[" + i + "]."));
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("jobs", Json.jobs(queue.addAll(requests)));
        ok(response, callback, 201, o);
    }

    private void move(Request request, Response response, Callback callback, long id)
            throws IOException {
        ObjectNode body = body(request);
        Json.onlyFields(body, Json.MOVE_FIELDS, "");
        boolean hasPosition = body.has("position");
        if (hasPosition == body.has("by")) {
            throw ApiError.invalid("give either position or by");
        }
        Job job;
        if (hasPosition) {
            long position = Json.integer(body, "position", "", 0);
            if (position < 0) {
                throw ApiError.invalid("position: must be at least 0, not " + position);
            }
            find(id);
            job = queue.move(id, position);
        } else {
            job = queue.moveBy(id, Json.integer(body, "by", "", 0));
        }
        ok(response, callback, 200, Json.job(job));
    }

    /** Answers when the job finishes or the timeout passes; holds no thread meanwhile. */
    private void await(Response response, Callback callback, long id, Fields query) {
        long seconds = number(query, "timeout", DEFAULT_WAIT_SECONDS, 0, MAX_WAIT_SECONDS);
        CompletableFuture<Job> finished = queue.whenFinished(id);
        // the timeout cancels the future, which also drops it from the queue's waiters
        CompletableFuture.delayedExecutor(seconds, TimeUnit.SECONDS)
                .execute(() -> finished.cancel(false));
        CompletableFuture<Void> unused = finished.handle((job, e) -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException
                    && e.getCause() != null ? e.getCause() : e;
            try {
                if (cause instanceof QueueException q) {
                    queueError(response, callback, q);
                } else if (cause != null && !(cause instanceof CancellationException)) {
                    LOG.log(System.Logger.Level.ERROR, "wait for job " + id + " failed", cause);
                    error(response, callback, 500, "internal", "internal error");
                } else {
                    ok(response, callback, 200, Json.job(job != null ? job : find(id)));
                }
            } catch (ApiError a) {
                error(response, callback, a.status, a.code, a.getMessage());
            } catch (QueueException q) {
                queueError(response, callback, q);
            } catch (RuntimeException r) {
                LOG.log(System.Logger.Level.ERROR, "wait for job " + id + " failed", r);
                error(response, callback, 500, "internal", "internal error");
            }
            return null;
        });
    }

    private void patchOptions(ObjectNode body) {
        Json.onlyFields(body, Json.OPTION_FIELDS, "");
        Integer concurrency = null;
        if (body.has("maxConcurrentDownloads")) {
            long n = Json.integer(body, "maxConcurrentDownloads", "", 0);
            if (n < 1 || n > DownloadQueue.MAX_CONCURRENT_DOWNLOADS) {
                throw ApiError.invalid("maxConcurrentDownloads: must be 1 to "
                        + DownloadQueue.MAX_CONCURRENT_DOWNLOADS + ", not " + n);
            }
            concurrency = (int) n;
        }
        Long rate = null;
        if (body.has("maxBytesPerSecond")) {
            long n = Json.integer(body, "maxBytesPerSecond", "", 0);
            if (n < 0) {
                throw ApiError.invalid("maxBytesPerSecond: must be at least 0, not " + n);
            }
            rate = n;
        }
        // every value is checked before any applies: a refused request changes nothing
        if (concurrency != null) {
            queue.maxConcurrentDownloads(concurrency);
        }
        if (rate != null) {
            queue.maxBytesPerSecond(rate);
        }
    }

    private ObjectNode options() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("maxConcurrentDownloads", queue.maxConcurrentDownloads());
        o.put("maxBytesPerSecond", queue.maxBytesPerSecond());
        return o;
    }

    // ---------------------------------------------------------------- checks

    private void authorize(Request request, String path, Fields query) {
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String given = null;
        if (header != null) {
            if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                given = header.substring(7).trim();
            }
        } else if (path.equals(PREFIX + "events")) {
            given = query.getValue("token"); // EventSource cannot send headers
        }
        if (given == null) {
            throw new ApiError(401, "unauthorized", "missing token: send Authorization: Bearer "
                    + "TOKEN (the token is in the daemon's data directory, file "
                    + TokenFile.NAME + ")");
        }
        if (!TokenFile.matches(token, given)) {
            throw new ApiError(401, "unauthorized", "wrong token");
        }
    }

    private static void endpoint(Response response, boolean exists, String path, String method,
            String... allowed) {
        if (!exists) {
            throw ApiError.notFound("no such endpoint: " + path);
        }
        if (!List.of(allowed).contains(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, String.join(", ", allowed));
            throw new ApiError(405, "method_not_allowed", method + " is not allowed on " + path
                    + " (allowed: " + String.join(", ", allowed) + ")");
        }
    }

    private static Fields query(Request request) {
        try {
            return Request.extractQueryParameters(request);
        } catch (RuntimeException e) {
            throw ApiError.invalid("the query string cannot be decoded: " + e.getMessage());
        }
    }

    /** Refuses a query parameter not in {@code known}, and one given twice. */
    private static void params(Fields query, String... known) {
        for (Fields.Field f : query) {
            if (!List.of(known).contains(f.getName())) {
                throw ApiError.unknownField("unknown query parameter '" + f.getName() + "'"
                        + (known.length == 0 ? " (this endpoint takes none)"
                        : " (known: " + String.join(", ", known) + ")"));
            }
            if (f.getValues().size() > 1) {
                throw ApiError.invalid(f.getName() + ": given more than once");
            }
        }
    }

    private static long number(Fields query, String name, long absent, long min, long max) {
        String text = query.getValue(name);
        if (text == null) {
            return absent;
        }
        long n;
        try {
            n = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw ApiError.invalid(name + ": not an integer: '" + text + "'");
        }
        if (n < min || n > max) {
            throw ApiError.invalid(name + ": must be " + min + " to " + max + ", not " + n);
        }
        return n;
    }

    static long id(String text) {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0'
                && c <= '9') || Long.parseLong(text) < 1) {
            throw new ApiError(400, "invalid_id", "not a job id: '" + text + "'");
        }
        return Long.parseLong(text);
    }

    private Job find(long id) {
        return queue.get(id).orElseThrow(() -> new ApiError(404, "job_not_found", "no job "
                + id));
    }

    /** The request's JSON object: checked for type and size before it is parsed. */
    private static ObjectNode body(Request request) throws IOException {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        String mime = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mime.equals("application/json")) {
            throw new ApiError(415, "unsupported_media_type", "the body must be "
                    + "application/json, not " + (type == null ? "missing" : "'" + type + "'"));
        }
        long length = request.getLength();
        if (length > MAX_BODY) {
            throw tooLarge();
        }
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) {
            throw tooLarge();
        }
        return Json.object(bytes);
    }

    private static ApiError tooLarge() {
        return new ApiError(413, "body_too_large", "the body is over " + MAX_BODY + " bytes");
    }

    // ---------------------------------------------------------------- answers

    private static void ok(Response response, Callback callback, int status, JsonNode body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(Json.bytes(body)), callback);
    }

    private static final Map<QueueException.Code, Integer> STATUS = new HashMap<>(Map.of(
            QueueException.Code.NOT_FOUND, 404,
            QueueException.Code.INVALID_STATE, 409,
            QueueException.Code.FILE_EXISTS, 409,
            QueueException.Code.CLOSED, 503));

    private static void queueError(Response response, Callback callback, QueueException e) {
        int status = STATUS.getOrDefault(e.code(), 500);
        String code = switch (e.code()) {
            case NOT_FOUND -> "job_not_found";
            case CLOSED -> "shutting_down";
            case INVALID_STATE, FILE_EXISTS -> e.code().wireName();
            default -> "internal";
        };
        if (status == 500) {
            LOG.log(System.Logger.Level.ERROR, "queue failure", e);
        }
        error(response, callback, status, code, status == 500
                ? "internal error: " + e.getMessage() : e.getMessage());
    }

    static void error(Response response, Callback callback, int status, String code,
            String message) {
        if (response.isCommitted()) {
            callback.failed(new IOException(code + ": " + message));
            return;
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        if (status == 401) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
        }
        response.write(true, ByteBuffer.wrap(Json.bytes(Json.error(code, message))), callback);
    }
}
