package dev.haul.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A client of a running daemon's API, found through its data directory: the address in
 * {@code DATA/daemon.url}, the token in {@code DATA/token}. What the CLI's client commands use.
 *
 * <pre>{@code
 * DaemonClient client = DaemonClient.find(SqliteJobStore.defaultDirectory());
 * JsonNode stats = client.call("GET", "/api/v1/stats", null);
 * }</pre>
 */
public final class DaemonClient {
    /** How long a request that is not a wait may take. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final String token;
    private final HttpClient http;

    /** Why a call did not succeed: the daemon's error, or no daemon at all. */
    public static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        /** The HTTP status, or 0 when no daemon answered. */
        private final int status;
        /** The API's error code, or {@code not_running}. */
        private final String code;

        Failure(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }

        /**
         * The HTTP status, or 0 when no daemon answered.
         *
         * @return the status
         */
        public int status() {
            return status;
        }

        /**
         * The API's error code ({@code job_not_found}, ...), or {@code not_running}.
         *
         * @return the code
         */
        public String code() {
            return code;
        }
    }

    /**
     * A client of the daemon at {@code base} with {@code token}.
     *
     * @param base the daemon's URL, such as {@code http://127.0.0.1:6801/}
     * @param token the API token
     */
    public DaemonClient(URI base, String token) {
        this.base = Objects.requireNonNull(base, "base");
        this.token = Objects.requireNonNull(token, "token");
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * The client of the daemon whose data directory is {@code dataDir}.
     *
     * @param dataDir the daemon's data directory
     * @return a client
     * @throws Failure {@code not_running} if no daemon has written its address there
     */
    public static DaemonClient find(Path dataDir) throws Failure {
        try {
            String url = Files.readString(dataDir.resolve(Daemon.URL_FILE),
                    StandardCharsets.US_ASCII).trim();
            String token = Files.readString(dataDir.resolve(TokenFile.NAME),
                    StandardCharsets.US_ASCII).trim();
            return new DaemonClient(URI.create(url), token);
        } catch (NoSuchFileException e) {
            throw notRunning(dataDir);
        } catch (IOException | IllegalArgumentException e) {
            throw new Failure(0, "not_running", "cannot read the daemon's address or token in "
                    + dataDir + ": " + e.getMessage());
        }
    }

    static Failure notRunning(Path dataDir) {
        return new Failure(0, "not_running", "no daemon is running for " + dataDir
                + "; start one with 'haul daemon start' (background) or 'haul daemon' "
                + "(foreground)");
    }

    /**
     * The daemon's URL.
     *
     * @return the base URL
     */
    public URI base() {
        return base;
    }

    /**
     * Calls the API and returns the JSON it answered.
     *
     * @param method the HTTP method
     * @param pathAndQuery such as {@code /api/v1/jobs?state=queued}
     * @param body a JSON body, or null
     * @return the answer
     * @throws Failure the daemon's error, or {@code not_running} if it does not answer
     * @throws InterruptedException if interrupted while waiting
     */
    public JsonNode call(String method, String pathAndQuery, JsonNode body)
            throws Failure, InterruptedException {
        return call(method, pathAndQuery, body, REQUEST_TIMEOUT);
    }

    /**
     * Calls the API with a timeout of its own (a wait), and returns the JSON it answered.
     *
     * @param method the HTTP method
     * @param pathAndQuery such as {@code /api/v1/jobs/3/wait?timeout=60}
     * @param body a JSON body, or null
     * @param timeout how long the answer may take
     * @return the answer
     * @throws Failure the daemon's error, or {@code not_running} if it does not answer
     * @throws InterruptedException if interrupted while waiting
     */
    public JsonNode call(String method, String pathAndQuery, JsonNode body, Duration timeout)
            throws Failure, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(pathAndQuery))
                .timeout(timeout)
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new Failure(0, "not_running", "no daemon answers at " + base
                    + " (it may have crashed); start one with 'haul daemon start'");
        } catch (HttpTimeoutException e) {
            throw new Failure(0, "timeout", "the daemon at " + base + " did not answer within "
                    + timeout.toSeconds() + " s");
        } catch (IOException e) {
            throw new Failure(0, "not_running", "cannot reach the daemon at " + base + ": " + e);
        }
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new Failure(r.statusCode(), "bad_answer", "the daemon answered "
                    + r.statusCode() + " with a body that is not JSON");
        }
        if (r.statusCode() >= 400) {
            JsonNode error = json == null ? null : json.path("error");
            throw new Failure(r.statusCode(), error == null ? "unknown" : error.path("code")
                    .asText("unknown"), error == null ? "HTTP " + r.statusCode()
                    : error.path("message").asText("HTTP " + r.statusCode()));
        }
        return json;
    }
}
