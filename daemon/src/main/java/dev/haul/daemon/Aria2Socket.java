package dev.haul.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.haul.queue.DownloadQueue;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * aria2's JSON-RPC over WebSocket at {@code /jsonrpc}: each text message is a call (or a batch)
 * answered on the same socket, and every open socket receives aria2's notifications
 * ({@code aria2.onDownloadStart}, {@code ...Pause}, {@code ...Stop}, {@code ...Complete},
 * {@code ...Error}) as the queue's jobs change state. As in aria2, a socket needs no token to
 * open or to hear notifications (they carry GIDs only); every call carries the token.
 *
 * <p>Public only because Jetty calls its listener methods through method handles from its own
 * module; nothing outside this package makes one.
 */
public final class Aria2Socket extends Session.Listener.AbstractAutoDemanding {
    private static final System.Logger LOG = System.getLogger("dev.haul.daemon");

    /** The open sockets, which notifications go to. */
    static final class Sockets implements AutoCloseable {
        private final Set<Session> open = ConcurrentHashMap.newKeySet();
        private final AutoCloseable subscription;

        Sockets(DownloadQueue queue) {
            this.subscription = queue.subscribe(event -> {
                ObjectNode n = Aria2Rpc.notification(event);
                if (n == null) {
                    return;
                }
                String text;
                try {
                    text = Json.MAPPER.writeValueAsString(n);
                } catch (IOException e) {
                    return;
                }
                for (Session s : open) {
                    if (s.isOpen()) {
                        s.sendText(text, Callback.NOOP);
                    }
                }
            });
        }

        @Override
        public void close() {
            try {
                subscription.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the notification subscription", e);
            }
            for (Session s : open) {
                s.close();
            }
        }
    }

    private final Aria2Rpc rpc;
    private final Sockets sockets;

    Aria2Socket(Aria2Rpc rpc, Sockets sockets) {
        this.rpc = rpc;
        this.sockets = sockets;
    }

    /**
     * Wraps {@code next} so that WebSocket upgrades of {@link Api#JSONRPC} become sockets; every
     * other request goes on to {@code next}.
     */
    static WebSocketUpgradeHandler handler(Server server, Aria2Rpc rpc, Sockets sockets,
            org.eclipse.jetty.server.Handler next) {
        WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(server, container -> {
            container.setMaxTextMessageSize(Api.MAX_BODY);
            container.setIdleTimeout(java.time.Duration.ZERO); // clients keep sockets for hours
            container.addMapping(Api.JSONRPC, (request, response, callback) ->
                    new Aria2Socket(rpc, sockets));
        });
        ws.setHandler(next);
        return ws;
    }

    /** Adds the socket to those that hear notifications. */
    @Override
    public void onWebSocketOpen(Session session) {
        super.onWebSocketOpen(session);
        sockets.open.add(session);
    }

    /** Answers one call or batch. */
    @Override
    public void onWebSocketText(String message) {
        JsonNode parsed;
        try {
            parsed = Json.MAPPER.readTree(message);
        } catch (IOException e) {
            parsed = null;
        }
        JsonNode answer = rpc.handle(parsed);
        if (answer == null) {
            return;
        }
        try {
            getSession().sendText(Json.MAPPER.writeValueAsString(answer), Callback.NOOP);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot answer on a JSON-RPC socket", e);
        }
    }

    /** Forgets the socket. */
    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        sockets.open.remove(getSession());
        callback.succeed();
    }

    /** Forgets the socket. */
    @Override
    public void onWebSocketError(Throwable cause) {
        sockets.open.remove(getSession());
    }
}
