package dev.haul.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.TrustManagerFactory;

/**
 * Netty 4.2 with native epoll, set up as in the transport bake-off: 2 event loops,
 * {@code HttpClientCodec} with a 1 MiB {@code maxChunkSize}, an adaptive receive buffer of at most
 * 256 KiB, pooled direct buffers, TCP_NODELAY, and {@code ByteBuf.getBytes(.., FileChannel, ..)}
 * for files. Netty is a codec, not a client: connections, keep-alive and the request loop are the
 * few lines here. TLS uses the JDK's {@code SSLEngine} (no BoringSSL), trusting the JVM's trust store.
 */
final class NettyClient implements AutoCloseable {

    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final SslContext ssl;
    private final String host;
    private final int port;

    NettyClient(URI any) throws Exception {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("native epoll not available", Epoll.unavailabilityCause());
        }
        host = any.getHost();
        boolean https = "https".equals(any.getScheme());
        port = any.getPort() > 0 ? any.getPort() : https ? 443 : 80;
        if (https) {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);   // javax.net.ssl.trustStore, like every other contender
            ssl = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(tmf)
                    .endpointIdentificationAlgorithm("HTTPS").build();
        } else {
            ssl = null;
        }
        group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        bootstrap = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 64 * 1024, 256 * 1024))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), host, port));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(4096, 8192, 1024 * 1024));
                        ch.pipeline().addLast(new Lane());
                    }
                });
    }

    /** One keep-alive connection, its own request loop. */
    Lane connect() throws Exception {
        Channel ch = bootstrap.connect(host, port).sync().channel();
        return ch.pipeline().get(Lane.class);
    }

    /** What a lane does with a response: where the body goes and what comes next. */
    interface Sink {
        /** The head arrived; returns the file to write to, or null to count. */
        FileChannel open(HttpResponse head) throws IOException;

        /** The body ended: {@code bytes} were received. Runs on the event loop. */
        void done(long bytes);

        void failed(Throwable t);
    }

    static final class Lane extends ChannelInboundHandlerAdapter {
        private Channel channel;
        private Sink sink;
        private FileChannel file;
        private long count;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();   // before connect() returns; channelActive may wait for TLS
        }

        /** Sends a GET; may be called from any thread, or from the loop inside {@link Sink#done}. */
        void get(URI uri, Sink s) {
            sink = s;
            count = 0;
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                    uri.getRawPath());
            req.headers().set(HttpHeaderNames.HOST, uri.getHost() + ":" + uri.getPort());
            channel.writeAndFlush(req);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse head) {
                    if (head.status().code() != 200) {
                        throw new IllegalStateException("HTTP " + head.status().code());
                    }
                    file = sink.open(head);
                }
                if (msg instanceof HttpContent content) {
                    ByteBuf b = content.content();
                    int n = b.readableBytes();
                    if (file != null) {
                        int index = b.readerIndex();
                        while (n > 0) {
                            int w = b.getBytes(index, file, file.position(), n);
                            file.position(file.position() + w);
                            index += w;
                            n -= w;
                        }
                    }
                    count += b.readableBytes();
                    if (msg instanceof LastHttpContent) {
                        if (file != null) {
                            file.close();
                            file = null;
                        }
                        Sink s = sink;
                        sink = null;
                        s.done(count);
                    }
                }
            } catch (Throwable t) {
                exceptionCaught(ctx, t);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Sink s = sink;
            sink = null;
            if (s != null) {
                s.failed(cause);
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Sink s = sink;
            sink = null;
            if (s != null) {
                s.failed(new IOException("connection closed"));
            }
        }

        void close() {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    static FileChannel create(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Case 1: one connection, reused by every fetch. */
    static Contender contender(URI any, Path out) throws Exception {
        NettyClient client = new NettyClient(any);
        Lane lane = client.connect();
        Path target = out == null ? null : out.resolve("netty-file.bin");
        return new Contender() {
            @Override
            public long fetch(URI uri) throws Exception {
                CompletableFuture<Long> f = new CompletableFuture<>();
                lane.get(uri, new Sink() {
                    @Override
                    public FileChannel open(HttpResponse head) throws IOException {
                        return target == null ? null : create(target);
                    }

                    @Override
                    public void done(long bytes) {
                        f.complete(bytes);
                    }

                    @Override
                    public void failed(Throwable t) {
                        f.completeExceptionally(t);
                    }
                });
                return f.get(10, TimeUnit.MINUTES);
            }

            @Override
            public Path lastFile() {
                return target;
            }

            @Override
            public void close() {
                lane.close();
                client.close();
            }
        };
    }

    /** Case 6: {@code conns} connections, each taking the next URL when its response ends. */
    static SmallClient small(URI any, int conns) throws Exception {
        NettyClient client = new NettyClient(any);
        Lane[] lanes = new Lane[conns];
        for (int i = 0; i < conns; i++) {
            lanes[i] = client.connect();
        }
        return new SmallClient() {
            @Override
            public long round(List<URI> uris, Path dir) throws Exception {
                AtomicInteger next = new AtomicInteger();
                java.util.concurrent.atomic.AtomicLong total = new java.util.concurrent.atomic.AtomicLong();
                CompletableFuture<Void> all = new CompletableFuture<>();
                AtomicInteger running = new AtomicInteger(lanes.length);
                for (Lane lane : lanes) {
                    new Loop(lane, uris, dir, next, total, running, all).next();
                }
                all.get(10, TimeUnit.MINUTES);
                return total.get();
            }

            @Override
            public void close() {
                for (Lane l : lanes) {
                    l.close();
                }
                client.close();
            }
        };
    }

    /** One lane's request loop for a round: the next URL as soon as a response ends. */
    private static final class Loop implements Sink {
        private final Lane lane;
        private final List<URI> uris;
        private final Path dir;
        private final AtomicInteger next;
        private final java.util.concurrent.atomic.AtomicLong total;
        private final AtomicInteger running;
        private final CompletableFuture<Void> all;
        private URI current;

        Loop(Lane lane, List<URI> uris, Path dir, AtomicInteger next, java.util.concurrent.atomic.AtomicLong total,
             AtomicInteger running, CompletableFuture<Void> all) {
            this.lane = lane;
            this.uris = uris;
            this.dir = dir;
            this.next = next;
            this.total = total;
            this.running = running;
            this.all = all;
        }

        void next() {
            int i = next.getAndIncrement();
            if (i >= uris.size()) {
                if (running.decrementAndGet() == 0) {
                    all.complete(null);
                }
                return;
            }
            current = uris.get(i);
            lane.get(current, this);
        }

        @Override
        public FileChannel open(HttpResponse head) throws IOException {
            return dir == null ? null : create(dir.resolve(SmallClient.name(current)));
        }

        @Override
        public void done(long bytes) {
            total.addAndGet(bytes);
            next();
        }

        @Override
        public void failed(Throwable t) {
            all.completeExceptionally(t);
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
