package io.vigil.http.javalin;

import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.router.Endpoint;
import io.javalin.websocket.WsBinaryMessageHandler;
import io.javalin.websocket.WsCloseHandler;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectHandler;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsErrorHandler;
import io.javalin.websocket.WsMessageHandler;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.vigil.http.RequestContext;
import io.vigil.http.servlet.VigilHttpFilter;
import io.vigil.http.websocket.Handshake;
import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import java.nio.channels.WritePendingException;
import java.util.Objects;
import java.util.function.Consumer;
import org.eclipse.jetty.websocket.api.Callback;

/**
 * Instruments Javalin 7 WebSocket endpoints with {@link WebSocketTelemetry}: wrap the handlers you
 * give {@code ws(...)}; they stay as they are.
 *
 * <pre>{@code
 * VigilJavalinWebSocket ws = new VigilJavalinWebSocket(WebSocketTelemetry.builder(vigil).handlers(Set.of("ping")).build());
 * config.routes.ws("/ws/feed", ws.instrument(h -> {
 *     h.onConnect(ctx -> WebSocketConnection.current().ifPresent(c -> c.userId(userOf(ctx))));
 *     h.onMessage(ctx -> VigilJavalinWebSocket.send(ctx, "pong", "{\"type\":\"pong\"}"));
 * }));
 * config.routes.wsBeforeUpgrade("/ws/feed", ws.beforeUpgrade(ctx -> authenticate(ctx))); // 401/403 → rejected_auth
 * }</pre>
 *
 * <p>The handshake span is the upgrade request's HTTP server span from {@link VigilJavalinPlugin}
 * (register it too: it also names the upgrade request's route); its request id and user become the
 * connection's. Without the plugin, a short {@code WS handshake <route>} span continues the upgrade
 * request's {@code traceparent} instead. An exception a wrapped handler throws is handled here — recorded, logged once per
 * connection, close 1011 — and does not reach Javalin's {@code wsException} mappers; a connect
 * handler throwing Javalin's 401/403 responses refuses the connection ({@code rejected_auth}, close
 * 1008). A text message to an endpoint without {@code onMessage}, or a binary one to an endpoint without {@code
 * onBinaryMessage}, closes the connection with 1003 (RFC 6455 §7.4.1; {@code ws_message_errors_total{error_type=
 * "bad_frame"}}). A client that reads slower than {@link #send} sends is dropped once {@value #MAX_QUEUED_MESSAGES}
 * messages wait for it ({@code error_type="io_error"}): memory per connection stays bounded. Thread-safe; one per
 * service.
 */
public final class VigilJavalinWebSocket {
    private static final String CONNECTION_ATTRIBUTE = WebSocketConnection.class.getName();

    /**
     * The most messages queued for one client, unless the application configured Jetty's {@code maxOutgoingFrames}
     * itself: a message {@link #send} cannot queue beyond it drops the connection ({@code
     * ws_message_errors_total{error_type="io_error"}}, then close 1006). Messages sent another way are refused by
     * Jetty past it too, without a trace.
     */
    public static final int MAX_QUEUED_MESSAGES = 1024;

    private final WebSocketTelemetry telemetry;

    /**
     * An adapter recording through {@code telemetry}; one per WebSocket endpoint or shared, it keeps no state
     * of its own beyond the telemetry (thread-safe).
     */
    public VigilJavalinWebSocket(WebSocketTelemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** The handlers {@code handlers} declares, instrumented; pass the result to {@code ws(path, …)}. */
    public Consumer<WsConfig> instrument(Consumer<WsConfig> handlers) {
        Objects.requireNonNull(handlers, "handlers");
        return config -> {
            Captured app = new Captured();
            handlers.accept(app);
            config.onConnect(ctx -> onConnect(ctx, app.connect));
            // The handlers the application registered are the message types the endpoint accepts: a message of
            // another type is refused with 1003, as Jakarta WebSocket containers do, instead of being dropped unread.
            config.onMessage(ctx -> {
                WebSocketConnection c = connection(ctx);
                if (c == null) {
                    return;
                }
                if (app.message == null) {
                    c.unsupportedText(ctx.message());
                } else {
                    c.text(ctx.message(), () -> app.message.handleMessage(ctx));
                }
            });
            config.onBinaryMessage(ctx -> {
                WebSocketConnection c = connection(ctx);
                if (c == null) {
                    return;
                }
                if (app.binary == null) {
                    c.unsupportedBinary(ctx.data().remaining());
                } else {
                    c.binary(ctx.data().remaining(), () -> app.binary.handleBinaryMessage(ctx));
                }
            });
            config.onError(ctx -> {
                WebSocketConnection c = connection(ctx);
                if (c != null && ctx.error() != null) {
                    c.error(ctx.error());
                }
                if (app.error != null) {
                    try (Scope ignored = c != null ? c.attach() : Scope.noop()) {
                        app.error.handleError(ctx);
                    }
                }
            });
            config.onClose(ctx -> {
                WebSocketConnection c = connection(ctx);
                if (c != null) {
                    c.closed(ctx.status());
                }
                if (app.close != null) {
                    try (Scope ignored = c != null ? c.attach() : Scope.noop()) {
                        app.close.handleClose(ctx);
                    }
                }
            });
        };
    }

    /**
     * Wraps a {@code wsBeforeUpgrade} handler (typically authentication): when it throws Javalin's
     * 401 or 403 response the refused upgrade is counted as {@code rejected_auth}; the exception
     * goes on to Javalin, which answers it.
     */
    public Handler beforeUpgrade(Handler handler) {
        Objects.requireNonNull(handler, "handler");
        return ctx -> {
            try {
                handler.handle(ctx);
            } catch (HttpResponseException e) {
                if (isAuthFailure(e)) {
                    Endpoint endpoint = ctx.endpoint();
                    telemetry.rejected(endpoint != null ? endpoint.path : null, WebSocketTelemetry.REJECTED_AUTH);
                }
                throw e;
            }
        };
    }

    /**
     * Sends {@code text} on {@code ctx} and counts it ({@code ws_messages_sent_total{handler=type}},
     * its size).
     */
    public static void send(WsContext ctx, String type, String text) {
        WebSocketConnection c = connection(ctx);
        if (c == null) {
            ctx.send(text);
            return;
        }
        // Javalin's own send ignores a failure: a message refused because the client's queue is full was dropped
        // unnoticed. Here it drops the connection (see MAX_QUEUED_MESSAGES), counted.
        ctx.session.sendText(text, Callback.from(() -> {}, failure -> {
            if (failure instanceof WritePendingException && c.slowConsumer()) {
                ctx.session.disconnect();
            }
        }));
        c.sentText(type, text);
    }

    private void onConnect(io.javalin.websocket.WsConnectContext ctx, WsConnectHandler app) {
        RequestContext upgrade = ctx.attribute(VigilHttpFilter.CONTEXT_ATTRIBUTE);
        Endpoint endpoint = ctx.endpoint();
        String path = endpoint != null ? endpoint.path : null;
        // Without the plugin no HTTP span covered the upgrade: the core starts a short one from the
        // upgrade request's headers (Javalin keeps them for the connection).
        Handshake handshake = upgrade != null
                ? new Handshake(
                        path,
                        upgrade.requestId(),
                        upgrade.clientAddress(),
                        upgrade.userId(),
                        Span.fromContext(upgrade.context()).getSpanContext())
                : telemetry.handshake(
                        path, ctx, WsContext::header, String.valueOf(ctx.session.getRemoteSocketAddress()));
        WebSocketConnection c = telemetry.connection(handshake, ctx::closeSession);
        ctx.attribute(CONNECTION_ATTRIBUTE, c);
        if (ctx.session.getMaxOutgoingFrames() <= 0) {
            // Jetty queues what a client does not read without a bound: a client that never reads, but keeps its
            // connection alive by sending, held every message pushed to it in the server's memory.
            ctx.session.setMaxOutgoingFrames(MAX_QUEUED_MESSAGES);
        }
        if (!c.admit()) {
            return;
        }
        c.connect(app == null ? null : () -> app.handleConnect(ctx), VigilJavalinWebSocket::isAuthFailure);
    }

    private static boolean isAuthFailure(Throwable e) {
        return e instanceof HttpResponseException r && (r.getStatus() == 401 || r.getStatus() == 403);
    }

    private static WebSocketConnection connection(WsContext ctx) {
        Object c = ctx.attributeMap().get(CONNECTION_ATTRIBUTE);
        return c instanceof WebSocketConnection w ? w : null;
    }

    /** Records the application's handlers instead of installing them. */
    private static final class Captured extends WsConfig {
        WsConnectHandler connect;
        WsMessageHandler message;
        WsBinaryMessageHandler binary;
        WsCloseHandler close;
        WsErrorHandler error;

        @Override
        public void onConnect(WsConnectHandler h) {
            connect = h;
        }

        @Override
        public void onMessage(WsMessageHandler h) {
            message = h;
        }

        @Override
        public void onBinaryMessage(WsBinaryMessageHandler h) {
            binary = h;
        }

        @Override
        public void onClose(WsCloseHandler h) {
            close = h;
        }

        @Override
        public void onError(WsErrorHandler h) {
            error = h;
        }
    }
}
