package dev.haul.internal.http;

import java.net.http.HttpHeaders;

/**
 * The final response head of an exchange.
 *
 * @param protocol      {@code "HTTP/1.1"}, {@code "HTTP/1.0"} or {@code "HTTP/2"}
 * @param status        the status code, 200–599 (a 1xx is never returned)
 * @param headers       the header fields, names case-insensitive, values in arrival order
 * @param contentLength the body length from a valid Content-Length, or -1 (chunked,
 *                      close-delimited, or unknown); 0 for HEAD and for 204 and 304 responses
 */
public record ResponseHead(String protocol, int status, HttpHeaders headers, long contentLength) {

    /** The first value of {@code name}, or null. */
    public String header(String name) {
        return headers.firstValue(name).orElse(null);
    }
}
