package dev.haul.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The queue uses only core's public API ({@code dev.haul}), never the engine's internals: on the
 * class path nothing else would stop it, so the compiled classes are checked for references.
 */
class PublicApiOnlyTest {
    @Test
    @Timeout(10)
    void noClassOfTheQueueRefersToTheEngineInternals() throws Exception {
        Path classes = Path.of(DownloadQueue.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI());
        List<Path> files;
        try (Stream<Path> s = Files.walk(classes)) {
            files = s.filter(p -> p.toString().endsWith(".class")).toList();
        }
        assertFalse(files.isEmpty());
        List<String> offenders = files.stream().filter(p -> {
            try {
                // class references are UTF-8 constants in the class file: a plain search finds them
                return new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)
                        .contains("dev/haul/internal/");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).map(Path::toString).toList();
        assertEquals(List.of(), offenders);
    }
}
