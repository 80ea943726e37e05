package dev.haul.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Deterministic response bodies and SHA-256 helpers for download tests.
 *
 * <p>{@link #bytes(int)} repeats with period 251 (a prime), so a resume that starts at the wrong
 * offset, or a block written twice, produces a different file at once, as in grab's test handler.
 */
public final class TestBodies {
  private TestBodies() {}

  /** Returns {@code n} bytes where byte {@code i} is {@code i % 251}. */
  public static byte[] bytes(int n) {
    if (n < 0) throw new IllegalArgumentException("n < 0: " + n);
    byte[] body = new byte[n];
    for (int i = 0; i < n; i++) body[i] = (byte) (i % 251);
    return body;
  }

  /** Returns {@code n} pseudo-random bytes, the same for the same seed on every JDK. */
  public static byte[] random(int n, long seed) {
    if (n < 0) throw new IllegalArgumentException("n < 0: " + n);
    byte[] body = new byte[n];
    // SplittableRandom's algorithm is specified, so the bytes never change between JDK releases.
    SplittableRandom random = new SplittableRandom(seed);
    int i = 0;
    while (i < n) {
      long word = random.nextLong();
      for (int k = 0; k < 8 && i < n; k++, word >>>= 8) body[i++] = (byte) word;
    }
    return body;
  }

  /** Returns the lower-case hex SHA-256 of {@code data}. */
  public static String sha256Hex(byte[] data) {
    MessageDigest digest = sha256();
    return HexFormat.of().formatHex(digest.digest(data));
  }

  /** Returns the lower-case hex SHA-256 of the file's content, streaming it. */
  public static String sha256Hex(Path file) {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) != -1; ) digest.update(buffer, 0, n);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hash " + file, e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}
