package dev.haul.daemon;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.haul.queue.Job;
import dev.haul.queue.JobRequest;
import dev.haul.queue.QueueStats;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The API's JSON: jobs, stats and options out; add requests in, checked field by field so that an
 * unknown field, a wrong type or a bad value is refused with a message naming it. Written by hand
 * rather than bound to classes, so the wire format is this file, not a side effect of a rename.
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The fields of an add request, in the order the error message lists them. */
    static final List<String> JOB_FIELDS = List.of("url", "mirrors", "dir", "name", "headers",
            "sha256", "maxBytesPerSecond", "connections", "paused", "keepCredentials", "key");
    /** More headers than this in one request is a mistake, not a configuration. */
    static final int MAX_HEADERS = 64;

    private Json() {
    }

    /** Parses a request body that must be one JSON object. */
    static ObjectNode object(byte[] body) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badJson("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiError.badJson("the body cannot be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiError.badJson("the body must be a JSON object");
        }
        return (ObjectNode) node;
    }

    /** Refuses a field of {@code o} that is not in {@code known}. */
    static void onlyFields(ObjectNode o, List<String> known, String prefix) {
        for (Map.Entry<String, JsonNode> field : o.properties()) {
            String name = field.getKey();
            if (!known.contains(name)) {
                throw ApiError.unknownField(prefix + "unknown field '" + name + "' (known: "
                        + String.join(", ", known) + ")");
            }
        }
    }

    /** An add request: checked, then built, with {@code dir} relative to {@code downloads}. */
    static JobRequest jobRequest(JsonNode node, Path downloads, String prefix) {
        if (!node.isObject()) {
            throw ApiError.invalid(prefix + "a job must be a JSON object");
        }
        ObjectNode o = (ObjectNode) node;
        onlyFields(o, JOB_FIELDS, prefix);
        String url = string(o, "url", prefix);
        if (url == null) {
            throw ApiError.invalid(prefix + "url is required");
        }
        Path dir = downloads;
        String dirText = string(o, "dir", prefix);
        if (dirText != null) {
            try {
                dir = downloads.resolve(Path.of(dirText)).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw ApiError.invalid(prefix + "dir: not a path: " + e.getMessage());
            }
        }
        Path chosenDir = dir;
        JobRequest.Builder builder = field(prefix, "url", () -> JobRequest.builder(url,
                chosenDir));
        JsonNode mirrors = o.get("mirrors");
        if (mirrors != null && !mirrors.isNull()) {
            if (!mirrors.isArray()) {
                throw ApiError.invalid(prefix + "mirrors: must be an array of URLs");
            }
            for (JsonNode m : mirrors) {
                if (!m.isTextual()) {
                    throw ApiError.invalid(prefix + "mirrors: must be an array of URLs");
                }
                field(prefix, "mirrors", () -> builder.mirror(URI.create(m.asText().trim())));
            }
        }
        String name = string(o, "name", prefix);
        field(prefix, "name", () -> builder.fileName(name));
        JsonNode headers = o.get("headers");
        if (headers != null && !headers.isNull()) {
            if (!headers.isObject()) {
                throw ApiError.invalid(prefix + "headers: must be an object of strings");
            }
            if (headers.size() > MAX_HEADERS) {
                throw ApiError.invalid(prefix + "headers: more than " + MAX_HEADERS);
            }
            for (Map.Entry<String, JsonNode> h : headers.properties()) {
                if (!h.getValue().isTextual()) {
                    throw ApiError.invalid(prefix + "headers: the value of " + h.getKey()
                            + " must be a string");
                }
                field(prefix, "headers", () -> builder.header(h.getKey(), h.getValue().asText()));
            }
        }
        String sha = string(o, "sha256", prefix);
        field(prefix, "sha256", () -> builder.expectedSha256(sha));
        long rate = integer(o, "maxBytesPerSecond", prefix, 0);
        field(prefix, "maxBytesPerSecond", () -> builder.maxBytesPerSecond(rate));
        long connections = integer(o, "connections", prefix, 0);
        field(prefix, "connections", () -> builder.connections((int) Math.max(-1,
                Math.min(Integer.MAX_VALUE, connections))));
        builder.paused(bool(o, "paused", prefix));
        builder.keepCredentials(bool(o, "keepCredentials", prefix));
        String key = string(o, "key", prefix);
        field(prefix, "key", () -> builder.key(key));
        return builder.build();
    }

    /** Runs a builder step, naming the field in the error it may throw. */
    static <T> T field(String prefix, String name, java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(prefix + name + ": " + e.getMessage());
        }
    }

    static String string(ObjectNode o, String name, String prefix) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.invalid(prefix + name + ": must be a string");
        }
        return v.asText();
    }

    static long integer(ObjectNode o, String name, String prefix, long absent) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiError.invalid(prefix + name + ": must be an integer");
        }
        return v.asLong();
    }

    static boolean bool(ObjectNode o, String name, String prefix) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiError.invalid(prefix + name + ": must be true or false");
        }
        return v.asBoolean();
    }

    // ---------------------------------------------------------------- out

    static ObjectNode job(Job job) {
        JobRequest r = job.request();
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", job.id());
        o.put("url", r.uri().toString());
        ArrayNode mirrors = o.putArray("mirrors");
        r.mirrors().forEach(m -> mirrors.add(m.toString()));
        o.put("dir", r.directory().toString());
        o.put("name", job.file().getFileName().toString());
        o.put("file", job.file().toString());
        ObjectNode headers = o.putObject("headers");
        r.headers().forEach(headers::put);
        o.put("credentials", job.credentials().name().toLowerCase(Locale.ROOT));
        o.put("sha256", r.expectedSha256());
        o.put("maxBytesPerSecond", r.maxBytesPerSecond());
        o.put("connections", r.connections());
        o.put("key", r.key());
        o.put("state", job.state().wireName());
        if (job.failure().isPresent()) {
            ObjectNode f = o.putObject("failure");
            f.put("code", job.failure().get().code());
            f.put("message", job.failure().get().message());
        } else {
            o.putNull("failure");
        }
        o.put("position", job.position());
        o.put("bytesDone", job.bytesDone());
        o.put("totalBytes", job.totalBytes());
        o.put("bytesPerSecond", job.bytesPerSecond());
        if (job.bytesPerSecond() > 0 && job.totalBytes() >= job.bytesDone()) {
            o.put("etaSeconds", (long) Math.ceil((job.totalBytes() - job.bytesDone())
                    / job.bytesPerSecond()));
        } else {
            o.putNull("etaSeconds");
        }
        o.put("attempts", job.attempts());
        o.put("worker", job.worker().orElse(null));
        o.put("createdAt", time(job.createdAt()));
        o.put("updatedAt", time(job.updatedAt()));
        o.put("finishedAt", job.finishedAt().map(Json::time).orElse(null));
        return o;
    }

    static ArrayNode jobs(List<Job> jobs) {
        ArrayNode a = MAPPER.createArrayNode();
        jobs.forEach(j -> a.add(job(j)));
        return a;
    }

    static ObjectNode stats(QueueStats stats) {
        ObjectNode o = MAPPER.createObjectNode();
        ObjectNode jobs = o.putObject("jobs");
        for (dev.haul.queue.JobState s : dev.haul.queue.JobState.values()) {
            jobs.put(s.wireName(), stats.jobs().getOrDefault(s, 0L));
        }
        o.put("bytesPerSecond", stats.bytesPerSecond());
        o.put("maxConcurrentDownloads", stats.maxConcurrentDownloads());
        o.put("maxBytesPerSecond", stats.maxBytesPerSecond());
        return o;
    }

    static ObjectNode error(String code, String message) {
        ObjectNode o = MAPPER.createObjectNode();
        ObjectNode e = o.putObject("error");
        e.put("code", code);
        e.put("message", message);
        return o;
    }

    static String time(Instant t) {
        return t.toString();
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree always serializes", e);
        }
    }

    /** The names of the options, for error messages. */
    static final List<String> OPTION_FIELDS = List.of("maxConcurrentDownloads",
            "maxBytesPerSecond");

    /** The fields of a move request. */
    static final List<String> MOVE_FIELDS = List.of("position", "by");

    /** The fields of a batch add. */
    static final List<String> BATCH_FIELDS = List.of("jobs");
}
