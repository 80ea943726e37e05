package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code --netrc}, {@code --netrc-file}, {@code -u} and the cookie files, with hostile contents. */
@ExtendWith(LeakCheck.class)
@Timeout(30)
class CredentialsTest {

    @TempDir
    Path dir;

    private FaultServer server;

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
        server.handle("/f", ServeBytes.of("body".getBytes(StandardCharsets.UTF_8)));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The same server under another name: another origin for credentials and cookies. */
    private String viaLocalhost(String path) {
        return "http://localhost:" + server.port() + path;
    }

    /**
     * The one request for {@code path} that came to {@code host}: downloads run in parallel, so
     * the order in which requests arrive says nothing.
     */
    private RecordedRequest requestTo(String host, String path) {
        List<RecordedRequest> matching = server.requests(path).stream()
                .filter(r -> (host + ":" + server.port()).equals(r.header("Host")))
                .toList();
        assertEquals(1, matching.size(), () -> host + path + " in " + server.requests(path));
        return matching.get(0);
    }

    private Path out() {
        return dir.resolve("out");
    }

    private static void assertNoSecret(CliRun run, String... secrets) {
        for (String s : secrets) {
            assertFalse(run.stderr().contains(s), "'" + s + "' shown: " + run);
        }
    }

    // ---------------------------------------------------------------- netrc

    @Test
    void aNetrcFileGivesEachHostItsOwnEntryAndTheDefaultToTheRest() throws Exception {
        Path netrc = Files.writeString(dir.resolve("netrc"), "# comment with password nope\n"
                + "machine other.example login x password other-pw\n"
                + "default login anyone password default-pw\n"
                + "machine 127.0.0.1\n  login alice\n  password \"s3 cret\"\n");

        CliRun run = CliRun.of("get", server.url("/f"), viaLocalhost("/f"), "-d", out().toString(),
                "--netrc-file", netrc.toString());

        assertEquals(0, run.code(), run::toString);
        assertEquals(basic("alice", "s3 cret"), requestTo("127.0.0.1", "/f").header("Authorization"),
                "the machine entry wins over a default placed before it");
        assertEquals(basic("anyone", "default-pw"), requestTo("localhost", "/f").header("Authorization"),
                "curl's rule: default applies to every other host");
        assertNoSecret(run, "s3 cret", "default-pw", "other-pw");
    }

    @Test
    void netrcReadsHomeFromTheEnvironmentAndDashUWinsOverIt() throws Exception {
        Path home = Files.createDirectory(dir.resolve("home"));
        Files.writeString(home.resolve(".netrc"), "machine 127.0.0.1 login alice password from-netrc\n");
        Map<String, String> env = Map.of("HOME", home.toString());

        CliRun run = CliRun.withEnv(env, "get", server.url("/f"), "-o", out().toString(), "-q", "--netrc");
        assertEquals(0, run.code(), run::toString);
        assertEquals(basic("alice", "from-netrc"), server.lastRequest("/f").header("Authorization"));

        CliRun user = CliRun.withEnv(env, "get", server.url("/f"), "-o", out().toString(), "-q", "--netrc",
                "-u", "bob:typed");
        assertEquals(0, user.code(), user::toString);
        assertEquals(basic("bob", "typed"), server.lastRequest("/f").header("Authorization"));
    }

    @Test
    void aNetrcThatCannotBeUsedIsAUsageErrorThatNeverShowsThePassword() throws Exception {
        Path torn = Files.writeString(dir.resolve("torn"), "machine 127.0.0.1 login u password \"hunter2\n");
        Path folder = Files.createDirectory(dir.resolve("folder"));
        Path home = Files.createDirectory(dir.resolve("emptyhome"));
        String[][] cases = {
            {"--netrc-file", torn.toString()},
            {"--netrc-file", folder.toString()},
            {"--netrc-file", dir.resolve("missing").toString()},
            {"--netrc"},
        };
        for (String[] flags : cases) {
            String[] args = new String[4 + flags.length];
            System.arraycopy(new String[] {"get", server.url("/f"), "-o", out().toString()}, 0, args, 0, 4);
            System.arraycopy(flags, 0, args, 4, flags.length);
            CliRun run = CliRun.withEnv(Map.of("HOME", home.toString()), args);
            assertEquals(ExitCode.USAGE.code, run.code(), String.join(" ", flags) + ": " + run);
            assertEquals(1, run.stderrLines().size(), run::toString);
            assertTrue(run.stderr().contains("netrc"), run::toString);
            assertNoSecret(run, "hunter2");
        }
        assertEquals(List.of(), server.requests(), "nothing is fetched without the credentials asked for");
    }

    // ---------------------------------------------------------------- -u

    @Test
    void dashUSendsBasicToTheHostAndNotAfterARedirectToAnother() throws Exception {
        server.always("/away", Responses.redirect(302, viaLocalhost("/f")));

        CliRun run = CliRun.of("get", server.url("/f"), server.url("/away"), "-d", out().toString(), "-q",
                "-u", "alice:pa:ss");

        assertEquals(0, run.code(), run::toString);
        assertEquals(basic("alice", "pa:ss"), requestTo("127.0.0.1", "/f").header("Authorization"),
                "the password is everything after the first colon");
        assertEquals(basic("alice", "pa:ss"), server.lastRequest("/away").header("Authorization"));
        assertNull(requestTo("localhost", "/f").header("Authorization"),
                "not to another origin after a redirect");
        assertNoSecret(run, "pa:ss");
    }

    @Test
    void aHeaderOfTheUsersOwnWinsOverDashU() throws Exception {
        CliRun run = CliRun.of("get", server.url("/f"), "-o", out().toString(), "-q", "-u", "alice:pw",
                "-H", "Authorization: Bearer t");

        assertEquals(0, run.code(), run::toString);
        assertEquals("Bearer t", server.lastRequest("/f").header("Authorization"));
    }

    @Test
    void dashUWithoutAPasswordAndNoTerminalIsAUsageError() {
        CliRun run = CliRun.of("get", server.url("/f"), "-o", out().toString(), "-u", "alice");

        assertEquals(ExitCode.USAGE.code, run.code(), run::toString);
        assertEquals(1, run.stderrLines().size(), run::toString);
        assertTrue(run.stderr().contains("-u alice:PASSWORD"), run::toString);
        assertEquals(List.of(), server.requests());
    }

    @Test
    void dashUWithoutAPasswordAsksTheTerminal() throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        List<String> prompts = new java.util.ArrayList<>();
        Main main = new Main(new java.io.ByteArrayInputStream(new byte[0]), new java.io.ByteArrayOutputStream(),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8), Terminal.NONE, Map.of(),
                prompt -> {
                    prompts.add(prompt);
                    return "typed".toCharArray();
                });

        int code = main.run("get", server.url("/f"), "-o", out().toString(), "-q", "-u", "alice");

        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertEquals(List.of("Enter host password for user 'alice':"), prompts);
        assertEquals(basic("alice", "typed"), server.lastRequest("/f").header("Authorization"));
    }

    // ---------------------------------------------------------------- cookies

    @Test
    void aHostileCookieFileSendsOnlyWhatBelongsAndTheJarIsWrittenOwnerOnly() throws Exception {
        long future = Instant.now().plus(Duration.ofDays(30)).getEpochSecond();
        Path cookies = Files.writeString(dir.resolve("cookies.txt"), "# Netscape HTTP Cookie File\n"
                + "127.0.0.1\tFALSE\t/\tFALSE\t" + future + "\tsession\tabc\n"
                + "127.0.0.1\tFALSE\t/\tTRUE\t" + future + "\tsecure\thttps-only\n"
                + "other.example\tFALSE\t/\tFALSE\t" + future + "\tforeign\tno\n"
                + ".0.0.1\tTRUE\t/\tFALSE\t" + future + "\tsuffix\tno\n"
                + "127.0.0.1\tFALSE\t/\tFALSE\t1\texpired\told\n"
                + "127.0.0.1\tFALSE\t/private\tFALSE\t" + future + "\tpathonly\tno\n"
                + "garbage line without tabs\n"
                + "127.0.0.1\tFALSE\t/\tFALSE\tnot-a-number\tbad\tno\n"
                + "\0\0\0binary\n");
        server.always("/set", Responses.ok("x").withHeader("Set-Cookie", "fresh=1; Path=/")
                .withHeader("Set-Cookie", "evil=1; Domain=other.example"));
        Path jar = dir.resolve("jar.txt");

        CliRun run = CliRun.of("get", server.url("/f"), server.url("/set"), "-d", out().toString(), "-q", "-j", "1",
                "-b", cookies.toString(), "--cookie-jar", jar.toString());

        assertEquals(0, run.code(), run::toString);
        assertEquals("session=abc", server.lastRequest("/f").header("Cookie"),
                "not Secure over http, not another site's, not expired, not another path");
        String saved = Files.readString(jar);
        assertTrue(saved.contains("\tfresh\t1") && saved.contains("\tsession\tabc"), saved);
        assertFalse(saved.contains("evil") || saved.contains("expired"), saved);
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(jar), "never readable by others");
    }

    @Test
    void theJarIsWrittenAfterAFailedRunAndCarriesCookiesToTheNextRun() throws Exception {
        server.always("/login", Responses.status(403).withHeader("Set-Cookie", "sid=42; Path=/"));
        Path jar = dir.resolve("jar.txt");   // missing: the first run of -b jar --cookie-jar jar

        CliRun first = CliRun.of("get", server.url("/login"), "-o", out().toString(), "-q",
                "-b", jar.toString(), "--cookie-jar", jar.toString());
        assertEquals(ExitCode.HTTP.code, first.code(), first::toString);
        assertTrue(Files.readString(jar).contains("\tsid\t42"), "written though the run failed");

        CliRun second = CliRun.of("get", server.url("/f"), "-o", out().toString(), "-q", "-b", jar.toString());
        assertEquals(0, second.code(), second::toString);
        assertEquals("sid=42", server.lastRequest("/f").header("Cookie"));
    }

    @Test
    void aCookieFileThatCannotBeReadIsAUsageError() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("folder"));
        for (Path p : new Path[] {folder, dir.resolve("missing.txt")}) {
            CliRun run = CliRun.of("get", server.url("/f"), "-o", out().toString(), "-b", p.toString());
            assertEquals(ExitCode.USAGE.code, run.code(), run::toString);
            assertEquals(1, run.stderrLines().size(), run::toString);
            assertTrue(run.stderr().contains("cookie file " + p), run::toString);
        }
        assertEquals(List.of(), server.requests());
    }

    @Test
    void aCookieJarThatCannotBeWrittenFailsAnOtherwiseGoodRun() throws Exception {
        Path jar = dir.resolve("no-such-dir").resolve("jar.txt");

        CliRun run = CliRun.of("get", server.url("/f"), "-o", out().toString(), "-q", "--cookie-jar", jar.toString());

        assertEquals(ExitCode.LOCAL_IO.code, run.code(), run::toString);
        assertEquals(1, run.errors().size(), run::toString);
        assertTrue(run.errors().get(0).contains("cookie jar " + jar), run::toString);
        assertEquals("body", Files.readString(out()), "the download itself is done");
    }
}
