package dev.haul.cli;

import dev.haul.DownloadException;

/**
 * The process exit codes: one per kind of failure, so that scripts can tell "the server said no"
 * from "the network broke" from "the bytes were wrong" from "the disk is the problem".
 *
 * <p>A run with several downloads exits with the code of the first one that failed, in input order.
 * Keep this table in step with {@code docs/cli.md} and the {@code --help} text.
 */
enum ExitCode {
    OK(0, "every download succeeded"),
    OTHER(1, "an unexpected failure (a bug: please report it)"),
    USAGE(2, "bad flags or arguments; an unusable URL, header, netrc/cookie/CA file"),
    HTTP(3, "the server answered with an error status (404, 403, 500, ...)"),
    NETWORK(4, "connect failure, lost connection, timeout, stall, protocol, proxy"),
    INTEGRITY(5, "the body did not match --sha256 (or its announced size)"),
    LOCAL_IO(6, "local I/O: directory missing, disk full, no free name, stdout closed"),
    SECURITY(7, "TLS failure, or refused by policy (https->http, too many redirects)"),
    CANCELLED(8, "cancelled"),
    INTERRUPTED(130, "interrupted (Ctrl-C); run the same command again to resume");

    final int code;
    final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The exit code for a failure of this kind. */
    static ExitCode of(DownloadException.Reason reason) {
        return switch (reason) {
            case HTTP_STATUS, HTTP_TRANSIENT -> HTTP;
            case CONNECT, PROXY, NETWORK, TIMEOUT, STALLED, DEADLINE, PROTOCOL, CANNOT_RESUME ->
                    NETWORK;
            case INTEGRITY, TOO_LARGE -> INTEGRITY;
            // CALLBACK_FAILED: the CLI's only callback writes to stdout
            case LOCAL_IO, DESTINATION_BUSY, CALLBACK_FAILED -> LOCAL_IO;
            case TLS, POLICY -> SECURITY;
            default -> OTHER;
        };
    }

    /** The lines of the exit-code table in {@code --help}. */
    static String[] helpLines() {
        ExitCode[] all = values();
        String[] lines = new String[all.length];
        for (int i = 0; i < all.length; i++) {
            lines[i] = all[i].code + ":" + all[i].meaning;
        }
        return lines;
    }
}
