package dev.haul.cli;

import dev.haul.Destination;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import dev.haul.RetryPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
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
        description = {
            "Downloads URLs to a file, a directory or stdout.",
            "",
            "One URL goes to -o FILE ('-' for stdout); several go to -d DIR under names",
            "taken from their URLs. Each download is written to FILE.part and becomes FILE",
            "only when it is complete and verified: a failed or interrupted download leaves",
            "no FILE, and running the same command again resumes from the .part.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  haul get https://example.com/big.iso -o big.iso --sha256 9f86d0...",
            "  haul get https://example.com/a.zip https://example.com/b.zip -d downloads",
            "  haul get -i urls.txt -d mirror -j 8",
            "  haul get https://example.com/data.json -o - | jq ."})
final class GetCommand implements Callable<Integer> {

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
                    + "starting with # are skipped.")
    String input;

    @Option(names = {"-j", "--parallel"}, paramLabel = "N", defaultValue = "4",
            description =
                    "Downloads at once, and connections per host (default: ${DEFAULT-VALUE}).")
    int parallel;

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

        ProgressRenderer out = new ProgressRenderer(
                quiet ? ProgressRenderer.Mode.QUIET
                        : main.terminal.tty() ? ProgressRenderer.Mode.BARS
                        : ProgressRenderer.Mode.LINES,
                main.stderr, main.terminal.columns(), null);
        if (insecure) {
            out.error("haul: warning: --insecure: TLS certificates and host names are not verified;"
                    + " anyone on the network path can read or change these downloads");
        }
        Path directory = null;
        if (output == null) {
            directory = dir != null ? dir : Path.of(".");
            try {
                Files.createDirectories(directory);
            } catch (IOException e) {
                out.error("haul: error: cannot create directory " + directory + ": "
                        + e.getMessage());
                return ExitCode.LOCAL_IO.code;
            }
        }

        List<Job> jobs = new ArrayList<>();
        Set<Path> taken = new HashSet<>();
        for (String url : inputs) {
            jobs.add(job(url, headerMap, directory, taken, out));
        }

        Batch batch = new Batch(jobs, parallel, out);
        DownloadManager.Builder mb = DownloadManager.builder()
                .listener(batch)
                .maxConcurrentDownloads(parallel)
                .maxConnectionsPerHost(parallel)
                .insecure(insecure)
                .fsync(!noFsync);
        if (connectTimeout != null) {
            mb.connectTimeout(seconds(connectTimeout, "--connect-timeout"));
        }
        // The --insecure warning above already said what the library logs when the session starts.
        LibraryWarnings warnings =
                new LibraryWarnings(out, insecure ? Set.of("dev.haul.tls") : Set.of());
        try (DownloadManager manager = mb.build()) {
            return main.runInterruptibly(batch, manager).code;
        } finally {
            warnings.close();
        }
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
        if ("-".equals(output) && continueExisting) {
            throw usage("-c cannot continue stdout");
        }
        if (parallel < 1) {
            throw usage("-j must be at least 1, got " + parallel);
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

    private Job job(String url, Map<String, String> headerMap, Path directory, Set<Path> taken,
            ProgressRenderer out) {
        URI uri;
        DownloadRequest.Builder request;
        try {
            uri = new URI(url.strip());
            request = DownloadRequest.builder(uri);
            headerMap.forEach(request::header);
        } catch (URISyntaxException e) {
            return Job.failed(url, null,
                    new Job.Failure(ExitCode.USAGE, Urls.redact(url), "not a valid URL"));
        } catch (IllegalArgumentException e) {
            return Job.failed(url, null,
                    new Job.Failure(ExitCode.USAGE, Urls.redact(url), e.getMessage()));
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
        if (output != null) {
            Path file = Path.of(output);
            return Job.of(url, uri, String.valueOf(file.getFileName()), file, output, request,
                    Destination.file(file));
        }
        String name = FileNames.fromUrl(uri);
        if (contentDisposition) {
            return Job.named(url, uri, name, directory, request);
        }
        Path file;
        if (continueExisting && !taken.contains(FileNames.inside(directory, name))) {
            // -c: the existing file is the one to continue
            file = FileNames.inside(directory, name);
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
                Destination.file(file));
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
