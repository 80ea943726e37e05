package dev.haul.queue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The credentials that callers allowed the queue to keep, in one owner-only ({@code 0600})
 * properties file beside the database, never in it: a copy of the database (a backup, a bug
 * report) then holds no secret. Rewritten whole and atomically on every change; small, because
 * credentials are deleted when their job finishes.
 */
final class CredentialsFile {
    private final Path file;
    /** ref -> (name -> value), as on disk. */
    private final Map<String, Map<String, String>> entries = new HashMap<>();

    private CredentialsFile(Path file) {
        this.file = file;
    }

    static CredentialsFile load(Path file) throws IOException {
        CredentialsFile f = new CredentialsFile(file);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            if (OwnerOnlyFiles.openToOthers(file)) {
                throw new IOException(file + " is readable by others: it holds credentials; "
                        + "make it owner-only (chmod 600) or delete it");
            }
            p.load(new StringReader(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return f;
        }
        for (String k : p.stringPropertyNames()) {
            int slash = k.indexOf('/');
            if (slash > 0) {
                f.entries.computeIfAbsent(k.substring(0, slash),
                        r -> new TreeMap<>(String.CASE_INSENSITIVE_ORDER))
                        .put(k.substring(slash + 1), p.getProperty(k));
            }
        }
        return f;
    }

    synchronized void put(String ref, Map<String, String> credentials) throws IOException {
        Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        copy.putAll(credentials);
        entries.put(ref, copy);
        save();
    }

    synchronized Optional<Map<String, String>> get(String ref) {
        return Optional.ofNullable(entries.get(ref)).map(m -> {
            Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            copy.putAll(m);
            return Collections.unmodifiableMap(copy);
        });
    }

    synchronized void delete(String ref) throws IOException {
        if (entries.remove(ref) != null) {
            save();
        }
    }

    /** Forgets every entry not in {@code refs}: left by a crash between writing it and adding. */
    synchronized void retainOnly(Collection<String> refs) throws IOException {
        if (entries.keySet().retainAll(refs)) {
            save();
        }
    }

    private void save() throws IOException {
        Properties p = new Properties();
        entries.forEach((ref, m) -> m.forEach((name, value) -> p.setProperty(ref + "/" + name,
                value)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.store(out, "Haul: credentials of queued jobs. Owner-only; never share this file.");
        OwnerOnlyFiles.write(file, out.toByteArray());
    }
}
