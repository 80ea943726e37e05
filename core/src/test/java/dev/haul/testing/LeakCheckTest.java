package dev.haul.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Proves that {@link LeakCheck} passes a clean test and names what a leaky one left behind. */
@ExtendWith(LeakCheck.class)
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class LeakCheckTest {

  @Test
  void cleanHttpClientTestPasses() throws Exception {
    byte[] body = TestBodies.bytes(2000);
    try (FaultServer server = FaultServer.start(); FaultProxy proxy = FaultProxy.start(server.port())) {
      server.always("/f", Responses.ok(body));
      // A client local to the test: once unreachable it is collected and its selector thread ends.
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<byte[]> response = client.send(
          HttpRequest.newBuilder(server.uri("/f")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertArrayEquals(body, response.body());
      assertArrayEquals(body, client.send(
          HttpRequest.newBuilder(java.net.URI.create(proxy.url("/f"))).build(),
          HttpResponse.BodyHandlers.ofByteArray()).body());
    }
  }

  @Test
  void reportsALeakedThreadByName() throws Exception {
    LeakCheck.Snapshot baseline = LeakCheck.snapshot(List.of("haul"));
    CountDownLatch release = new CountDownLatch(1);
    Thread leaked = new Thread(() -> {
      try {
        release.await();
      } catch (InterruptedException ignored) {
        // ends the thread
      }
    }, "haul-leaky-worker");
    leaked.start();
    try {
      AssertionError error = assertThrows(AssertionError.class, () -> baseline.verify(200, -1));
      assertTrue(error.getMessage().contains("haul-leaky-worker"), error.getMessage());
      assertTrue(error.getMessage().contains("CountDownLatch.await"), error.getMessage());
    } finally {
      release.countDown();
      leaked.join();
    }
    baseline.verify(1_000, -1);
  }

  @Test
  @LeakCheck.Options(checkFds = false) // this test opens a file on purpose
  void reportsALeakedFileDescriptorByTarget(@TempDir Path dir) throws Exception {
    if (LeakCheck.openFdCount() < 0) return; // no /proc/self/fd here
    Path file = Files.createFile(dir.resolve("leaky.part"));
    LeakCheck.Snapshot baseline = LeakCheck.snapshot(List.of("haul"));
    FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
    try {
      AssertionError error = assertThrows(AssertionError.class, () -> baseline.verify(200, 0));
      assertTrue(error.getMessage().contains("leaky.part"), error.getMessage());
    } finally {
      channel.close();
    }
    baseline.verify(1_000, 0);
  }
}
