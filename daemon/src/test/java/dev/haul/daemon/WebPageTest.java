package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.queue.testing.FileServer;
import dev.haul.testing.LeakCheck;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, driven by Selenium): add a download, watch it progress through live
 * events and finish, pause and resume one, reorder, see a failure's reason, set the speed limit,
 * and keep screenshots in {@code target/}. Without Chromium the test fails (CI installs it):
 * {@code HAUL_CHROMIUM} and {@code HAUL_CHROMEDRIVER} point elsewhere.
 */
@ExtendWith(LeakCheck.class)
@LeakCheck.Options(threadPrefixes = {"haul", "file-server"}, checkFds = false)
@Timeout(120)
class WebPageTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final int MIB = 1024 * 1024;

    @TempDir
    Path tmp;
    FileServer files;
    TestDaemon d;
    WebDriver browser;
    WebDriverWait wait;

    static Path binary(String env, String... candidates) {
        String set = System.getenv(env);
        if (set != null && !set.isEmpty()) {
            return Path.of(set);
        }
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        throw new AssertionError("no " + candidates[0] + ": install Debian's chromium and "
                + "chromium-driver (apt-get install -y chromium chromium-driver; .ci/run does), "
                + "or set " + env);
    }

    @BeforeEach
    void start() throws Exception {
        Path chromium = binary("HAUL_CHROMIUM", "/usr/bin/chromium", "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome");
        Path driver = binary("HAUL_CHROMEDRIVER", "/usr/bin/chromedriver",
                "/usr/lib/chromium/chromedriver");
        files = FileServer.start();
        d = new TestDaemon(tmp);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--window-size=1200,800", "--no-first-run",
                "--user-data-dir=" + tmp.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(driver.toFile()).usingAnyFreePort()
                .withLogFile(new File("target/chromedriver.log")).build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(50));
        // a row removed between finding it and reading it: look again
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (d != null) {
            d.close();
        }
        if (files != null) {
            files.close();
        }
    }

    WebElement row(long id) {
        return browser.findElement(By.cssSelector("tr[data-id='" + id + "']"));
    }

    void awaitState(long id, String state) {
        wait.withMessage(() -> "job " + id + " to be " + state).until(b -> {
            List<WebElement> rows = b.findElements(By.cssSelector("tr[data-id='" + id + "']"));
            return !rows.isEmpty() && state.equals(rows.get(0).getAttribute("data-state"));
        });
    }

    double barPercent(long id) {
        String style = row(id).findElement(By.cssSelector(".bar > div")).getAttribute("style");
        String w = style.replaceAll(".*width:\\s*([0-9.]+)%.*", "$1");
        return Double.parseDouble(w);
    }

    void screenshot(String name) throws Exception {
        byte[] png = ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES);
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", name), png);
        assertTrue(png.length > 1000, "a real screenshot");
    }

    long onlyJob(String url) {
        JsonNode jobs = d.http.get("/api/v1/jobs?limit=1000").json().path("jobs");
        for (JsonNode j : jobs) {
            if (j.path("url").asText().equals(url)) {
                return j.path("id").asLong();
            }
        }
        throw new AssertionError("no job for " + url + " in " + jobs);
    }

    @Test
    void addWatchPauseResumeReorderAndFail() throws Exception {
        byte[] body = new byte[3 * MIB];
        new Random(11).nextBytes(body);
        files.file("/movie.bin", body).pace(MIB); // about 3 s: progress to watch
        browser.get(d.daemon.url() + "#token=" + TestDaemon.TOKEN);
        wait.withMessage("the live event stream").until(b -> b.findElement(
                By.id("connection")).getText().equals("live"));
        assertTrue(!browser.getCurrentUrl().contains(TestDaemon.TOKEN),
                "the token leaves the address bar");

        // add a download through the form
        String url = files.url("/movie.bin");
        browser.findElement(By.id("urls")).sendKeys(url);
        browser.findElement(By.id("add")).click();
        wait.until(b -> !b.findElements(By.cssSelector("tr[data-id]")).isEmpty());
        long id = onlyJob(url);
        // progress arrives by events: the page does not poll
        // part way, with over a second left at the server's pace: the pause below lands first
        wait.withMessage("a progress bar part way").until(b -> {
            double p = barPercent(id);
            return p > 5 && p < 60;
        });
        String speed = row(id).findElement(By.className("speed")).getText();
        assertTrue(speed.endsWith("/s"), "a speed: " + speed);
        screenshot("web-page-progress.png");

        // pause it, then resume it: it finishes from its part
        row(id).findElement(By.cssSelector("button[data-action='pause']")).click();
        awaitState(id, "paused");
        assertEquals("paused", d.http.get("/api/v1/jobs/" + id).json().path("state").asText());
        row(id).findElement(By.cssSelector("button[data-action='resume']")).click();
        awaitState(id, "completed");
        assertEquals(100.0, barPercent(id));
        assertArrayEquals(body, Files.readAllBytes(d.downloads.resolve("movie.bin")));
        assertEquals(2, files.requests("/movie.bin").size());
        assertTrue(files.requests("/movie.bin").get(1).range() != null, "resumed, not restarted");

        // several at once, paused, then reordered with the arrows
        files.pace(0);
        files.status("/gone.bin", 404);
        browser.findElement(By.id("add-paused")).click();
        browser.findElement(By.id("urls")).sendKeys(files.url("/one.txt") + "\n"
                + files.url("/two.txt"));
        browser.findElement(By.id("add")).click();
        wait.until(b -> b.findElements(By.cssSelector("tr[data-state='paused']")).size() == 2);
        long one = onlyJob(files.url("/one.txt"));
        long two = onlyJob(files.url("/two.txt"));
        row(two).findElement(By.cssSelector("button[data-action='up']")).click();
        wait.withMessage("two before one").until(b -> {
            List<WebElement> rows = b.findElements(By.cssSelector("tr[data-state='paused']"));
            return rows.size() == 2 && rows.get(0).getAttribute("data-id").equals("" + two);
        });
        JsonNode live = d.http.get("/api/v1/jobs?state=paused").json().path("jobs");
        assertEquals(two, live.get(0).path("id").asLong());
        assertEquals(one, live.get(1).path("id").asLong());

        // a failure shows its reason
        browser.findElement(By.id("add-paused")).click();
        browser.findElement(By.id("urls")).sendKeys(files.url("/gone.bin"));
        browser.findElement(By.id("add")).click();
        wait.until(b -> !b.findElements(By.cssSelector("tr[data-state='failed']")).isEmpty());
        String reason = browser.findElement(By.cssSelector("tr[data-state='failed'] .failure"))
                .getText();
        assertTrue(reason.contains("404"), reason);

        // the global speed limit
        WebElement limit = browser.findElement(By.id("speed-limit"));
        limit.clear();
        limit.sendKeys("512");
        browser.findElement(By.id("apply-limit")).click();
        wait.withMessage("the limit applied").until(b -> d.http.get("/api/v1/options").json()
                .path("maxBytesPerSecond").asLong() == 512 * 1024);

        // remove one
        row(one).findElement(By.cssSelector("button[data-action='remove']")).click();
        wait.until(b -> b.findElements(By.cssSelector("tr[data-id='" + one + "']")).isEmpty());
        assertEquals("removed", d.http.get("/api/v1/jobs/" + one).json().path("state")
                .asText());
        screenshot("web-page.png");
    }

    @Test
    void withoutTheTokenThePageAsksForIt() throws Exception {
        browser.get(d.daemon.url().toString());
        WebElement token = browser.findElement(By.id("token"));
        assertTrue(token.isDisplayed());
        token.sendKeys("wrong-token-0123456789");
        browser.findElement(By.cssSelector("#login-form button")).click();
        wait.withMessage("the refusal shown").until(b -> b.findElement(By.cssSelector(
                "#login .hint")).getText().contains("refused"));
        WebElement again = browser.findElement(By.id("token"));
        again.clear();
        again.sendKeys(TestDaemon.TOKEN);
        browser.findElement(By.cssSelector("#login-form button")).click();
        wait.until(b -> b.findElement(By.id("connection")).getText().equals("live"));
    }

    @Test
    void aFleetDaemonsPageShowsJobsThatAnotherDaemonRuns() throws Exception {
        byte[] body = new byte[3 * MIB];
        new Random(12).nextBytes(body);
        files.file("/fleet.bin", body).pace(MIB); // about 3 s on the other daemon
        try (dev.haul.queue.testing.Postgres db = dev.haul.queue.testing.Postgres.fresh();
             TestDaemon page = new TestDaemon(tmp.resolve("a"), Daemon.Settings.defaults()
                     .fleet(db.url(), "page-a", 8).limits(1, 0));
             TestDaemon runner = new TestDaemon(tmp.resolve("b"), Daemon.Settings.defaults()
                     .fleet(db.url(), "run-b", 8))) {
            browser.get(page.daemon.url() + "#token=" + TestDaemon.TOKEN);
            wait.withMessage("the live event stream").until(b -> b.findElement(
                    By.id("connection")).getText().equals("live"));
            // this daemon's one slot is taken by a download the server holds, so the job below
            // can only run on the other daemon: the page learns of it only through the shared
            // queue's notifications
            FileServer.Gate held = files.hold("/held.bin", 1);
            files.file("/held.bin", new byte[64 * 1024]);
            // (one connection: a job that names none holds 8 of the host's 8 over the fleet)
            long blocker = page.http.post("/api/v1/jobs", "{\"url\":\""
                    + files.url("/held.bin") + "\",\"connections\":1}").json().path("id")
                    .asLong();
            assertTrue(held.awaitHeld(WAIT), "page-a runs its own job");
            assertEquals("page-a", page.http.get("/api/v1/jobs/" + blocker).json()
                    .path("worker").asText());
            long id = runner.http.post("/api/v1/jobs", "{\"url\":\"" + files.url("/fleet.bin")
                    + "\"}").json().path("id").asLong();
            wait.withMessage("the row of a job added on run-b, running there").until(b -> {
                List<WebElement> rows = b.findElements(By.cssSelector("tr[data-id='" + id
                        + "']"));
                return !rows.isEmpty() && rows.get(0).findElement(By.className("worker"))
                        .getText().equals("on run-b");
            });
            wait.withMessage("its progress, by events").until(b -> barPercent(id) > 5);
            screenshot("web-page-fleet.png");
            awaitState(id, "completed");
            assertEquals(100.0, barPercent(id));
            assertArrayEquals(body, Files.readAllBytes(runner.downloads.resolve("fleet.bin")));
            assertEquals("", row(id).findElement(By.className("worker")).getText());
            held.release();
            awaitState(blocker, "completed");
        }
    }
}
