package dev.haul.cli;

import dev.haul.Connections;
import dev.haul.Destination;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import dev.haul.RetryPolicy;
import dev.haul.Transport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code haul get}: downloads URLs to a file, a directory or stdout. */
@Command(name = "get",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        // one string per paragraph: picocli wraps each to the terminal's width
        description = {
            "Downloads URLs to a file, a directory or stdout.",
            "",
            "One URL goes to -o FILE ('-' for stdout); several go to -d DIR under names taken "
                    + "from their URLs. Each download is written to FILE.part and becomes FILE "
                    + "only when it is complete and verified: a failed or interrupted download "
                    + "leaves no FILE, and running the same command again resumes from the .part.",
            "",
            "Run it again until everything is there: with -d, the same command skips the files "
                    + "an earlier run finished from the same URLs (recorded in DIR/.haul-state; "
                    + "no request), resumes the .part files and downloads the rest. "
                    + "--skip-existing also leaves files from elsewhere alone; -N instead asks the "
                    + "server whether each file changed.",
            "",
            "Large files are fetched over several connections when the server proves it safe "
                    + "(-x, default auto), from mirrors too (--mirror).",
            "",
            "Proxies come from http_proxy, https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY and "
                    + "no_proxy/NO_PROXY, read as curl reads them (never HTTP_PROXY), or from "
                    + "--proxy and --noproxy.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  haul get https://example.com/big.iso -o big.iso --sha256 9f86d0...",
            "  haul get https://example.com/a.zip https://example.com/b.zip -d downloads",
            "  haul get https://a.example/x.iso --mirror https://b.example/x.iso -x 8 -o x.iso",
            "  haul get -i urls.txt -d mirror -j 8",
            "  haul get https://example.com/data.json -o - | jq .",
            "  haul get -i urls.txt -d mirror --limit-rate 2M   (a rerun skips finished files)",
            "  haul get -i urls.txt -d mirror -N                (fetch only what changed)",
            "  haul get URL -o f --proxy http://user:pw@proxy:3128 --noproxy localhost,10.0.0.0/8"})
final class GetCommand implements Callable<Integer> {
    /** The most connections -x takes: beyond this, servers refuse more than they serve. */
    static final int MAX_CONNECTIONS = 16;
    /**
     * Where -x auto stops adding connections: as far as -x goes, since auto adds connections
     * only while each brings its share (a server that does not cap connections keeps one or
     * two), and on one that caps each, 16 fetch 1 GiB in about half the time of 8.
     */
    static final int AUTO_CONNECTIONS = 16;

    @ParentCommand
    Main main;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "URL", arity = "0..*", description = "http or https URLs to download.")
    List<String> urls = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description =
                    "Write the one URL to FILE, replacing it on success; '-' writes to stdout.")
    String output;

    @Option(names = {"-d", "--dir"}, paramLabel = "DIR",
            description = "Save into DIR (created if missing), under names taken from the URLs; an "
                    + "existing file is never overwritten: NAME.1, NAME.2, ... are used instead. "
                    + "Default: the current directory.")
    Path dir;

    @Option(names = {"-J", "--content-disposition"},
            description = "Name each file as the server suggests in Content-Disposition (RFC 6266, "
                    + "filename* before filename), else after the last URL segment once redirects "
                    + "are followed. The name is made safe and stays inside DIR; a file of that "
                    + "name is replaced, atomically and only by a complete body. Not with -o or "
                    + "-c.")
    boolean contentDisposition;

    @Option(names = {"-i", "--input"}, paramLabel = "LIST",
            description = "Read URLs from LIST, one per line ('-' = stdin); blank lines and lines "
                    + "starting with # are skipped. Further URLs of the same file (mirrors) may "
                    + "follow on the line, separated by tabs.")
    String input;

    @Option(names = {"-j", "--parallel"}, paramLabel = "N", defaultValue = "4",
            description = "Downloads at once (default: ${DEFAULT-VALUE}); connections to one "
                    + "host: the larger of -j and -x.")
    int parallel;

    @Option(names = {"-x", "--connections"}, paramLabel = "N|auto", defaultValue = "auto",
            description = "Connections per file: N (1 to " + MAX_CONNECTIONS + ") or auto "
                    + "(default): start with one and add more while each added connection brings "
                    + "at least a third of an average connection's speed (1, 2, then 4 times as "
                    + "many while they scale), up to " + AUTO_CONNECTIONS + ". Auto keeps one or "
                    + "two connections where one is as fast (no load on a server for nothing) and "
                    + "goes wide where a server or a network path caps each connection. A file is "
                    + "split "
                    + "only when the server proves it safe (ranges, a length, a strong validator) "
                    + "and every piece is checked, so it cannot become a mix of two versions.")
    String connections;

    @Option(names = {"-k", "--min-split-size"}, paramLabel = "SIZE",
            description = "Split only files of at least SIZE over several connections; suffixes "
                    + "K, M, G are 1024-based (default: 4M).")
    String minSplitSize;

    @Option(names = "--mirror", paramLabel = "URL",
            description = "Another URL of the same file (repeatable; one URL only). haul fails "
                    + "over to it at once when a source fails, and fetches from several at once "
                    + "only when they prove they serve the same bytes (the same strong ETag, or "
                    + "the same size with --sha256 deciding). Credentials (-u, netrc) go to the "
                    + "first URL's host only. In an -i list, further URLs of the same file follow "
                    + "the first on its line, separated by tabs.")
    List<String> mirrors = new ArrayList<>();

    @Option(names = {"-H", "--header"}, paramLabel = "'Name: value'",
            description = "Send this request header (repeatable).")
    List<String> headers = new ArrayList<>();

    @Option(names = "--sha256", paramLabel = "HEX",
            description = "Fail unless the body has this SHA-256 digest (one URL only).")
    String sha256;

    @Option(names = "--retries", paramLabel = "N",
            description = "Retries after a failed attempt that made no progress (default: 3).")
    Integer retries;

    @Option(names = "--stall-timeout", paramLabel = "SECONDS",
            description =
                    "Abandon an attempt after this long without a byte, then retry (default: 10).")
    Double stallTimeout;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS",
            description = "Longest wait for a connection (default: 30).")
    Double connectTimeout;

    @Option(names = {"-c", "--continue"},
            description =
                    "Continue a partial file left at the output path by another tool, as wget -c. "
                    + "(Haul's own .part files resume without it.)")
    boolean continueExisting;

    @Option(names = {"-q", "--quiet"},
            description = "No progress and no notes; errors are still printed.")
    boolean quiet;

    @Option(names = "--insecure",
            description =
                    "Do not verify TLS certificates and host names (dangerous; prints a warning).")
    boolean insecure;

    @Option(names = "--no-fsync",
            description = "Do not force each finished file to disk before moving it into place "
                    + "(faster for many small files; a power loss may then leave a partial file).")
    boolean noFsync;

    @Option(names = "--skip-existing",
            description = "Leave a file that is already at the destination alone and count it as "
                    + "done, without a request (curl 8.10's name). For -d: the file named from the "
                    + "URL.")
    boolean skipExisting;

    @Option(names = {"-N", "--timestamping"},
            description = "Download only if the server's copy changed: ask with If-None-Match/"
                    + "If-Modified-Since from the ETag and Last-Modified haul recorded (or the "
                    + "file's time), keep the file on 304, else replace it atomically. For -d, an "
                    + "existing NAME from another tool is the copy to update, as wget -N.")
    boolean timestamping;

    @Option(names = "--no-remote-time",
            description = "Do not set a finished file's time from the server's Last-Modified "
                    + "(set by default, as wget does and curl -R).")
    boolean noRemoteTime;

    @Option(names = "--limit-rate", paramLabel = "RATE",
            description = "At most RATE bytes per second for all downloads of the run together "
                    + "(curl limits each transfer); suffixes K, M, G are 1024-based as in curl: "
                    + "500K, 2M, 1.5G. 0: no limit.")
    String limitRate;

    @Option(names = {"--proxy"}, paramLabel = "URL",
            description = "Use this proxy: http://[USER:PASS@]HOST[:PORT] (https goes through "
                    + "CONNECT), socks5://... (names resolved here) or socks5h://... (by the "
                    + "proxy). Credentials go to the proxy only. Default port 1080. '' for none. "
                    + "Overrides http_proxy, https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY, which "
                    + "are read as curl reads them.")
    String proxy;

    @Option(names = "--noproxy", paramLabel = "LIST",
            description = "Hosts to reach directly, as curl: comma-separated names (with their "
                    + "subdomains), IP addresses, CIDR ranges, or * for all. Overrides "
                    + "no_proxy/NO_PROXY; '' ignores them.")
    String noProxy;

    @Option(names = "--http2",
            description = "Use HTTP/2 where the server offers it (https, through ALPN), with the "
                    + "JDK's HTTP client. It cannot go through a SOCKS proxy: such downloads fail, "
                    + "never going direct.")
    boolean http2;

    @Option(names = {"-u", "--user"}, paramLabel = "USER[:PASSWORD]",
            description = "Send these Basic credentials to the URLs' hosts (never to another host "
                    + "after a redirect). Without :PASSWORD, haul asks on the terminal, or refuses "
                    + "without one.")
    String user;

    @Option(names = {"-n", "--netrc"},
            description =
                    "Take credentials for each host from ~/.netrc (as curl --netrc; -u wins).")
    boolean netrc;

    @Option(names = "--netrc-file", paramLabel = "FILE",
            description = "Take credentials for each host from FILE, in .netrc format.")
    Path netrcFile;

    @Option(names = {"-b", "--cookie"}, paramLabel = "FILE",
            description = "Send the cookies of this Netscape cookie file (curl -b, wget "
                    + "--load-cookies) where they belong: their own site only, Secure ones over "
                    + "https only, never expired.")
    Path cookieFile;

    @Option(names = "--cookie-jar", paramLabel = "FILE",
            description = "Write every cookie to FILE when the run ends, failed or not "
                    + "(owner-only, atomically). With -b FILE naming the same file, the jar is "
                    + "kept across runs.")
    Path cookieJar;

    @Option(names = "--cacert", paramLabel = "FILE",
            description =
                    "Trust the certificate authorities in this PEM file instead of the JDK's.")
    Path cacert;

    @Override
    public Integer call() {
        List<String> inputs = new ArrayList<>(urls);
        if (input != null) {
            try {
                inputs.addAll(readList(input));
            } catch (IOException e) {
                main.stderr.println("haul: error: cannot read " + input + ": "
                        + ProgressRenderer.oneLine(String.valueOf(e.getMessage())));
                return ExitCode.LOCAL_IO.code;
            }
        }
        validate(inputs);
        Map<String, String> headerMap = parseHeaders();
        long rate = rate();
        String authorization = authorization(headerMap);
        if (authorization != null) {
            headerMap.put("Authorization", authorization);
        }

        ProgressRenderer out = new ProgressRenderer(
                quiet ? ProgressRenderer.Mode.QUIET
                        : main.terminal.tty() ? ProgressRenderer.Mode.BARS
                        : ProgressRenderer.Mode.LINES,
                main.stderr, main.terminal.columns(), null);
        CookieFiles cookies;
        SSLContext trust;
        try {
            cookies = CookieFiles.open(cookieFile, cookieJar);
            trust = cacert == null ? null : CaCertificates.trusting(cacert);
        } catch (IllegalArgumentException e) {
            out.error("haul: error: " + ProgressRenderer.oneLine(e.getMessage()));
            return ExitCode.USAGE.code;
        }
        if (insecure) {
            out.error("haul: warning: --insecure: TLS certificates and host names are not verified;"
                    + " anyone on the network path can read or change these downloads");
        }
        Path directory = null;
        DirectoryState state = null;
        if (output == null) {
            directory = dir != null ? dir : Path.of(".");
            try {
                Files.createDirectories(directory);
            } catch (IOException e) {
                out.error("haul: error: cannot create directory " + directory + ": "
                        + e.getMessage());
                return ExitCode.LOCAL_IO.code;
            }
            state = DirectoryState.load(directory);
            if (state.ignoredBecause() != null) {
                out.error("haul: warning: ignoring " + state.file() + ", which is "
                        + state.ignoredBecause() + ": files already in " + directory
                        + " count as someone else's");
            }
        }

        List<Job> jobs = new ArrayList<>();
        Set<Path> taken = new HashSet<>();
        for (String url : inputs) {
            jobs.add(job(url, headerMap, directory, state, taken, out));
        }

        Batch batch = new Batch(jobs, parallel, out);
        batch.http2(http2);
        DownloadManager.Builder mb = DownloadManager.builder()
                .listener(batch)
                .maxConcurrentDownloads(parallel)
                // one download may use -x connections; -j downloads share them per host
                .maxConnectionsPerHost(Math.max(parallel, connections().max()))
                .connections(connections())
                .splitThreshold(splitThreshold())
                .insecure(insecure)
                .fsync(!noFsync)
                .maxBytesPerSecond(rate);
        if (connectTimeout != null) {
            mb.connectTimeout(seconds(connectTimeout, "--connect-timeout"));
        }
        if (trust != null) {
            mb.sslContext(trust);
        }
        if (http2) {
            mb.transport(Transport.JDK).httpVersion(HttpClient.Version.HTTP_2);
        }
        if (!"".equals(proxy)) {          // --proxy '' means no proxy at all, as in curl
            mb.proxyFromEnvironment(main.env);
            if (proxy != null) {
                mb.proxy(proxy);
            }
            if (noProxy != null) {
                mb.noProxy(noProxy);
            }
        }
        Path netrcPath = netrcPath();
        if (netrcPath != null) {
            mb.netrc(netrcPath);
        }
        if (cookies != null) {
            mb.cookieJar(cookies.jar());
        }
        // The --insecure warning above already said what the library logs when the session starts.
        LibraryWarnings warnings =
                new LibraryWarnings(out, insecure ? Set.of("dev.haul.tls") : Set.of());
        DownloadManager manager;
        try {
            manager = mb.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            warnings.close();
            out.error("haul: error: " + ProgressRenderer.oneLine(String.valueOf(e.getMessage())));
            return ExitCode.USAGE.code;
        }
        ExitCode code = ExitCode.OTHER;
        try (manager) {
            if (manager.maxBytesPerSecond() > 0) {
                out.info("haul: note: --limit-rate: at most "
                        + Units.rate((double) manager.maxBytesPerSecond())
                        + " for all downloads of this run together");
            }
            main.managerStarted(manager);
            code = main.runInterruptibly(batch, manager);
        } finally {
            warnings.close();
            // after close(): every Set-Cookie is in
            code = saveAfterRun(cookies, state, code, out);
        }
        return code.code;
    }

    /**
     * Writes what must outlive the run, also after failures and Ctrl-C: the cookie jar and the
     * directory's state. A cookie jar that cannot be written fails an otherwise good run (exit 6).
     */
    private ExitCode saveAfterRun(CookieFiles cookies, DirectoryState state, ExitCode code,
            ProgressRenderer out) {
        if (state != null) {
            try {
                state.compact();
            } catch (IOException | RuntimeException e) {
                out.error("haul: warning: cannot tidy " + state.file() + ": "
                        + ProgressRenderer.oneLine(String.valueOf(e.getMessage())));
            }
        }
        if (cookies != null && cookies.writeTo() != null) {
            try {
                cookies.save();
            } catch (IOException | RuntimeException e) {
                out.error("haul: error: cannot write cookie jar " + cookies.writeTo() + ": "
                        + ProgressRenderer.oneLine(String.valueOf(e.getMessage())));
                return code == ExitCode.OK ? ExitCode.LOCAL_IO : code;
            }
        }
        return code;
    }

    /** {@code -x}: a number of connections, or auto. */
    private Connections connections() {
        String v = connections.strip();
        if (v.equalsIgnoreCase("auto")) {
            return Connections.adaptive(AUTO_CONNECTIONS);
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > MAX_CONNECTIONS) {
            throw usage("-x wants a number of connections from 1 to " + MAX_CONNECTIONS
                    + ", or auto; got '" + connections + "'");
        }
        return Connections.fixed(n);
    }

    /** {@code -k}: the smallest file split over several connections. */
    private long splitThreshold() {
        if (minSplitSize == null) {
            return DownloadManager.DEFAULT_SPLIT_THRESHOLD;
        }
        try {
            return RateLimit.parse(minSplitSize.strip());
        } catch (IllegalArgumentException e) {
            throw usage("-k wants a size such as 1M or 512K, got '" + minSplitSize + "'");
        }
    }

    /** The shared limit in bytes per second; 0 for none. */
    private long rate() {
        if (limitRate == null) {
            return 0;
        }
        try {
            return RateLimit.parse(limitRate.strip());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /**
     * {@code -u}: the Authorization header, unless {@code -H} sets one (a custom header wins, as in
     * curl).
     */
    private String authorization(Map<String, String> headerMap) {
        if (user == null
                || headerMap.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Authorization"))) {
            return null;
        }
        int colon = user.indexOf(':');
        String name = colon < 0 ? user : user.substring(0, colon);
        String password;
        if (colon >= 0) {
            password = user.substring(colon + 1);
        } else if (main.passwordPrompt != null) {
            char[] typed = main.passwordPrompt.read(
                    "Enter host password for user '" + ProgressRenderer.oneLine(name) + "':");
            if (typed == null) {
                throw usage("-u " + name + ": no password was typed");
            }
            password = new String(typed);
            java.util.Arrays.fill(typed, '\0');
        } else {
            throw usage("-u " + name + " has no password and there is no terminal to ask for one: "
                    + "write -u " + name + ":PASSWORD, or use --netrc-file");
        }
        if (name.isEmpty()) {
            throw usage("-u wants USER[:PASSWORD], with a user name");
        }
        if ((name + password).chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw usage("-u: control characters cannot be sent in credentials");
        }
        return "Basic " + Base64.getEncoder()
                .encodeToString((name + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The netrc file to read, or null: {@code --netrc-file}, else {@code ~/.netrc} for
     * {@code --netrc}.
     */
    private Path netrcPath() {
        if (netrcFile != null) {
            return netrcFile;
        }
        if (!netrc) {
            return null;
        }
        String home = main.env.get("HOME");
        if (home == null || home.isEmpty()) {
            home = System.getProperty("user.home");
        }
        return Path.of(home, ".netrc");
    }

    private void validate(List<String> inputs) {
        if (inputs.isEmpty()) {
            throw usage("no URL given: name one or more URLs, or -i LIST");
        }
        if (output != null && dir != null) {
            throw usage("use either -o FILE or -d DIR, not both");
        }
        if (output != null && inputs.size() > 1) {
            throw usage("-o takes one URL, got " + inputs.size() + "; use -d DIR for several");
        }
        if (sha256 != null && inputs.size() > 1) {
            throw usage("--sha256 checks one URL, got " + inputs.size());
        }
        if (sha256 != null && !sha256.strip().matches("[0-9a-fA-F]{64}")) {
            throw usage("--sha256 wants 64 hex digits, got '" + sha256 + "'");
        }
        if (contentDisposition && output != null) {
            throw usage("-J names the files from the server; use -d DIR instead of -o");
        }
        if (contentDisposition && continueExisting) {
            throw usage("-J and -c cannot be combined: the name is not known before the response");
        }
        if (contentDisposition && skipExisting) {
            throw usage("-J and --skip-existing cannot be combined: the name is not known before"
                    + " the response");
        }
        if ("-".equals(output) && (continueExisting || skipExisting || timestamping)) {
            throw usage((continueExisting ? "-c" : skipExisting ? "--skip-existing" : "-N")
                    + " needs a file: it cannot apply to stdout");
        }
        if (timestamping && (continueExisting || skipExisting)) {
            throw usage("-N cannot be combined with "
                    + (continueExisting ? "-c" : "--skip-existing")
                    + ": -N asks the server whether the file changed");
        }
        if (skipExisting && continueExisting) {
            throw usage("--skip-existing and -c cannot be combined: one leaves an existing file"
                    + " alone, the other continues it");
        }
        if (parallel < 1) {
            throw usage("-j must be at least 1, got " + parallel);
        }
        connections();
        splitThreshold();
        if (!mirrors.isEmpty() && inputs.size() > 1) {
            throw usage("--mirror names other URLs of one file, got " + inputs.size() + " URLs;"
                    + " in an -i list, put a file's mirrors on its line, separated by tabs");
        }
        if (retries != null && retries < 0) {
            throw usage("--retries must be 0 or more, got " + retries);
        }
        if (stallTimeout != null) {
            seconds(stallTimeout, "--stall-timeout");
        }
        if (connectTimeout != null) {
            seconds(connectTimeout, "--connect-timeout");
        }
        if (netrc && netrcFile != null) {
            throw usage("use either --netrc or --netrc-file FILE, not both");
        }
        if (proxy != null && !proxy.isEmpty()) {
            try {
                // checks it now, naming the bad value without credentials
                DownloadManager.builder().proxy(proxy);
            } catch (IllegalArgumentException e) {
                throw usage("--proxy: " + e.getMessage());
            }
            if (http2 && proxy.strip().toLowerCase(java.util.Locale.ROOT).startsWith("socks")) {
                throw usage("--http2 cannot go through a SOCKS proxy: it uses the JDK's HTTP"
                        + " client, which has no SOCKS support. Drop --http2, or use an http://"
                        + " proxy");
            }
        }
    }

    private Map<String, String> parseHeaders() {
        Map<String, String> map = new LinkedHashMap<>();
        for (String h : headers) {
            int colon = h.indexOf(':');
            String name = colon < 0 ? "" : h.substring(0, colon).strip();
            if (name.isEmpty()) {
                throw usage("-H wants 'Name: value', got '" + h + "'");
            }
            map.put(name, h.substring(colon + 1).strip());
        }
        return map;
    }

    private Job job(String line, Map<String, String> headerMap, Path directory,
            DirectoryState state, Set<Path> taken, ProgressRenderer out) {
        // an -i line: the URL, then other URLs of the same file after tabs (as aria2c's lists)
        String[] fields = line.split("\t", -1);
        String url = fields[0].strip();
        List<String> others = new ArrayList<>(mirrors);
        for (int i = 1; i < fields.length; i++) {
            if (!fields[i].isBlank()) {
                others.add(fields[i].strip());
            }
        }
        URI uri;
        DownloadRequest.Builder request;
        try {
            uri = new URI(url);
            request = DownloadRequest.builder(uri);
            headerMap.forEach(request::header);
        } catch (URISyntaxException e) {
            return Job.failed(url, null,
                    new Job.Failure(ExitCode.USAGE, Urls.redact(url), "not a valid URL"));
        } catch (IllegalArgumentException e) {
            return Job.failed(url, null,
                    new Job.Failure(ExitCode.USAGE, Urls.redact(url), e.getMessage()));
        }
        for (String other : others) {
            try {
                request.mirror(other);
            } catch (IllegalArgumentException e) {
                return Job.failed(url, uri, new Job.Failure(ExitCode.USAGE, Urls.redact(url),
                        "mirror " + Urls.redact(other) + ": " + e.getMessage()));
            }
        }
        if (sha256 != null) {
            request.expectedSha256(sha256.strip());
        }
        if (retries != null) {
            request.retryPolicy(RetryPolicy.ofRetries(retries));
        }
        if (stallTimeout != null) {
            request.stallTimeout(seconds(stallTimeout, "--stall-timeout"));
        }
        request.continueExisting(continueExisting);

        if ("-".equals(output)) {
            return Job.of(url, uri, FileNames.fromUrl(uri), null, "stdout", request,
                    Destination.stream(main.stdout::write));
        }
        request.remoteTime(!noRemoteTime);
        if (output != null) {
            Path file = Path.of(output);
            String label = String.valueOf(file.getFileName());
            if (skipExisting && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return Job.skipped(url, uri, label, file, output,
                        "already there: " + output + " (--skip-existing)");
            }
            if (timestamping && Files.isRegularFile(file)) {
                sinceFileTime(request, file);
            }
            return Job.of(url, uri, label, file, output, request, Destination.file(file));
        }
        String name = FileNames.fromUrl(uri);
        String hash = DirectoryState.urlHash(uri);
        DirectoryState.Entry mine = state.finished(hash, taken);
        if (mine != null) {
            // A file this directory's earlier run finished from this same URL, still as it was
            // left.
            Path file = FileNames.inside(directory, mine.name());
            taken.add(file);
            String shown = String.valueOf(directory.resolve(mine.name()));
            if (!timestamping) {
                return Job.skipped(url, uri, mine.name(), file, shown, "already there: " + shown
                        + " (finished by an earlier run from this URL; -N checks for a newer"
                        + " copy)");
            }
            if (!mine.etag().isEmpty()) {
                request.ifNoneMatch(mine.etag());
            }
            if (mine.lastModified() != null) {
                request.ifModifiedSince(mine.lastModified());
            } else if (mine.etag().isEmpty()) {
                sinceFileTime(request, file);
            }
            return Job.of(url, uri, mine.name(), file, shown, request, Destination.file(file))
                    .recordIn(state, hash);
        }
        if (contentDisposition) {
            return Job.named(url, uri, name, directory, request).recordIn(state, hash);
        }
        Path plain = FileNames.inside(directory, name);
        boolean free = !taken.contains(plain);
        if (skipExisting && free && Files.exists(plain, LinkOption.NOFOLLOW_LINKS)) {
            taken.add(plain);
            String shown = String.valueOf(directory.resolve(name));
            return Job.skipped(url, uri, name, plain, shown,
                    "already there: " + shown + " (--skip-existing)");
        }
        Path file;
        if (timestamping && free && Files.isRegularFile(plain, LinkOption.NOFOLLOW_LINKS)
                && !state.recordedForAnother(name, hash)) {
            // -N: the existing NAME is the copy to update, as wget -N
            file = plain;
            sinceFileTime(request, file);
        } else if (continueExisting && free) {
            // -c: the existing file is the one to continue
            file = plain;
        } else {
            file = FileNames.freePath(directory, name, taken);
            if (file == null) {
                return Job.failed(url, uri, new Job.Failure(ExitCode.LOCAL_IO, Urls.redact(uri),
                        "no free file name: " + directory.resolve(name) + " and " + name + ".1 to ."
                                + FileNames.MAX_SUFFIX + " exist"));
            }
        }
        taken.add(file);
        String shown = String.valueOf(directory.resolve(file.getFileName()));
        if (!file.getFileName().toString().equals(name)) {
            out.error("haul: note: " + directory.resolve(name) + " is taken; saving "
                    + Urls.redact(uri) + " as " + shown);
        }
        return Job.of(url, uri, file.getFileName().toString(), file, shown, request,
                Destination.file(file)).recordIn(state, hash);
    }

    /**
     * -N without recorded validators: If-Modified-Since the file's own time, as wget -N and
     * curl -z.
     */
    private static void sinceFileTime(DownloadRequest.Builder request, Path file) {
        try {
            request.ifModifiedSince(Files.getLastModifiedTime(file).toInstant());
        } catch (IOException e) {
            // no time to compare with: download it
        }
    }

    private List<String> readList(String list) throws IOException {
        BufferedReader reader = "-".equals(list)
                ? new BufferedReader(new InputStreamReader(main.stdin, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(list), StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        try (reader) {
            for (String line; (line = reader.readLine()) != null; ) {
                String s = line.strip();
                if (!s.isEmpty() && !s.startsWith("#")) {
                    lines.add(s);
                }
            }
        }
        return lines;
    }

    private Duration seconds(double s, String flag) {
        if (!(s > 0) || Double.isInfinite(s) || s > 1e9) {
            throw usage(flag + " wants a positive number of seconds, got " + s);
        }
        return Duration.ofNanos((long) (s * 1e9));
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
