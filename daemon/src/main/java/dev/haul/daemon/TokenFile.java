package dev.haul.daemon;

import dev.haul.queue.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The API token: {@code DATA/token}, owner-only, made on the first start from 32 random bytes
 * (base64url, 43 characters), or set explicitly. The CLI reads it from there.
 */
final class TokenFile {
    static final String NAME = "token";
    /** Shorter tokens are guessable over a fast loopback; 16 characters is the floor. */
    static final int MIN_LENGTH = 16;

    private TokenFile() {
    }

    /** The token in {@code dir}, made now if there is none. */
    static String loadOrCreate(Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        try {
            if (OwnerOnlyFiles.openToOthers(file)) {
                throw new IOException(file + " is readable by others; make it owner-only "
                        + "(chmod 600) or delete it to get a new token");
            }
            String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
            check(token);
            return token;
        } catch (NoSuchFileException e) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            write(dir, token);
            return token;
        }
    }

    /** Writes an explicitly set token, so the local CLI finds it. */
    static void write(Path dir, String token) throws IOException {
        check(token);
        OwnerOnlyFiles.write(dir.resolve(NAME), (token + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    static void check(String token) {
        if (token.length() < MIN_LENGTH || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalArgumentException("a token must be at least " + MIN_LENGTH
                    + " printable ASCII characters without spaces");
        }
    }

    /** Compares in constant time, so the answer's timing tells nothing about the token. */
    static boolean matches(String expected, String given) {
        return given != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII),
                given.getBytes(StandardCharsets.US_ASCII));
    }
}
