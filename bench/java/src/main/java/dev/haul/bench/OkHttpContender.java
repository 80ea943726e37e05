package dev.haul.bench;

import java.io.InputStream;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;

/**
 * OkHttp 5 reading the body 64 KiB at a time from {@code byteStream()}, the usual blocking way.
 * {@code Accept-Encoding: identity} keeps transparent gzip out of the picture (nginx would not
 * compress a .bin anyway).
 */
final class OkHttpContender implements Contender {

    private final OkHttpClient client;
    private final byte[] buffer = new byte[64 * 1024];

    OkHttpContender(boolean http2) {
        client = new OkHttpClient.Builder()
                .protocols(http2 ? List.of(Protocol.HTTP_2, Protocol.HTTP_1_1) : List.of(Protocol.HTTP_1_1))
                .followRedirects(false)
                .build();
    }

    @Override
    public long fetch(java.net.URI uri) throws Exception {
        Request request = new Request.Builder().url(uri.toString()).header("Accept-Encoding", "identity").build();
        try (Response response = client.newCall(request).execute()) {
            JdkContenders.requireOk(response.code(), uri);
            long count = 0;
            try (InputStream in = response.body().byteStream()) {
                for (int n; (n = in.read(buffer)) != -1; ) {
                    count += n;
                }
            }
            return count;
        }
    }

    @Override
    public void close() {
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
    }
}
