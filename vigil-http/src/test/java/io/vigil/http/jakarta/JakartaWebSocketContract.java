package io.vigil.http.jakarta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.http.websocket.JsonMessageClassifier;
import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import io.vigil.test.LogEvent;
import io.vigil.test.VigilExtension;
import io.vigil.test.WebSocketTestClient;
import jakarta.servlet.Filter;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;

/**
 * What {@link VigilJakartaWebSocket} promises, on a real Jakarta WebSocket container driven by the JDK's client: the
 * subclasses run it on Jetty 12 ee10 ({@link JettyJakartaWebSocketTest}) and on Tomcat 11 ({@link
 * TomcatJakartaWebSocketTest}).
 */
abstract class JakartaWebSocketContract {
    private static final String ROUTE = "/ws/chat/{room}";
    private static final String ANNOTATED = "/ws/echo/{name}";
    private static final Set<String> TYPES = Set.of("subscribe", "echo", "boom", "ack");
    static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String MESSAGE_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String MESSAGE_SPAN = "b7ad6b7169203331";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicInteger handled = new AtomicInteger();
    private final JsonMessageClassifier classifier = JsonMessageClassifier.of("type", TYPES);
    private Container server;
    private int port;
    private Logger appLog;

    /** A started container: its port, and {@code close} stops it and everything it started. */
    interface Container extends AutoCloseable {
        int port();

        @Override
        void close() throws Exception;
    }

    /**
     * Starts the container under test on 127.0.0.1, on a free port, serving {@code endpoints} (added to its {@code
     * ServerContainer} as an application does at start-up) and, unless {@code null}, running {@code front} on every
     * request as the application's first filter.
     */
    abstract Container start(List<ServerEndpointConfig> endpoints, Filter front) throws Exception;

    final Container start(List<ServerEndpointConfig> endpoints) throws Exception {
        return start(endpoints, null);
    }

    /**
     * Whether the container tells endpoints the client's address (Jetty: the session's {@code
     * jakarta.websocket.endpoint.remoteAddress}; Tomcat: no, only an HTTP filter in front of the upgrade sees it).
     */
    abstract boolean tellsEndpointsTheClientsAddress();

    /** Authentication as a service does it in its configurator: the user goes into the handshake's properties. */
    static final class Auth extends ServerEndpointConfig.Configurator {
        @Override
        public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
            String user = VigilJakartaWebSocket.header(request, "X-User");
            if (user != null) {
                sec.getUserProperties().put(VigilJakartaWebSocket.USER_ID, user);
            }
            sec.getUserProperties().put("forbidden", VigilJakartaWebSocket.header(request, "X-Forbidden") != null);
        }
    }

    /** A programmatic endpoint, as an application writes it. */
    final class Chat extends Endpoint {
        @Override
        public void onOpen(Session session, EndpointConfig config) {
            WebSocketConnection c = WebSocketConnection.current().orElseThrow();
            if (c.userId() == null) {
                throw new SecurityException("no user");
            }
            if (Boolean.TRUE.equals(config.getUserProperties().get("forbidden"))) {
                c.rejectAuth("forbidden");
                return;
            }
            appLog.info("connected");
            session.addMessageHandler(String.class, text -> {
                handled.incrementAndGet();
                String type = classifier.classify(text).handler();
                appLog.info("handling {}", type);
                if ("boom".equals(type)) {
                    throw new IllegalStateException("handler failed");
                }
                try {
                    VigilJakartaWebSocket.send(session, "ack", "{\"type\":\"ack\",\"of\":\"" + type + "\"}");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
    }

    /** An annotated endpoint, served through {@link VigilJakartaWebSocket#annotated}. */
    @ServerEndpoint(ANNOTATED)
    public static final class Echo {
        final List<String> events;

        Echo(List<String> events) {
            this.events = events;
        }

        @OnOpen
        public void open(Session session, @PathParam("name") String name) {
            events.add("open " + name + " " + WebSocketConnection.current().isPresent());
        }

        @OnMessage
        public String echo(String text, Session session) {
            return "{\"type\":\"echo\",\"text\":" + text.length() + "}";
        }

        @OnClose
        public void close(CloseReason reason) {
            events.add("close " + reason.getCloseCode().getCode());
        }
    }

    private final List<String> echoEvents = new CopyOnWriteArrayList<>();

    /** An annotated endpoint declaring the subprotocols it speaks, in its order of preference. */
    @ServerEndpoint(
            value = "/ws/versioned/{id}",
            subprotocols = {"vigil.v2", "vigil.v1"})
    public static final class Versioned {
        final List<String> events;

        Versioned(List<String> events) {
            this.events = events;
        }

        @OnOpen
        public void open(Session session, @PathParam("id") String id) {
            events.add("annotated " + id + " " + session.getNegotiatedSubprotocol());
        }

        @OnMessage
        public String echo(String text) {
            return text;
        }
    }

    @BeforeEach
    void start() throws Exception {
        appLog = telemetry.runtime().loggerFactory().getLogger("app.ws");
        WebSocketTelemetry wsTelemetry = WebSocketTelemetry.builder(telemetry.runtime())
                .classifier(classifier) // declares its types as the handler label's values
                .maxMessageBytes(1024)
                .maxConnectionsPerKey(2)
                .connectionKey(WebSocketConnection::userId)
                .messagesPerSecond(5)
                .build();
        VigilJakartaWebSocket ws = new VigilJakartaWebSocket(wsTelemetry);
        server = start(List.of(
                ws.endpoint(ROUTE, Chat::new, b -> b.configurator(new Auth())),
                ws.annotated(Echo.class, () -> new Echo(echoEvents))));
        port = server.port();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void messagesAreCountedTracedAndLoggedWithTheConnectionsIds() throws Exception {
        WebSocketTestClient alice = connect(
                "X-User", "alice",
                "X-Request-ID", "req-ws-1",
                "traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01");
        alice.exchange("{\"type\":\"subscribe\"}");
        alice.exchange("{\"type\":\"echo\",\"traceparent\":\"00-" + MESSAGE_TRACE + "-" + MESSAGE_SPAN + "-01\"}");
        alice.exchange("{\"type\":\"made-up\"}");
        alice.close(1000);

        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_closed_total", "close_code", "1000") == 1);
        assertThat(metric("ws_connections_total", "status", "accepted")).isEqualTo(1);
        assertThat(metric("ws_connections_active")).isZero();
        assertThat(metric("ws_messages_received_total", "handler", "subscribe")).isEqualTo(1);
        assertThat(metric("ws_messages_received_total", "handler", "echo")).isEqualTo(1);
        assertThat(metric("ws_messages_received_total", "handler", "other")).isEqualTo(1);
        assertThat(metric("ws_messages_sent_total", "handler", "ack")).isEqualTo(3);
        assertThat(metric("ws_message_processing_duration_seconds_count", "handler", "subscribe"))
                .isEqualTo(1);
        assertThat(metric("ws_message_size_bytes_count", "direction", "received"))
                .isEqualTo(3);
        assertThat(metric("ws_connection_duration_seconds_count")).isEqualTo(1);

        // The handshake span continues the upgrade request's traceparent; message spans link to it.
        SpanData handshake = telemetry.span("WS handshake " + ROUTE);
        assertThat(handshake.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(handshake.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(handshake.getAttributes().asMap().toString()).contains("req-ws-1");
        SpanData subscribe = telemetry.span("WS " + ROUTE + " subscribe");
        assertThat(subscribe.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(subscribe.getTraceId()).isNotEqualTo(CLIENT_TRACE);
        assertThat(subscribe.getLinks())
                .singleElement()
                .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(handshake.getSpanId()));
        assertThat(subscribe.getAttributes().asMap().toString()).contains("req-ws-1", "alice");
        // A message carrying its own traceparent continues that trace, still linked to the handshake.
        SpanData echo = telemetry.span("WS " + ROUTE + " echo");
        assertThat(echo.getTraceId()).isEqualTo(MESSAGE_TRACE);
        assertThat(echo.getParentSpanId()).isEqualTo(MESSAGE_SPAN);
        assertThat(echo.getLinks())
                .singleElement()
                .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(handshake.getSpanId()));

        // Every handler log line carries the connection's ids and a message id of its own.
        List<LogEvent> lines = handlerLines();
        assertThat(lines).hasSize(3);
        assertThat(lines).allSatisfy(e -> {
            assertThat(e.mdc()).containsEntry("request_id", "req-ws-1").containsEntry("user_id", "alice");
            assertThat(e.mdc()).containsEntry("endpoint", ROUTE).containsKey("message_id");
        });
        assertThat(lines.stream().map(e -> e.mdc().get("message_id")).distinct())
                .hasSize(3);
        assertThat(lines.get(1).traceId()).isEqualTo(MESSAGE_TRACE);
        assertThat(lines.get(1).spanId()).isEqualTo(echo.getSpanId());
        LogEvent connected = telemetry.logs().stream()
                .filter(e -> e.message().equals("connected"))
                .findFirst()
                .orElseThrow();
        assertThat(connected.mdc()).containsEntry("request_id", "req-ws-1").doesNotContainKey("message_id");
        assertThat(connected.traceId()).isEqualTo(CLIENT_TRACE);

        // The next connection has ids of its own.
        WebSocketTestClient bob = connect("X-User", "bob");
        bob.exchange("{\"type\":\"subscribe\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> handlerLines().size() == 4);
        LogEvent bobs = handlerLines().get(3);
        assertThat(bobs.mdc()).containsEntry("user_id", "bob");
        assertThat(bobs.mdc().get("request_id")).isNotEqualTo("req-ws-1").isNotBlank();
        bob.close(1001);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_closed_total", "close_code", "1001") == 1);
    }

    @Test
    void aConnectionBeyondTheLimitPerUserIsRefusedWith1008() throws Exception {
        WebSocketTestClient first = connect("X-User", "carol");
        WebSocketTestClient second = connect("X-User", "carol");
        first.exchange("{\"type\":\"subscribe\"}");
        second.exchange("{\"type\":\"subscribe\"}");
        WebSocketTestClient third = connect("X-User", "carol");
        assertThat(third.awaitClose().code()).isEqualTo(1008);
        assertThat(metric("ws_connections_total", "status", "rejected_limit")).isEqualTo(1);
        assertThat(metric("ws_connections_total", "status", "accepted")).isEqualTo(2);
        assertThat(metric("ws_connections_active")).isEqualTo(2);
        assertThat(telemetry
                        .metrics()
                        .require(
                                "rate_limit_hits_total",
                                Map.of("limit_type", "websocket_connection", "endpoint", ROUTE)))
                .isEqualTo(1);
        LogEvent refusal = telemetry.logs("security").getFirst();
        assertThat(refusal.field("limit_type")).isEqualTo("websocket_connection");
        assertThat(refusal.mdc()).containsEntry("user_id", "carol");

        first.close(1000);
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("ws_connections_active") == 1);
        WebSocketTestClient fourth = connect("X-User", "carol");
        fourth.exchange("{\"type\":\"subscribe\"}");
        assertThat(metric("ws_connections_total", "status", "accepted")).isEqualTo(3);
        second.close(1000);
        fourth.close(1000);
    }

    @Test
    void aFloodOfMessagesBeyondTheRateIsCountedAndRefused() throws Exception {
        WebSocketTestClient dave = connect("X-User", "dave");
        int sent = 40;
        for (int i = 0; i < sent; i++) {
            dave.send("{\"type\":\"subscribe\"}");
        }
        // A message is counted received before it is refused or handled: until every one is one or the other.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_messages_received_total", "handler", "subscribe") == sent
                        && metric("rate_limit_hits_total", "limit_type", "websocket_message")
                                        + metric("ws_message_processing_duration_seconds_count", "handler", "subscribe")
                                == sent);
        int done = handled.get();
        assertThat(done).isLessThan(sent).isPositive();
        assertThat(telemetry
                        .metrics()
                        .require("rate_limit_hits_total", Map.of("limit_type", "websocket_message", "endpoint", ROUTE)))
                .isEqualTo(sent - done);
        assertThat(metric("ws_message_processing_duration_seconds_count", "handler", "subscribe"))
                .isEqualTo(done);
        assertThat(telemetry.logs("security")).hasSizeLessThanOrEqualTo(10 * 3);
        dave.close(1000);
    }

    @Test
    void anOversizedMessageClosesWith1009() throws Exception {
        WebSocketTestClient erin = connect("X-User", "erin");
        erin.sendAsync("{\"type\":\"echo\",\"pad\":\"" + "x".repeat(2000) + "\"}");
        assertThat(erin.awaitClose().code()).isEqualTo(1009);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_closed_total", "close_code", "1009") == 1);
        assertThat(metric("ws_message_errors_total", "error_type", "too_big")).isEqualTo(1);
        assertThat(handled.get()).isZero();
        assertThat(telemetry.logs("websocket"))
                .singleElement()
                .satisfies(e -> assertThat(e.mdc()).containsEntry("user_id", "erin"));
    }

    @Test
    void aHandlerExceptionClosesWith1011AndIsLoggedOnce() throws Exception {
        WebSocketTestClient frank = connect("X-User", "frank", "X-Request-ID", "req-boom");
        frank.sendAsync("{\"type\":\"boom\"}");
        assertThat(frank.awaitClose().code()).isEqualTo(1011);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_closed_total", "close_code", "1011") == 1);
        assertThat(metric("ws_message_errors_total", "error_type", "handler_error"))
                .isEqualTo(1);
        SpanData boom = telemetry.span("WS " + ROUTE + " boom");
        assertThat(boom.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(boom.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
        assertThat(telemetry.logs("websocket")).hasSize(1);
        LogEvent error = telemetry.logs("websocket").getFirst();
        assertThat(error.level()).isEqualTo("ERROR");
        assertThat(error.exceptionType()).isEqualTo(IllegalStateException.class.getName());
        assertThat(error.mdc()).containsEntry("request_id", "req-boom").containsKey("message_id");
        assertThat(error.spanId()).isEqualTo(boom.getSpanId());
    }

    @Test
    void aBinaryMessageToATextOnlyEndpointClosesWith1003AndIsCounted() throws Exception {
        WebSocketTestClient grace = connect("X-User", "grace", "X-Request-ID", "req-binary");
        grace.exchange("{\"type\":\"subscribe\"}");
        grace.webSocket().sendBinary(ByteBuffer.wrap(new byte[] {'{', '}'}), true);
        assertThat(grace.awaitClose().code()).isEqualTo(1003);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_closed_total", "close_code", "1003") == 1);
        assertThat(metric("ws_message_errors_total", "error_type", "bad_frame")).isEqualTo(1);
        assertThat(handled.get()).isEqualTo(1); // the subscribe; the binary message reached no handler
        assertThat(telemetry.logs("websocket")).singleElement().satisfies(e -> {
            assertThat(e.level()).isEqualTo("WARN");
            assertThat(e.field("error_type")).isEqualTo("bad_frame");
            assertThat(e.exceptionType()).isNull();
            assertThat(e.mdc()).containsEntry("request_id", "req-binary").containsEntry("user_id", "grace");
        });

        // The annotated endpoint declares no binary method either.
        WebSocketTestClient zoe = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + port + "/ws/echo/zoe"))
                .httpClient(http)
                .connect();
        zoe.webSocket().sendBinary(ByteBuffer.wrap(new byte[] {1}), true);
        assertThat(zoe.awaitClose().code()).isEqualTo(1003);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> telemetry
                                .metrics()
                                .find(
                                        "ws_message_errors_total",
                                        Map.of("endpoint", ANNOTATED, "error_type", "bad_frame"))
                                .map(v -> v.value())
                                .orElse(0.0)
                        == 1);
    }

    @Test
    void aHandlerAddedAfterOpenTakesItsMessageTypeAndOneRemovedGivesItBack() throws Exception {
        VigilJakartaWebSocket ws = new VigilJakartaWebSocket(WebSocketTelemetry.create(telemetry.runtime()));
        List<String> seen = new CopyOnWriteArrayList<>();
        Container other = start(List.of(ws.endpoint("/late", () -> new Endpoint() {
            @Override
            public void onOpen(Session session, EndpointConfig config) {
                MessageHandler.Whole<ByteBuffer> binary = new MessageHandler.Whole<>() {
                    @Override
                    public void onMessage(ByteBuffer bytes) {
                        seen.add("binary " + bytes.remaining());
                        send(session, "binary");
                    }
                };
                session.addMessageHandler(String.class, text -> {
                    if (text.equals("add")) {
                        session.addMessageHandler(ByteBuffer.class, binary);
                    } else if (text.equals("remove")) {
                        session.removeMessageHandler(binary);
                    }
                    seen.add("handlers " + session.getMessageHandlers().size());
                    send(session, text);
                });
            }
        })));
        try {
            WebSocketTestClient c = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + other.port() + "/late"))
                    .httpClient(http)
                    .connect();
            assertThat(c.exchange("add")).isEqualTo("add");
            c.webSocket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true);
            assertThat(c.nextMessage()).isEqualTo("binary");
            assertThat(c.exchange("remove")).isEqualTo("remove");
            c.webSocket().sendBinary(ByteBuffer.wrap(new byte[] {1}), true);
            assertThat(c.awaitClose().code()).isEqualTo(1003);
            // The endpoint sees only its own handlers, never the adapter's refusals.
            assertThat(seen).containsExactly("handlers 2", "binary 3", "handlers 1");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> telemetry
                                    .metrics()
                                    .find(
                                            "ws_message_errors_total",
                                            Map.of("endpoint", "/late", "error_type", "bad_frame"))
                                    .map(v -> v.value())
                                    .orElse(0.0)
                            == 1);
        } finally {
            other.close();
        }
    }

    @Test
    void refusedAuthenticationClosesWith1008AndIsCounted() throws Exception {
        WebSocketTestClient anonymous = connect(); // onOpen throws SecurityException
        assertThat(anonymous.awaitClose().code()).isEqualTo(1008);
        WebSocketTestClient mallory = connect("X-User", "mallory", "X-Forbidden", "yes"); // onOpen calls rejectAuth
        assertThat(mallory.awaitClose().code()).isEqualTo(1008);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_total", "status", "rejected_auth") == 2);
        assertThat(metric("ws_connections_total", "status", "accepted")).isZero();
        assertThat(metric("ws_connections_active")).isZero();
        assertThat(metric("ws_connections_closed_total", "close_code", "1008")).isZero(); // never accepted
    }

    @Test
    void anAnnotatedEndpointRunsThroughTheSameInstrumentation() throws Exception {
        WebSocketTestClient c = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + port + "/ws/echo/zoe"))
                .httpClient(http)
                .header("X-Request-ID", "req-echo")
                .connect();
        assertThat(c.exchange("{\"type\":\"echo\"}")).isEqualTo("{\"type\":\"echo\",\"text\":15}");
        c.close(1000);
        await().atMost(Duration.ofSeconds(10)).until(() -> echoEvents.size() == 2);
        assertThat(echoEvents).containsExactly("open zoe true", "close 1000");
        Map<String, String> l = Map.of("endpoint", ANNOTATED, "handler", "echo");
        assertThat(telemetry.metrics().require("ws_messages_received_total", l)).isEqualTo(1);
        assertThat(telemetry.metrics().require("ws_messages_sent_total", l)).isEqualTo(1);
        SpanData handshake = telemetry.span("WS handshake " + ANNOTATED);
        assertThat(telemetry.span("WS " + ANNOTATED + " echo").getLinks())
                .singleElement()
                .satisfies(k -> assertThat(k.getSpanContext().getSpanId()).isEqualTo(handshake.getSpanId()));
        assertThat(telemetry
                        .metrics()
                        .require("ws_connections_closed_total", Map.of("endpoint", ANNOTATED, "close_code", "1000")))
                .isEqualTo(1);
    }

    @Test
    void theSubprotocolIsNegotiatedForProgrammaticAndAnnotatedEndpoints() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        VigilJakartaWebSocket ws = new VigilJakartaWebSocket(WebSocketTelemetry.create(telemetry.runtime()));
        Endpoint plain = new Endpoint() {
            @Override
            public void onOpen(Session session, EndpointConfig config) {
                events.add("programmatic " + session.getPathParameters().get("id") + " "
                        + session.getNegotiatedSubprotocol() + " "
                        + WebSocketConnection.current().isPresent());
                session.addMessageHandler(
                        String.class, text -> session.getAsyncRemote().sendText(text));
            }
        };
        try (Container other = start(List.of(
                ws.endpoint("/ws/plain/{id}", () -> plain, b -> b.subprotocols(List.of("vigil.v2", "vigil.v1"))),
                ws.annotated(Versioned.class, () -> new Versioned(events))))) {
            for (String path : List.of("/ws/plain/7", "/ws/versioned/8")) {
                WebSocketTestClient c = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + other.port() + path))
                        .httpClient(http)
                        .subprotocols("vigil.v1", "vigil.v0")
                        .connect();
                assertThat(c.subprotocol()).as(path).isEqualTo("vigil.v1");
                assertThat(c.exchange("hi")).isEqualTo("hi");
                c.close(1000);
            }
            assertThat(events).containsExactly("programmatic 7 vigil.v1 true", "annotated 8 vigil.v1");
        }
    }

    @Test
    void theClientsAddressKeysTheConnectionLimitByDefault() throws Exception {
        List<String> addresses = new CopyOnWriteArrayList<>();
        VigilJakartaWebSocket ws = new VigilJakartaWebSocket(WebSocketTelemetry.builder(telemetry.runtime())
                .maxConnectionsPerKey(1)
                .build());
        try (Container other = start(List.of(ws.endpoint("/ws/limited", () -> new Endpoint() {
            @Override
            public void onOpen(Session session, EndpointConfig config) {
                addresses.add(String.valueOf(
                        WebSocketConnection.current().orElseThrow().clientAddress()));
                session.addMessageHandler(
                        String.class, text -> session.getAsyncRemote().sendText(text));
            }
        })))) {
            URI uri = URI.create("ws://127.0.0.1:" + other.port() + "/ws/limited");
            WebSocketTestClient first =
                    WebSocketTestClient.to(uri).httpClient(http).connect();
            first.exchange("hi");
            WebSocketTestClient second =
                    WebSocketTestClient.to(uri).httpClient(http).connect();
            Map<String, String> refused = Map.of("endpoint", "/ws/limited", "status", "rejected_limit");
            if (tellsEndpointsTheClientsAddress()) {
                assertThat(second.awaitClose().code()).isEqualTo(1008);
                assertThat(addresses).containsExactly("127.0.0.1"); // the refused one never reached the application
                assertThat(telemetry.metrics().require("ws_connections_total", refused))
                        .isEqualTo(1);
                assertThat(telemetry.logs("websocket")).isEmpty();
            } else {
                // Not limited, and said so once rather than silently.
                second.exchange("hi");
                assertThat(addresses).containsExactly("null", "null");
                assertThat(telemetry.metrics().find("ws_connections_total", refused))
                        .isEmpty();
                assertThat(telemetry.logs("websocket")).singleElement().satisfies(e -> {
                    assertThat(e.level()).isEqualTo("WARN");
                    assertThat(e.message()).contains("/ws/limited", "not limited per client", "VigilHttpFilter");
                });
                second.close(1000);
            }
            first.close(1000);
        }
    }

    @Test
    void noThreadOutlivesTheServer() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        VigilJakartaWebSocket ws = new VigilJakartaWebSocket(WebSocketTelemetry.create(telemetry.runtime()));
        Container other = start(List.of(ws.endpoint("/t", () -> new Endpoint() {
            @Override
            public void onOpen(Session session, EndpointConfig config) {
                session.addMessageHandler(new MessageHandler.Whole<String>() {
                    @Override
                    public void onMessage(String text) {
                        if (text.equals("boom")) {
                            throw new IllegalStateException("boom");
                        }
                        session.getAsyncRemote().sendText(text);
                    }
                });
            }
        })));
        for (int i = 0; i < 20; i++) {
            WebSocketTestClient c = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + other.port() + "/t"))
                    .httpClient(http)
                    .connect();
            if (i % 2 == 0) {
                c.exchange("hi");
                c.close(1000);
            } else {
                c.sendAsync("boom");
                assertThat(c.awaitClose().code()).isEqualTo(1011);
            }
        }
        other.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> newThreads(before).isEmpty());
        assertThat(telemetry.metrics().require("ws_connections_active", Map.of("endpoint", "/t")))
                .isZero();
    }

    private static List<String> newThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive())
                .map(Thread::getName)
                // the JDK client's own threads and the test tools' are not the server's
                .filter(n ->
                        !n.startsWith("HttpClient") && !n.startsWith("awaitility") && !n.startsWith("ForkJoinPool"))
                .collect(Collectors.toList());
    }

    private List<LogEvent> handlerLines() {
        return telemetry.logs().stream()
                .filter(e -> e.message().startsWith("handling "))
                .toList();
    }

    private double metric(String name, String... labels) {
        Map<String, String> l = new HashMap<>();
        l.put("endpoint", ROUTE);
        for (int i = 0; i < labels.length; i += 2) {
            l.put(labels[i], labels[i + 1]);
        }
        return telemetry.metrics().find(name, l).map(s -> s.value()).orElse(0.0);
    }

    private WebSocketTestClient connect(String... headers) {
        return WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + port + "/ws/chat/lobby"))
                .httpClient(http)
                .headers(headers)
                .connect();
    }

    /**
     * Sends {@code text} and returns once it is written: Tomcat refuses a second asynchronous send while the first is
     * still completing (IllegalStateException, which the adapter answers 1011), and a close while one is in flight ends
     * the connection without a close frame (1006), so an endpoint that answers several messages in a row sends
     * synchronously.
     */
    private static void send(Session session, String text) {
        try {
            session.getBasicRemote().sendText(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
