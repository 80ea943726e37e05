package dev.haul.testing;

import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * A JUnit 5 extension that fails a test which leaves threads or file descriptors behind, in the
 * spirit of OkHttp's {@code ensureAllConnectionsReleased}: {@code @ExtendWith(LeakCheck.class)}.
 *
 * <p>Before each test it notes the live threads whose names start with one of the watched
 * prefixes (default {@link #DEFAULT_THREAD_PREFIXES}) and the process's open file descriptors
 * ({@code /proc/self/fd}; skipped where that does not exist). After the test it waits up to
 * {@link Options#timeoutMillis()} for the new threads to end and the descriptor count to return
 * within {@link Options#fdTolerance()} of the baseline, calling {@code System.gc()} between polls:
 * before JDK 21 the {@code HttpClient} selector thread only ends after its client is collected,
 * and it looks at most once a second. If anything is still there, the test fails with the thread
 * names and stacks, and the targets of the new descriptors.
 *
 * <p>Before JDK 21 {@code HttpClient} has no {@code close()}, so in the run where Haul's
 * downloads go through the JDK client ({@code -Dhaul.transport=jdk}) waiting for that second
 * per test would dominate the suite. There, and only there, a released client's selector thread
 * ({@code HttpClient-N-SelectorManager}) and its selector's {@code anon_inode} descriptors are
 * not counted; its sockets still are, so a connection left open still fails the test.
 *
 * <p>Descriptors pointing at {@code .jar} files or into {@code java.home} are ignored: the JVM
 * opens those lazily while loading classes and keeps them, which is not the test's leak.
 */
public final class LeakCheck implements BeforeEachCallback, AfterEachCallback {
  /** Thread-name prefixes watched when no {@link Options} says otherwise. */
  public static final List<String> DEFAULT_THREAD_PREFIXES =
      List.of("haul", "HttpClient", "fault-server", "fault-proxy");

  /** Tunes the check for a test class or method (the method's annotation wins). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.TYPE, ElementType.METHOD})
  @Inherited
  public @interface Options {
    /** Thread-name prefixes to watch. */
    String[] threadPrefixes() default {"haul", "HttpClient", "fault-server", "fault-proxy"};

    /** How many more descriptors than the baseline are still accepted. */
    int fdTolerance() default 2;

    /** How long to wait for threads and descriptors to go. */
    long timeoutMillis() default 5_000;

    /** False skips the descriptor check (e.g. for tests that open files on purpose). */
    boolean checkFds() default true;
  }

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LeakCheck.class);
  private static final int SHOWN_THREADS = 3;
  private static final Path FD_DIR = Paths.get("/proc/self/fd");
  /** Downloads go through a JDK {@code HttpClient} that this JDK cannot close (see above). */
  private static final boolean UNCLOSABLE_JDK_CLIENTS =
      "jdk".equals(System.getProperty("haul.transport")) && Runtime.version().feature() < 21;

  @Override
  public void beforeEach(ExtensionContext context) {
    JdkPollers.prime();
    Options options = options(context);
    context.getStore(NAMESPACE).put("snapshot", snapshot(List.of(options.threadPrefixes())));
  }

  @Override
  public void afterEach(ExtensionContext context) throws InterruptedException {
    Snapshot snapshot = context.getStore(NAMESPACE).remove("snapshot", Snapshot.class);
    if (snapshot == null) return;
    Options options = options(context);
    snapshot.verify(options.timeoutMillis(), options.checkFds() ? options.fdTolerance() : -1);
  }

  private static Options options(ExtensionContext context) {
    Optional<Options> onMethod = context.getTestMethod()
        .flatMap(m -> AnnotationSupport.findAnnotation(m, Options.class));
    if (onMethod.isPresent()) return onMethod.get();
    return context.getTestClass()
        .flatMap(c -> AnnotationSupport.findAnnotation(c, Options.class))
        .orElseGet(() -> Defaults.class.getAnnotation(Options.class));
  }

  @Options
  private static final class Defaults {}

  /** Takes a baseline now; use {@link Snapshot#verify} later (for checks outside JUnit's hooks). */
  public static Snapshot snapshot(List<String> threadPrefixes) {
    return new Snapshot(List.copyOf(threadPrefixes));
  }

  /** A baseline of watched threads and open descriptors. */
  public static final class Snapshot {
    private final List<String> prefixes;
    private final Set<Long> threadIds = new HashSet<>();
    private final Map<String, String> fds;

    private Snapshot(List<String> prefixes) {
      this.prefixes = prefixes;
      for (Thread t : watchedThreads(prefixes)) threadIds.add(t.getId());
      this.fds = openFds();
    }

    /**
     * Waits up to {@code timeoutMillis} for new watched threads to end and the descriptors to
     * come back within {@code fdTolerance} (negative: don't check), then throws
     * {@link AssertionError} describing what is left.
     */
    public void verify(long timeoutMillis, int fdTolerance) throws InterruptedException {
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
      List<Thread> leakedThreads;
      Map<String, String> newFds;
      while (true) {
        leakedThreads = newThreads();
        newFds = fdTolerance < 0 || fds == null ? Map.of() : newFds();
        boolean fdsOk = newFds.size() <= fdTolerance || fdTolerance < 0;
        if (leakedThreads.isEmpty() && fdsOk) return;
        if (System.nanoTime() - deadline >= 0) break;
        // Unreachable HttpClients stop their selector threads only once collected.
        System.gc();
        Thread.sleep(50);
      }
      StringBuilder report = new StringBuilder("Leak after test (waited ").append(timeoutMillis).append(" ms):");
      if (!leakedThreads.isEmpty()) {
        report.append("\n  ").append(leakedThreads.size()).append(" new thread(s) with prefixes ")
            .append(prefixes).append(':');
        for (Thread t : leakedThreads) report.append("\n    ").append(t.getName()).append(t.isDaemon() ? " (daemon)" : "");
        for (Thread t : leakedThreads.subList(0, Math.min(SHOWN_THREADS, leakedThreads.size()))) {
          report.append("\n  stack of ").append(t.getName()).append(':');
          for (StackTraceElement e : t.getStackTrace()) report.append("\n    at ").append(e);
        }
      }
      if (newFds.size() > fdTolerance && fdTolerance >= 0) {
        report.append("\n  ").append(newFds.size()).append(" new file descriptor(s) (tolerance ")
            .append(fdTolerance).append("):");
        newFds.forEach((fd, target) -> report.append("\n    fd ").append(fd).append(" -> ").append(target));
      }
      throw new AssertionError(report.toString());
    }

    private List<Thread> newThreads() {
      List<Thread> leaked = new ArrayList<>();
      for (Thread t : watchedThreads(prefixes)) {
        if (threadIds.contains(t.getId())) continue;
        if (UNCLOSABLE_JDK_CLIENTS && t.getName().matches("HttpClient-\\d+-SelectorManager")) {
          continue;
        }
        leaked.add(t);
      }
      return leaked;
    }

    /** Descriptors that are new or now point elsewhere, minus the JVM's own jars and modules. */
    private Map<String, String> newFds() {
      Map<String, String> now = openFds();
      Map<String, String> added = new TreeMap<>();
      if (now == null) return added;
      String javaHome = System.getProperty("java.home", "\u0000");
      now.forEach((fd, target) -> {
        if (target.equals(fds.get(fd))) return;
        if (target.endsWith(".jar") || target.startsWith(javaHome)) return;
        added.put(fd, target);
      });
      // Listing /proc/self/fd opens the directory itself; that one is never a leak.
      added.values().removeIf(target -> target.startsWith("/proc/") && target.endsWith("/fd"));
      if (UNCLOSABLE_JDK_CLIENTS) added.values().removeIf(target -> target.startsWith("anon_inode:"));
      return added;
    }
  }

  private static List<Thread> watchedThreads(List<String> prefixes) {
    List<Thread> watched = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!t.isAlive()) continue;
      for (String prefix : prefixes) {
        if (t.getName().startsWith(prefix)) {
          watched.add(t);
          break;
        }
      }
    }
    return watched;
  }

  /** fd number to link target, or null where /proc/self/fd does not exist. */
  static Map<String, String> openFds() {
    if (!Files.isDirectory(FD_DIR)) return null;
    Map<String, String> fds = new HashMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(FD_DIR)) {
      for (Path entry : entries) {
        String target;
        try {
          target = Files.readSymbolicLink(entry).toString();
        } catch (IOException e) {
          continue; // closed while we listed it (e.g. the listing's own descriptor)
        }
        fds.put(entry.getFileName().toString(), target);
      }
    } catch (IOException e) {
      return null;
    }
    return fds;
  }

  /** The number of open descriptors, or -1 where /proc/self/fd does not exist. */
  public static int openFdCount() {
    Map<String, String> fds = openFds();
    return fds == null ? -1 : fds.size();
  }

  /**
   * The JDK's own I/O machinery for virtual threads (JDK 21+): the pollers that park a virtual
   * thread blocked in a socket read or write. The JDK creates them, with their epoll instances and
   * a wakeup socket, the first time a virtual thread blocks on a socket, and keeps them for the
   * life of the JVM. Whichever test first makes Haul block on a virtual thread would otherwise see
   * them as its own leak, so they are made once, before the first baseline.
   */
  private static final class JdkPollers {
    private static boolean primed;

    static synchronized void prime() {
      if (primed) return;
      primed = true;
      java.lang.reflect.Method start;
      try {
        start = Thread.class.getMethod("startVirtualThread", Runnable.class);
      } catch (NoSuchMethodException e) {
        return; // JDK 17: no virtual threads, no pollers
      }
      try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open()) {
        server.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        Thread v = (Thread) start.invoke(null, (Runnable) () -> {
          try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(server.getLocalAddress())) {
            java.nio.ByteBuffer big = java.nio.ByteBuffer.allocate(8 << 20);
            while (big.hasRemaining()) c.write(big); // blocks: the peer reads late (write poller)
            c.read(java.nio.ByteBuffer.allocate(1)); // blocks until the peer answers (read poller)
            done.complete(null);
          } catch (Exception e) {
            done.completeExceptionally(e);
          }
        });
        try (java.nio.channels.SocketChannel peer = server.accept()) {
          Thread.sleep(50);
          java.nio.ByteBuffer sink = java.nio.ByteBuffer.allocate(1 << 20);
          long left = 8 << 20;
          while (left > 0) {
            sink.clear();
            left -= peer.read(sink);
          }
          Thread.sleep(50);
          peer.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
          done.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        v.join(10_000);
      } catch (Exception e) {
        throw new IllegalStateException("cannot prime the JDK's virtual-thread pollers", e);
      }
    }
  }
}
