package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.javalin.Javalin;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.UnauthorizedResponse;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.websocket.MessageInfo;
import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import io.vigil.test.LogEvent;
import io.vigil.test.VigilExtension;
import io.vigil.test.WebSocketTestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;

/** {@link VigilJavalinWebSocket} on a real Javalin 7 server, driven by the JDK's WebSocket client. */
class VigilJavalinWebSocketTest {
    private static final String ROUTE = "/ws/chat/{room}";
    private static final Pattern TYPE = Pattern.compile("\"type\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern TRACEPARENT = Pattern.compile("\"traceparent\"\\s*:\\s*\"([^\"]*)\"");
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String MESSAGE_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String MESSAGE_SPAN = "b7ad6b7169203331";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicInteger handled = new AtomicInteger();
    private Javalin app;

    @BeforeEach
    void start() {
        Logger appLog = telemetry.runtime().loggerFactory().getLogger("app.ws");
        WebSocketTelemetry wsTelemetry = WebSocketTelemetry.builder(telemetry.runtime())
                .handlers(Set.of("subscribe", "echo", "boom", "ack"))
                .classifier(VigilJavalinWebSocketTest::classify)
                .maxMessageBytes(1024)
                .maxConnectionsPerKey(2)
                .connectionKey(WebSocketConnection::userId)
                .messagesPerSecond(5)
                .build();
        VigilJavalinWebSocket ws = new VigilJavalinWebSocket(wsTelemetry);
        app = Javalin.create(config -> {
                    config.registerPlugin(new VigilJavalinPlugin(HttpServerTelemetry.create(telemetry.runtime())));
                    // Authentication of the upgrade request, as a service does it.
                    config.routes.wsBeforeUpgrade(ROUTE, ws.beforeUpgrade(ctx -> {
                        String user = ctx.header("X-User");
                        if (user == null) {
                            throw new UnauthorizedResponse();
                        }
                        RequestContext.current().ifPresent(r -> r.userId(user));
                    }));
                    config.routes.ws(ROUTE, ws.instrument(h -> {
                        h.onConnect(ctx -> {
                            if (ctx.header("X-Forbidden") != null) {
                                throw new ForbiddenResponse();
                            }
                            appLog.info("connected");
                        });
                        h.onMessage(ctx -> {
                            handled.incrementAndGet();
                            String type = classify(ctx.message()).handler();
                            appLog.info("handling {}", type);
                            if ("boom".equals(type)) {
                                throw new IllegalStateException("handler failed");
                            }
                            VigilJavalinWebSocket.send(ctx, "ack", "{\"type\":\"ack\",\"of\":\"" + type + "\"}");
                        });
                    }));
                })
                .start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private static MessageInfo classify(String text) {
        Matcher type = TYPE.matcher(text);
        Matcher tp = TRACEPARENT.matcher(text);
        return new MessageInfo(type.find() ? type.group(1) : null, tp.find() ? tp.group(1) : null, null);
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
        assertThat(metric("ws_message_size_bytes_count", "direction", "sent")).isEqualTo(3);
        assertThat(metric("ws_connection_duration_seconds_count")).isEqualTo(1);
        // The upgrade request is one HTTP request under its WebSocket route.
        assertThat(telemetry
                        .metrics()
                        .require(
                                "http_requests_total",
                                Map.of("method", "GET", "endpoint", ROUTE, "status_code", "101")))
                .isEqualTo(1);

        // The handshake span continues the client's traceparent; message spans link to it.
        SpanData handshake = telemetry.span("GET " + ROUTE);
        assertThat(handshake.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(handshake.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        SpanData subscribe = telemetry.span("WS " + ROUTE + " subscribe");
        assertThat(subscribe.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(subscribe.getTraceId()).isNotEqualTo(CLIENT_TRACE);
        assertThat(subscribe.getLinks())
                .singleElement()
                .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(handshake.getSpanId()));
        assertThat(subscribe.getAttributes().asMap().toString()).contains("req-ws-1", "alice");
        SpanData echo = telemetry.span("WS " + ROUTE + " echo");
        assertThat(echo.getTraceId()).isEqualTo(MESSAGE_TRACE);
        assertThat(echo.getParentSpanId()).isEqualTo(MESSAGE_SPAN);
        assertThat(echo.getLinks())
                .singleElement()
                .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(handshake.getSpanId()));
        assertThat(telemetry.span("WS " + ROUTE + " other").getStatus().getStatusCode())
                .isEqualTo(StatusCode.UNSET);

        // Every handler log line carries the connection's ids, a message id of its own and the message's trace.
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

        // The next connection has its own ids: nothing of alice's is left in the handler's MDC.
        WebSocketTestClient bob = connect("X-User", "bob");
        bob.exchange("{\"type\":\"subscribe\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> handlerLines().size() == 4);
        LogEvent bobs = handlerLines().get(3);
        assertThat(bobs.mdc()).containsEntry("user_id", "bob");
        assertThat(bobs.mdc().get("request_id")).isNotEqualTo("req-ws-1").isNotBlank();
        bob.close(1000);
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
        assertThat(refusal.level()).isEqualTo("WARN");
        assertThat(refusal.field("limit_type")).isEqualTo("websocket_connection");
        assertThat(refusal.mdc()).containsEntry("user_id", "carol");

        // A place freed is a place again.
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
        // Refusal log events are bounded: at most 10 a second, however long the flood.
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
        LogEvent error = telemetry.logs("websocket").getFirst();
        assertThat(telemetry.logs("websocket")).hasSize(1);
        assertThat(error.level()).isEqualTo("ERROR");
        assertThat(error.exceptionType()).isEqualTo(IllegalStateException.class.getName());
        assertThat(error.mdc()).containsEntry("request_id", "req-boom").containsKey("message_id");
        assertThat(error.spanId()).isEqualTo(boom.getSpanId());
    }

    @Test
    void aClientThatDropsItsSocketIsCountedButLoggedWithoutAWarningOrStackTrace() throws Exception {
        // DEBUG for this test, to see the line the disconnect does leave.
        ((ch.qos.logback.classic.LoggerContext) telemetry.runtime().loggerFactory())
                .getLogger(WebSocketTelemetry.LOGGER)
                .setLevel(ch.qos.logback.classic.Level.DEBUG);
        WebSocketTestClient gone = connect("X-User", "grace", "X-Request-ID", "req-gone");
        gone.exchange("{\"type\":\"subscribe\"}");
        gone.abort(); // no close frame: the TCP connection just ends

        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_closed_total", "close_code", "1006") == 1);
        assertThat(metric("ws_message_errors_total", "error_type", "io_error")).isEqualTo(1);
        assertThat(metric("ws_connections_active")).isZero();
        List<LogEvent> lines = telemetry.logs().stream()
                .filter(e -> e.logger().equals(WebSocketTelemetry.LOGGER))
                .toList();
        assertThat(lines).singleElement().satisfies(e -> {
            assertThat(e.level()).isEqualTo("DEBUG");
            assertThat(e.exceptionType()).isNull();
            assertThat(e.field("error_type")).isEqualTo("io_error");
            assertThat(e.field("close_code")).isEqualTo(1006);
            assertThat(e.mdc()).containsEntry("request_id", "req-gone").containsEntry("user_id", "grace");
        });
    }

    @Test
    void aBinaryFrameToAnEndpointWithoutABinaryHandlerClosesWith1003() throws Exception {
        WebSocketTestClient henry = connect("X-User", "henry", "X-Request-ID", "req-binary");
        henry.exchange("{\"type\":\"subscribe\"}");
        henry.webSocket().sendBinary(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), true);
        WebSocketTestClient.Close close = henry.awaitClose();
        assertThat(close.code()).isEqualTo(1003);
        assertThat(close.reason()).containsIgnoringCase("binary");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_closed_total", "close_code", "1003") == 1);
        assertThat(metric("ws_message_errors_total", "error_type", "bad_frame")).isEqualTo(1);
        assertThat(metric("ws_messages_received_total", "handler", "other")).isEqualTo(1); // "binary", undeclared
        assertThat(handled.get()).isEqualTo(1); // the subscribe only
        assertThat(telemetry.logs("websocket")).singleElement().satisfies(e -> {
            assertThat(e.level()).isEqualTo("WARN");
            assertThat(e.exceptionType()).isNull();
            assertThat(e.field("close_code")).isEqualTo(1003);
            assertThat(e.mdc()).containsEntry("request_id", "req-binary");
        });
    }

    @Test
    void aTextFrameToAnEndpointWithOnlyABinaryHandlerClosesWith1003() throws Exception {
        VigilJavalinWebSocket ws = new VigilJavalinWebSocket(WebSocketTelemetry.create(telemetry.runtime()));
        Javalin binaryOnly = Javalin.create(config ->
                        config.routes.ws("/bytes", ws.instrument(h -> h.onBinaryMessage(ctx -> ctx.send(ctx.data())))))
                .start("127.0.0.1", 0);
        try {
            WebSocketTestClient c = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + binaryOnly.port() + "/bytes"))
                    .httpClient(http)
                    .connect();
            c.sendAsync("text");
            assertThat(c.awaitClose().code()).isEqualTo(1003);
        } finally {
            binaryOnly.stop();
        }
        assertThat(telemetry
                        .metrics()
                        .require("ws_message_errors_total", Map.of("endpoint", "/bytes", "error_type", "bad_frame")))
                .isEqualTo(1);
    }

    @Test
    void refusedAuthenticationIsCountedBeforeAndAfterTheUpgrade() throws Exception {
        // No credentials: the before-upgrade handler answers 401, no WebSocket is opened.
        ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class,
                () -> WebSocketTestClient.to(uri())
                        .httpClient(http)
                        .connectAsync()
                        .get(10, TimeUnit.SECONDS));
        assertThat(refused.getCause()).isInstanceOf(WebSocketHandshakeException.class);
        assertThat(((WebSocketHandshakeException) refused.getCause())
                        .getResponse()
                        .statusCode())
                .isEqualTo(401);
        // Authenticated but not allowed: the connect handler throws 403, the socket closes with 1008.
        WebSocketTestClient mallory = connect("X-User", "mallory", "X-Forbidden", "yes");
        assertThat(mallory.awaitClose().code()).isEqualTo(1008);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_total", "status", "rejected_auth") == 2);
        assertThat(metric("ws_connections_total", "status", "accepted")).isZero();
        assertThat(metric("ws_connections_active")).isZero();
        assertThat(telemetry
                        .metrics()
                        .require(
                                "http_requests_total",
                                Map.of("method", "GET", "endpoint", ROUTE, "status_code", "401")))
                .isEqualTo(1);
    }

    @Test
    void withoutThePluginTheHandshakeSpanStillContinuesTheClientsTrace() throws Exception {
        VigilJavalinWebSocket ws = new VigilJavalinWebSocket(WebSocketTelemetry.create(telemetry.runtime()));
        Javalin plain = Javalin.create(config -> config.routes.ws(
                        "/plain",
                        ws.instrument(h -> h.onMessage(ctx -> VigilJavalinWebSocket.send(ctx, "message", "ok")))))
                .start("127.0.0.1", 0);
        try {
            WebSocketTestClient c = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + plain.port() + "/plain"))
                    .httpClient(http)
                    .header("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01")
                    .header("X-Request-ID", "req-plain")
                    .connect();
            c.exchange("hi");
            c.close(1000);
        } finally {
            plain.stop();
        }
        SpanData handshake = telemetry.span("WS handshake /plain");
        assertThat(handshake.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(handshake.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        SpanData message = telemetry.span("WS /plain message");
        assertThat(message.getLinks())
                .singleElement()
                .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(handshake.getSpanId()));
        assertThat(message.getAttributes().asMap().toString()).contains("req-plain");
    }

    private List<LogEvent> handlerLines() {
        return telemetry.logs().stream()
                .filter(e -> e.message().startsWith("handling "))
                .toList();
    }

    @ParameterizedTest
    @CsvSource({
        // an unmasked text frame (RFC 6455 §5.1): 1002
        "810568656c6c6f, 1002",
        // RSV1 set without an extension that defines it (§5.2): 1002
        "c182000000006865, 1002",
        // a reserved opcode (§5.2): 1002
        "8381000000000a, 1002",
        // a close code no endpoint may send (§7.4.1, 999): 1002
        "888200000000 03e7, 1002",
        // a text frame that is not UTF-8 (§8.1): 1007
        "818200000000 c328, 1007",
    })
    void aFrameTheProtocolRefusesIsCountedAndLoggedInOneLineWithoutAStackTrace(String frame, int code)
            throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            var in = socket.getInputStream();
            out.write(("GET /ws/chat/lobby HTTP/1.1\r\nHost: x\r\nX-User: ivan\r\nX-Request-ID: req-raw\r\n"
                            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            while (head.indexOf("\r\n\r\n") < 0) {
                head.append((char) in.read());
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101 ");
            out.write(java.util.HexFormat.of().parseHex(frame.replace(" ", "")));
            // The server's close frame: opcode 8, then the code (unmasked, a short payload).
            assertThat(in.read() & 0x0f).isEqualTo(8);
            int length = in.read();
            assertThat(length).isGreaterThanOrEqualTo(2);
            assertThat(in.read() << 8 | in.read()).isEqualTo(code);
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("ws_connections_closed_total", "close_code", Integer.toString(code)) == 1);
        assertThat(metric("ws_message_errors_total", "error_type", "bad_frame")).isEqualTo(1);
        assertThat(telemetry.logs("websocket")).singleElement().satisfies(e -> {
            assertThat(e.level()).isEqualTo("WARN");
            assertThat(e.exceptionType()).isNull(); // no stack trace: the client's fault, not the server's
            assertThat(e.field("error_type")).isEqualTo("bad_frame");
            assertThat(e.message()).contains("Exception").doesNotContain("\n");
            assertThat(e.mdc()).containsEntry("request_id", "req-raw").containsEntry("user_id", "ivan");
        });
        // The server goes on serving.
        WebSocketTestClient next = connect("X-User", "judy");
        assertThat(next.exchange("{\"type\":\"subscribe\"}")).contains("ack");
        next.close(1000);
    }

    @Test
    void aClientThatDoesNotReadIsDroppedOnceItsQueueIsFullAndTheServerGoesOn() throws Exception {
        VigilJavalinWebSocket ws = new VigilJavalinWebSocket(WebSocketTelemetry.create(telemetry.runtime()));
        String kilobyte = "x".repeat(1024);
        java.util.concurrent.atomic.AtomicInteger attempted = new java.util.concurrent.atomic.AtomicInteger();
        Javalin feed = Javalin.create(config -> config.routes.ws(
                        "/feed",
                        ws.instrument(h -> h.onMessage(ctx -> {
                            int n = Integer.parseInt(ctx.message());
                            for (int i = 0; i < n; i++) {
                                attempted.incrementAndGet();
                                VigilJavalinWebSocket.send(ctx, "event", kilobyte);
                            }
                        }))))
                .start("127.0.0.1", 0);
        try {
            // A client that reads gets all it is sent.
            WebSocketTestClient reader = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + feed.port() + "/feed"))
                    .httpClient(http)
                    .connect();
            reader.send("200");
            for (int i = 0; i < 200; i++) {
                assertThat(reader.nextMessage()).hasSize(1024);
            }
            reader.close(1000);

            // One that never reads: far more than the queue and the sockets' buffers hold is pushed to it.
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.setReceiveBufferSize(4096);
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", feed.port()));
                var out = socket.getOutputStream();
                out.write(("GET /feed HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                byte[] flood = "20000".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                byte[] frame = new byte[6 + flood.length]; // masked with a zero key: the payload as it is
                frame[0] = (byte) 0x81;
                frame[1] = (byte) (0x80 | flood.length);
                System.arraycopy(flood, 0, frame, 6, flood.length);
                out.write(frame);
                Map<String, String> l = Map.of("endpoint", "/feed", "error_type", "io_error");
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> telemetry
                                        .metrics()
                                        .find("ws_message_errors_total", l)
                                        .map(v -> v.value())
                                        .orElse(0.0)
                                >= 1);
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> telemetry
                                        .metrics()
                                        .find("ws_connections_active", Map.of("endpoint", "/feed"))
                                        .map(v -> v.value())
                                        .orElse(-1.0)
                                == 0);
            }
            // Counted once: the container's error on the dropped connection is not a second one.
            assertThat(telemetry
                            .metrics()
                            .require("ws_message_errors_total", Map.of("endpoint", "/feed", "error_type", "io_error")))
                    .isEqualTo(1);
            // The handler's loop ends: a send to the dropped connection fails at once, it does not wait.
            await().atMost(Duration.ofSeconds(20)).until(() -> attempted.get() == 20200);
            assertThat(telemetry.logs("websocket")).singleElement().satisfies(e -> {
                assertThat(e.level()).isEqualTo("WARN");
                assertThat(e.field("error_type")).isEqualTo("io_error");
                assertThat(e.message()).contains("does not read");
                assertThat(e.exceptionType()).isNull();
            });
            // The server goes on serving.
            WebSocketTestClient next = WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + feed.port() + "/feed"))
                    .httpClient(http)
                    .connect();
            next.send("1");
            assertThat(next.nextMessage()).hasSize(1024);
            next.close(1000);
        } finally {
            feed.stop();
        }
    }

    private double metric(String name, String... labels) {
        Map<String, String> l = new HashMap<>();
        l.put("endpoint", ROUTE);
        for (int i = 0; i < labels.length; i += 2) {
            l.put(labels[i], labels[i + 1]);
        }
        return telemetry.metrics().find(name, l).map(s -> s.value()).orElse(0.0);
    }

    private URI uri() {
        return URI.create("ws://127.0.0.1:" + app.port() + "/ws/chat/lobby");
    }

    private WebSocketTestClient connect(String... headers) {
        return WebSocketTestClient.to(uri()).httpClient(http).headers(headers).connect();
    }
}
