package dev.haul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.haul.DownloadException.Reason;
import dev.haul.testing.TestBodies;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * How one fault-test download ended: its result or its typed failure, the chunks a stream
 * destination received, and where a file destination lives, with the assertions every fault test
 * makes about them.
 */
record Outcome(DownloadMode mode, DownloadResult<?> result, DownloadException failure, byte[] streamed, Path file,
               long elapsedNanos) {

    long elapsedMillis() {
        return elapsedNanos / 1_000_000;
    }

    /** Asserts success with exactly {@code expected} delivered to the destination; returns the result. */
    DownloadResult<?> assertBody(byte[] expected) {
        if (failure != null) {
            throw new AssertionError(mode + ": expected success, got " + failure, failure);
        }
        assertNotNull(result, mode + ": no result");
        assertEquals(expected.length, result.size(), mode + ": size in the result");
        byte[] actual = switch (mode) {
            case MEMORY -> (byte[]) result.body();
            case FILE -> read(file);
            case STREAM -> streamed;
        };
        assertNotNull(actual, mode + ": no body");
        if (!Arrays.equals(expected, actual)) {
            fail(mode + ": body differs: expected " + expected.length + " bytes (sha " + TestBodies.sha256Hex(expected)
                    + "), got " + actual.length + " bytes (sha " + TestBodies.sha256Hex(actual) + ")");
        }
        if (mode == DownloadMode.FILE) {
            assertEquals(file, result.body());
            assertEquals(List.of(file.getFileName().toString()), listing(file.getParent()),
                    "after success only the final file remains");
        }
        return result;
    }

    /** Asserts a typed failure for one of {@code reasons}; returns it. */
    DownloadException assertFailure(Reason... reasons) {
        if (failure == null) {
            fail(mode + ": expected a failure " + Arrays.toString(reasons) + ", but the download succeeded with "
                    + (result == null ? "nothing" : result.size() + " bytes"));
        }
        assertTrue(Set.of(reasons).contains(failure.reason()),
                mode + ": expected " + Arrays.toString(reasons) + ", got " + failure);
        assertEquals(failure.reason().retryable(), failure.retryable());
        if (mode == DownloadMode.FILE) {
            assertFalse(Files.exists(file), "a failed download never creates the final file");
        }
        return failure;
    }

    /** The stream destination received exactly these bytes (nothing for the other modes). */
    void assertStreamed(byte[] expected) {
        if (mode == DownloadMode.STREAM) {
            assertArrayEquals(expected, streamed, "the chunks handed to the callback");
        } else {
            assertEquals(0, streamed.length);
        }
    }

    /** Asserts the destination directory holds exactly these names (sorted). */
    void assertListing(String... names) {
        if (mode != DownloadMode.FILE) {
            assertEquals(List.of(), listing(file.getParent()), mode + " writes no file");
            return;
        }
        assertEquals(Stream.of(names).sorted().toList(), listing(file.getParent()));
    }

    void assertNoResult() {
        assertNull(result);
    }

    /** The sorted file names in {@code dir}. */
    static List<String> listing(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path part(Path file) {
        return file.resolveSibling(file.getFileName() + ".part");
    }

    static Path meta(Path file) {
        return file.resolveSibling(file.getFileName() + ".part.meta");
    }
}
