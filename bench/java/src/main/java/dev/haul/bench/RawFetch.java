package dev.haul.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * The transport's floor for the whole-process cases: the bare JDK {@code HttpClient} writing
 * straight to the target with {@code BodyHandlers.ofFile}, with none of Haul's work (no
 * {@code .part}, lock, sidecar, fsync, rename, retries or checks). Run as its own process with
 * the launcher's JVM flags, it shows how much of a gap to curl is the JVM and the JDK client.
 *
 * <pre>
 * RawFetch URL FILE            one download
 * RawFetch -i LIST DIR N       every URL of LIST into DIR, N at a time, named after the URL
 * </pre>
 * Exit 0 when every response was 200, 1 otherwise.
 */
public final class RawFetch {
    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        if (!args[0].equals("-i")) {
            HttpResponse<Path> r = client.send(HttpRequest.newBuilder(URI.create(args[0])).build(),
                    HttpResponse.BodyHandlers.ofFile(Path.of(args[1])));
            System.exit(r.statusCode() == 200 ? 0 : 1);
        }
        List<String> urls = Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8);
        Path dir = Path.of(args[2]);
        Semaphore window = new Semaphore(Integer.parseInt(args[3]));
        List<CompletableFuture<HttpResponse<Path>>> all = new ArrayList<>();
        for (String u : urls) {
            if (u.isBlank()) {
                continue;
            }
            window.acquire();
            Path file = dir.resolve(u.substring(u.lastIndexOf('/') + 1));
            all.add(client.sendAsync(HttpRequest.newBuilder(URI.create(u)).build(), HttpResponse.BodyHandlers.ofFile(file))
                    .whenComplete((r, t) -> window.release()));
        }
        boolean ok = true;
        for (CompletableFuture<HttpResponse<Path>> f : all) {
            ok &= f.join().statusCode() == 200;
        }
        System.exit(ok ? 0 : 1);
    }
}
