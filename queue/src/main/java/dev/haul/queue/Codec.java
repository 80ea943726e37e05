package dev.haul.queue;

import java.net.URI;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How list-valued fields sit in one column: mirrors one per line, headers as {@code Name: value}
 * lines. Neither can hold a line break (URIs cannot; the engine refuses them in headers), so no
 * escaping is needed and the database stays readable with {@code sqlite3}.
 */
final class Codec {
    private Codec() {
    }

    static String mirrors(List<URI> mirrors) {
        StringBuilder s = new StringBuilder();
        for (URI m : mirrors) {
            s.append(m).append('\n');
        }
        return s.toString();
    }

    static List<URI> mirrors(String column) {
        List<URI> list = new ArrayList<>();
        for (String line : column.split("\n", -1)) {
            if (!line.isEmpty()) {
                list.add(URI.create(line));
            }
        }
        return list;
    }

    static String headers(Map<String, String> headers) {
        StringBuilder s = new StringBuilder();
        headers.forEach((name, value) -> s.append(name).append(": ").append(value).append('\n'));
        return s.toString();
    }

    static Map<String, String> headers(String column) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String line : column.split("\n", -1)) {
            int colon = line.indexOf(": ");
            if (colon > 0) {
                map.put(line.substring(0, colon), line.substring(colon + 2));
            }
        }
        return map;
    }

    static String name(Job.Credentials c) {
        return c.name().toLowerCase(Locale.ROOT);
    }

    static Job.Credentials credentials(String column) {
        return Job.Credentials.valueOf(column.toUpperCase(Locale.ROOT));
    }

    /**
     * The job in the current row of a store's query, which selects the columns both stores
     * share by name ({@code slots} is 0 where connections are not capped over a fleet).
     */
    static Job job(ResultSet rs) throws SQLException {
        JobRequest.Builder b = JobRequest.builder(URI.create(rs.getString("url")),
                Path.of(rs.getString("directory")));
        Codec.mirrors(rs.getString("mirrors")).forEach(b::mirror);
        Codec.headers(rs.getString("headers")).forEach(b::header);
        b.expectedSha256(rs.getString("sha256"));
        b.maxBytesPerSecond(rs.getLong("max_bytes_per_second"));
        b.connections(rs.getInt("connections"));
        b.key(rs.getString("idempotency_key"));
        JobState state = JobState.parse(rs.getString("state"));
        b.paused(state == JobState.PAUSED);
        Job.Credentials creds = Codec.credentials(rs.getString("credentials"));
        b.keepCredentials(creds == Job.Credentials.STORED);
        String code = rs.getString("failure_code");
        JobFailure failure = code == null ? null
                : new JobFailure(code, String.valueOf(rs.getString("failure_message")));
        long finished = rs.getLong("finished_at");
        Instant finishedAt = rs.wasNull() ? null : Instant.ofEpochMilli(finished);
        return new Job(rs.getLong("id"), b.build(), rs.getString("file_name"), state,
                rs.getLong("position"), failure, rs.getLong("bytes_done"),
                rs.getLong("total_bytes"), 0, rs.getInt("attempts"), creds,
                rs.getString("credentials_ref"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")), finishedAt,
                state == JobState.ACTIVE ? rs.getString("owner") : null, rs.getInt("slots"));
    }
}
