package dev.haul.cli;

import dev.haul.CookieJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code -b FILE} and {@code --cookie-jar FILE}: cookies read from a Netscape cookie file before
 * the run, and every cookie the jar holds written to one after it, failed downloads or not.
 *
 * <p>The library decides what goes where (RFC 6265: never to another site, {@code Secure} ones
 * over https only, never once expired) and writes the jar atomically and owner-only. A missing
 * {@code -b} file is an error, except when it is also the {@code --cookie-jar} file: then this is
 * the first run of {@code -b f --cookie-jar f}, and the jar starts empty.
 */
final class CookieFiles {
    private final CookieJar jar;
    private final Path writeTo;

    private CookieFiles(CookieJar jar, Path writeTo) {
        this.jar = jar;
        this.writeTo = writeTo;
    }

    /**
     * The jar for these flags, or null when neither is given.
     *
     * @throws IllegalArgumentException with a message for the user when {@code readFrom} cannot
     *                                  be read
     */
    static CookieFiles open(Path readFrom, Path writeTo) {
        if (readFrom == null && writeTo == null) {
            return null;
        }
        if (readFrom == null || (!Files.exists(readFrom) && readFrom.equals(writeTo))) {
            return new CookieFiles(CookieJar.inMemory(), writeTo);
        }
        if (!Files.exists(readFrom)) {
            throw new IllegalArgumentException(
                    "cannot read cookie file " + readFrom + ": no such file");
        }
        if (!Files.isRegularFile(readFrom)) {
            throw new IllegalArgumentException(
                    "cannot read cookie file " + readFrom + ": not a regular file");
        }
        try {
            return new CookieFiles(CookieJar.load(readFrom), writeTo);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot read cookie file " + readFrom + ": "
                    + ProgressRenderer.oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    CookieJar jar() {
        return jar;
    }

    /**
     * Writes the jar to the {@code --cookie-jar} file, if one was given.
     *
     * @throws IOException when it cannot be written
     */
    void save() throws IOException {
        if (writeTo != null) {
            jar.save(writeTo);
        }
    }

    Path writeTo() {
        return writeTo;
    }
}
