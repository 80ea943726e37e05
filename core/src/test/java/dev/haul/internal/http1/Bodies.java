package dev.haul.internal.http1;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.HttpTransport;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.http.TransportConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;

/** Small helpers the transport tests share: read a whole body, run one GET. */
final class Bodies {
    /** A generous connect timeout: loopback connects in microseconds, CI machines stall. */
    static final TransportConfig DIRECT = TransportConfig.direct(Duration.ofSeconds(5));

    private Bodies() {
    }

    /** Reads the rest of the body through a buffer of {@code bufferBytes} (direct when large). */
    static byte[] readAll(Exchange exchange, int bufferBytes) throws IOException {
        ByteBuffer buffer = bufferBytes >= 4096 ? ByteBuffer.allocateDirect(bufferBytes)
                : ByteBuffer.allocate(bufferBytes);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] copy = new byte[bufferBytes];
        while (true) {
            buffer.clear();
            int n = exchange.read(buffer);
            if (n < 0) {
                return out.toByteArray();
            }
            if (n == 0) {
                throw new AssertionError("read() returned 0 with room in the buffer");
            }
            if (n != buffer.position()) {
                throw new AssertionError("read() returned " + n + " but put " + buffer.position());
            }
            buffer.flip();
            buffer.get(copy, 0, n);
            out.write(copy, 0, n);
        }
    }

    static byte[] readAll(Exchange exchange) throws IOException {
        return readAll(exchange, 256 * 1024);
    }

    /** The outcome of one exchange: its head and body. */
    record Result(ResponseHead head, byte[] body) {
    }

    /** Sends a GET, reads the body to its end and closes the exchange. */
    static Result get(HttpTransport transport, URI uri, String... headers) throws IOException {
        return run(transport, ExchangeRequest.get(uri), headers);
    }

    /** Sends a HEAD and closes the exchange. */
    static Result head(HttpTransport transport, URI uri, String... headers) throws IOException {
        return run(transport, ExchangeRequest.head(uri), headers);
    }

    private static Result run(HttpTransport transport, ExchangeRequest.Builder builder,
            String... headers) throws IOException {
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        try (Exchange exchange = transport.newExchange(builder.build())) {
            ResponseHead head = exchange.send();
            return new Result(head, readAll(exchange));
        }
    }
}
