package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.WebSocketTestClient;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;

/** The security feed over {@link WebSocketTestClient}: its path, its JSON messages and its ping. */
final class FeedClient {
    static final String PATH = "/api/v1/ws/security-events";
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    final WebSocketTestClient ws;

    private FeedClient(WebSocketTestClient ws) {
        this.ws = ws;
    }

    /** Opens a feed on {@code port}; {@code headers} as name/value pairs. */
    static FeedClient open(int port, String... headers) {
        return new FeedClient(to(uri(port)).headers(headers).connect());
    }

    /** Opens a feed offering {@code subprotocols}. */
    static FeedClient openOffering(int port, String[] subprotocols, String... headers) {
        return new FeedClient(
                to(uri(port)).subprotocols(subprotocols).headers(headers).connect());
    }

    /** Starts the handshake only: a refused one fails the future with the JDK's handshake exception. */
    static CompletableFuture<WebSocketTestClient> attempt(URI uri, String... headers) {
        return to(uri).headers(headers).connectAsync();
    }

    static URI uri(int port) {
        return URI.create("ws://127.0.0.1:" + port + PATH);
    }

    private static WebSocketTestClient.Builder to(URI uri) {
        return WebSocketTestClient.to(uri).timeout(DEADLINE);
    }

    void send(String text) {
        ws.send(text);
    }

    /** The next message received, parsed (fails after 20 s). */
    JsonNode next() {
        return Api.JSON.readTree(ws.nextMessage(DEADLINE));
    }

    /** The next message of {@code type}, skipping others (fails after 20 s). */
    JsonNode next(String type) {
        return Api.JSON.readTree(
                ws.nextMessage(t -> type.equals(Api.JSON.readTree(t).get("type").asString()), DEADLINE));
    }

    /** Sends a ping and waits for its pong: afterwards the server has registered the connection. */
    void ping() {
        send("{\"type\":\"ping\"}");
        assertThat(next("pong").get("type").asString()).isEqualTo("pong");
    }

    /** The messages received and not read yet. */
    List<String> pending() {
        return ws.pendingMessages();
    }

    /** Whether the server's close frame has arrived. */
    boolean isClosed() {
        return ws.isClosed();
    }

    int closeCode() {
        return ws.awaitClose(DEADLINE).code();
    }

    /** The reason of the server's close frame (waits for it, up to 20 s). */
    String closeReason() {
        return ws.awaitClose(DEADLINE).reason();
    }

    void close() {
        ws.close();
    }
}
