package io.vigil.http.jakarta;

import io.vigil.http.websocket.Handshake;
import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Extension;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Instruments Jakarta WebSocket endpoints ({@code jakarta.websocket}, as Jetty's ee10 container and
 * Tomcat serve them) with {@link WebSocketTelemetry} — the same core as the Javalin adapter: register
 * the {@link ServerEndpointConfig} this builds instead of your endpoint class.
 *
 * <pre>{@code
 * VigilJakartaWebSocket ws = new VigilJakartaWebSocket(WebSocketTelemetry.builder(vigil)
 *         .handlers(Set.of("subscribe", "ping"))
 *         .classifier(JsonMessageClassifier.of("type", Set.of("subscribe", "ping")))
 *         .build());
 * serverContainer.addEndpoint(ws.endpoint("/ws/feed/{topic}", FeedEndpoint::new));   // FeedEndpoint extends Endpoint
 * serverContainer.addEndpoint(ws.annotated(ChatSocket.class, ChatSocket::new));       // a @ServerEndpoint class
 * }</pre>
 *
 * <p>The upgrade request is the handshake: a short {@code WS handshake <path>} span continues its
 * {@code traceparent} (or, on Tomcat behind {@code VigilHttpFilter}, the HTTP server span is used; Jetty upgrades
 * before servlet filters run, so there the handshake span is always this adapter's), its {@code
 * X-Request-ID} and authenticated principal become the connection's request id and user. The client's
 * address (the default connection-limit key) is the one Jetty gives the session; Tomcat gives endpoints
 * none, so there register {@code VigilHttpFilter} ahead of Tomcat's upgrade filter (not "match after"),
 * or a connection limit keyed by the address is not applied (logged once). The endpoint gets a {@link
 * Session} whose message handlers run instrumented: a span per message linked to the handshake span,
 * {@code request_id}/{@code user_id}/{@code message_id} in the MDC, the connection and message limits,
 * close 1009 for a message over the size limit and 1011 for a handler that throws (recorded, logged
 * once per connection; the exception does not reach the container). A text or binary message the endpoint registered
 * no handler for closes 1003 ({@code ws_message_errors_total{error_type="bad_frame"}}), on Jetty as on Tomcat (Jetty's
 * container alone dropped it unread).
 * From {@code onOpen}, {@link WebSocketConnection#current()} gives the connection: {@code
 * rejectAuth(reason)} (or throwing a {@link SecurityException}) refuses it ({@code rejected_auth},
 * close 1008). Send through {@link #send} to count what goes out. Thread-safe; one per service.
 */
public final class VigilJakartaWebSocket {
    /**
     * The user property a configurator's {@code modifyHandshake} may set to the authenticated user's id
     * (a {@code String}): it becomes the connection's user before the connection limit is applied.
     * Without it, the upgrade request's principal is used.
     */
    public static final String USER_ID = "io.vigil.user_id";

    static final String HANDSHAKE = Handshake.class.getName();
    static final String CONNECTION = WebSocketConnection.class.getName();
    /**
     * The session user property Jetty fills with the client's socket address. Tomcat gives endpoints no address: there
     * it comes from {@code VigilHttpFilter} ahead of the upgrade, or stays unknown.
     */
    static final String REMOTE_ADDRESS = "jakarta.websocket.endpoint.remoteAddress";

    private final WebSocketTelemetry telemetry;

    /** An adapter recording through {@code telemetry}. */
    public VigilJakartaWebSocket(WebSocketTelemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** The telemetry this adapter records through. */
    public WebSocketTelemetry telemetry() {
        return telemetry;
    }

    /**
     * A programmatic endpoint at {@code path} (a URI template, the {@code endpoint} label): one
     * {@code endpoints.get()} per connection, instrumented.
     */
    public ServerEndpointConfig endpoint(String path, Supplier<? extends Endpoint> endpoints) {
        return endpoint(path, endpoints, b -> {});
    }

    /**
     * {@link #endpoint(String, Supplier)} with the config's other settings: subprotocols, extensions,
     * decoders, encoders and a configurator of your own (its {@code modifyHandshake}, {@code
     * checkOrigin} and negotiation run first; the endpoint instance is always this adapter's).
     */
    public ServerEndpointConfig endpoint(
            String path, Supplier<? extends Endpoint> endpoints, Consumer<ServerEndpointConfig.Builder> settings) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(endpoints, "endpoints");
        ServerEndpointConfig.Builder b = ServerEndpointConfig.Builder.create(InstrumentedEndpoint.class, path);
        settings.accept(b);
        ServerEndpointConfig app = b.build();
        return ServerEndpointConfig.Builder.create(InstrumentedEndpoint.class, path)
                .subprotocols(app.getSubprotocols())
                .extensions(app.getExtensions())
                .decoders(app.getDecoders())
                .encoders(app.getEncoders())
                .configurator(new InstrumentingConfigurator(path, app.getConfigurator(), endpoints))
                .build();
    }

    /**
     * An annotated endpoint (a class with {@code @ServerEndpoint}, {@code @OnOpen}, {@code @OnMessage},
     * {@code @OnClose}, {@code @OnError}) served through the same instrumentation: one {@code
     * instances.get()} per connection. Supported method parameters: the {@link Session}, the {@link
     * EndpointConfig}, {@code @PathParam} strings, for {@code @OnMessage} a whole {@code String}, {@code
     * ByteBuffer} or {@code byte[]} message (a {@code String}/{@code ByteBuffer}/{@code byte[]} return value is sent
     * back and counted), for {@code @OnClose} the {@link CloseReason}, for {@code @OnError} the {@code Throwable};
     * anything else (decoders, partial messages) is refused here with an {@link IllegalArgumentException}.
     */
    public <T> ServerEndpointConfig annotated(Class<T> type, Supplier<? extends T> instances) {
        AnnotatedEndpoint.Methods methods = AnnotatedEndpoint.Methods.of(type);
        return endpoint(
                methods.path(),
                () -> new AnnotatedEndpoint(methods, instances.get()),
                b -> b.subprotocols(methods.subprotocols()));
    }

    /**
     * Sends {@code text} on {@code session} (blocking) and counts it ({@code
     * ws_messages_sent_total{handler=type}}, its size).
     */
    public static void send(Session session, String type, String text) throws IOException {
        session.getBasicRemote().sendText(text);
        WebSocketConnection c = connection(session);
        if (c != null) {
            c.sentText(type, text);
        }
    }

    /** The instrumented connection of {@code session}, or {@code null} (not instrumented). */
    static WebSocketConnection connection(Session session) {
        Object c = session.getUserProperties().get(CONNECTION);
        return c instanceof WebSocketConnection w ? w : null;
    }

    /** Captures the handshake and hands out instrumented endpoints. */
    private final class InstrumentingConfigurator extends ServerEndpointConfig.Configurator {
        private final String path;
        private final ServerEndpointConfig.Configurator delegate;
        private final Supplier<? extends Endpoint> endpoints;

        InstrumentingConfigurator(
                String path, ServerEndpointConfig.Configurator delegate, Supplier<? extends Endpoint> endpoints) {
            this.path = path;
            this.delegate = delegate;
            this.endpoints = endpoints;
        }

        @Override
        public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
            return delegate.getNegotiatedSubprotocol(supported, requested);
        }

        @Override
        public List<Extension> getNegotiatedExtensions(List<Extension> installed, List<Extension> requested) {
            return delegate.getNegotiatedExtensions(installed, requested);
        }

        @Override
        public boolean checkOrigin(String originHeaderValue) {
            return delegate.checkOrigin(originHeaderValue);
        }

        @Override
        public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
            delegate.modifyHandshake(sec, request, response);
            Handshake h = telemetry.handshake(path, request, VigilJakartaWebSocket::header, null);
            if (h.userId() == null && sec.getUserProperties().get(USER_ID) instanceof String user) {
                h = new Handshake(h.endpoint(), h.requestId(), h.clientAddress(), user, h.handshakeSpan());
            }
            if (h.userId() == null) {
                Principal p = request.getUserPrincipal();
                if (p != null) {
                    h = new Handshake(h.endpoint(), h.requestId(), h.clientAddress(), p.getName(), h.handshakeSpan());
                }
            }
            // The container gives each upgrade its own copy of the user properties (Jakarta WebSocket 2.1).
            sec.getUserProperties().put(HANDSHAKE, h);
        }

        @Override
        public <T> T getEndpointInstance(Class<T> endpointClass) {
            return endpointClass.cast(new InstrumentedEndpoint(telemetry, path, endpoints.get()));
        }
    }

    static String header(HandshakeRequest request, String name) {
        Map<String, List<String>> headers = request.getHeaders();
        List<String> values = headers.get(name);
        if (values == null) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (name.equalsIgnoreCase(e.getKey())) {
                    values = e.getValue();
                    break;
                }
            }
        }
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /**
     * The endpoint the container runs for a config from this adapter: the application's endpoint,
     * wrapped; one per connection. Public only because containers require it; built by the adapter.
     */
    public static final class InstrumentedEndpoint extends Endpoint {
        private final WebSocketTelemetry telemetry;
        private final String path;
        private final Endpoint app;
        private volatile WebSocketConnection connection;
        private volatile InstrumentedSession session;
        private volatile boolean opened;

        InstrumentedEndpoint(WebSocketTelemetry telemetry, String path, Endpoint app) {
            this.telemetry = telemetry;
            this.path = path;
            this.app = Objects.requireNonNull(app, "the endpoint supplier returned null");
        }

        /** Instruments the connection, then runs the application's {@code onOpen} (unless refused). */
        @Override
        public void onOpen(Session raw, EndpointConfig config) {
            Object captured = config.getUserProperties().get(HANDSHAKE);
            Handshake h = captured instanceof Handshake hs ? hs : telemetry.handshake(path, raw, (s, k) -> null, null);
            String address = clientAddress(raw, config, h);
            if (!Objects.equals(address, h.clientAddress())) {
                h = new Handshake(h.endpoint(), h.requestId(), address, h.userId(), h.handshakeSpan());
            }
            WebSocketConnection c = telemetry.connection(h, (code, reason) -> close(raw, code, reason));
            raw.getUserProperties().put(CONNECTION, c);
            connection = c;
            InstrumentedSession s = new InstrumentedSession(raw, c);
            session = s;
            if (!c.admit()) {
                return;
            }
            c.connect(
                    () -> {
                        opened = true;
                        app.onOpen(s, config);
                    },
                    e -> e instanceof SecurityException);
            if (!c.refused()) {
                // The handlers onOpen registered are the message types the endpoint takes; any other closes 1003.
                s.refuseUnhandledMessages();
            }
        }

        /** Records the close code, then runs the application's {@code onClose}. */
        @Override
        public void onClose(Session raw, CloseReason reason) {
            WebSocketConnection c = connection;
            if (c == null) {
                return;
            }
            c.closed(reason.getCloseCode().getCode());
            if (opened) {
                try (var ignored = c.attach()) {
                    app.onClose(session, reason);
                }
            }
        }

        /** Counts and logs (once per connection) the error, then runs the application's {@code onError}. */
        @Override
        public void onError(Session raw, Throwable error) {
            WebSocketConnection c = connection;
            if (c == null) {
                return;
            }
            c.error(error);
            if (opened) {
                try (var ignored = c.attach()) {
                    app.onError(session, error);
                }
            }
        }
    }

    private static String clientAddress(Session session, EndpointConfig config, Handshake h) {
        Object remote = session.getUserProperties().get(REMOTE_ADDRESS);
        if (remote == null) {
            remote = config.getUserProperties().get(REMOTE_ADDRESS);
        }
        if (remote instanceof InetSocketAddress a) {
            return a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        }
        return remote != null ? String.valueOf(remote) : h.clientAddress();
    }

    private static void close(Session session, int code, String reason) {
        try {
            session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
        } catch (IOException | RuntimeException e) {
            // Already closing: the container reports the close.
        }
    }
}
