package dev.haul.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Proves the local-fault hooks: disk full, failing force/close/move, and the hash helpers. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class FaultyFilesTest {
  private static final Set<StandardOpenOption> CREATE_WRITE =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  @TempDir Path dir;

  @Test
  void diskFullAfterNBytesKeepsExactlyN() throws IOException {
    FaultyFiles files = new FaultyFiles().diskFullAfter(100);
    Path part = dir.resolve("a.part");
    try (FileChannel channel = files.open(part, CREATE_WRITE)) {
      assertEquals(60, channel.write(ByteBuffer.wrap(TestBodies.bytes(60))));
      IOException full = assertThrows(IOException.class, () -> channel.write(ByteBuffer.wrap(TestBodies.bytes(60))));
      assertEquals("No space left on device", full.getMessage());
    }
    assertEquals(100, Files.size(part));
    assertEquals(0, files.openChannels());
  }

  @Test
  void forceAndCloseFailures() throws IOException {
    FaultyFiles files = new FaultyFiles().failForce(true).failClose(true);
    FileChannel channel = files.open(dir.resolve("b.part"), CREATE_WRITE);
    channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    assertThrows(IOException.class, () -> channel.force(true));
    assertEquals(1, files.forceCount());
    assertThrows(IOException.class, channel::close);
    assertTrue(files.channels().get(0).delegateClosed(), "the real file is closed even so");
    assertFalse(channel.isOpen());
  }

  @Test
  void moveFailureAndSuccess() throws IOException {
    FaultyFiles files = new FaultyFiles();
    Path part = Files.write(dir.resolve("c.part"), new byte[] {9});
    AtomicMoveNotSupportedException failure = new AtomicMoveNotSupportedException("c.part", "c", "injected");
    files.failMove(failure);
    assertSame(failure, assertThrows(IOException.class,
        () -> files.move(part, dir.resolve("c"), StandardCopyOption.ATOMIC_MOVE)));
    assertTrue(Files.exists(part));
    files.failMove(null).move(part, dir.resolve("c"), StandardCopyOption.ATOMIC_MOVE);
    assertArrayEquals(new byte[] {9}, Files.readAllBytes(dir.resolve("c")));
    assertEquals(1, files.moves().size());
  }

  @Test
  void bodiesAreDeterministicAndHashesAgree() throws IOException {
    byte[] body = TestBodies.bytes(600);
    assertEquals(0, body[251]);
    assertEquals(100, body[351]);
    assertArrayEquals(TestBodies.random(1000, 42), TestBodies.random(1000, 42));
    assertFalse(Arrays.equals(TestBodies.random(1000, 42), TestBodies.random(1000, 43)));
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TestBodies.sha256Hex(new byte[0]));
    Path file = Files.write(dir.resolve("d"), body);
    assertEquals(TestBodies.sha256Hex(body), TestBodies.sha256Hex(file));
  }
}
