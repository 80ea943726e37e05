package dev.haul.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * A hidden command the launcher runs once after each build, under
 * {@code -XX:ArchiveClassesAtExit}: it loads the classes a real run needs (flag parsing, help,
 * the HTTP client, the engine, the progress display) by doing a small download from 127.0.0.1,
 * so that the class-data-sharing archive it leaves makes later starts faster.
 */
@Command(name = "__cds-training", hidden = true)
final class CdsTraining implements Callable<Integer> {

    @Override
    public Integer call() throws IOException {
        Path dir = Files.createTempDirectory("haul-cds-");
        PrintStream nowhere =
                new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        try (DemoServer server = new DemoServer(List.of(
                new DemoServer.Served("f.bin", new byte[64 * 1024], Long.MAX_VALUE / 2, -1)))) {
            Main.fromArgs(new String[] {"get", "--help"}, new ByteArrayInputStream(new byte[0]),
                    nowhere, nowhere);
            Main inner = new Main(new ByteArrayInputStream(new byte[0]), nowhere, nowhere,
                    new Terminal(true, 80));
            return inner.run("get", server.url("f.bin"), "-d", dir.toString(), "--sha256",
                    DemoCommand.sha256(new byte[64 * 1024]));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
