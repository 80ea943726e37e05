package dev.haul.queue;

import java.net.URI;
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
}
