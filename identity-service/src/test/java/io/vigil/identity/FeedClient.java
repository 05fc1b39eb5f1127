package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/** A JDK WebSocket client of the security feed: collects whole text messages and the close code. */
final class FeedClient implements WebSocket.Listener {
    static final String PATH = "/api/v1/ws/security-events";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** The reason of the server's close frame, once {@link #closed} completed. */
    volatile String closeReason;

    private final StringBuilder part = new StringBuilder();
    WebSocket ws;

    /** Opens a feed on {@code port}; {@code headers} as name/value pairs. */
    static FeedClient open(int port, String... headers) throws Exception {
        return openOffering(port, null, headers);
    }

    /** Opens a feed offering {@code subprotocols} (may be null). */
    static FeedClient openOffering(int port, String[] subprotocols, String... headers) throws Exception {
        FeedClient c = new FeedClient();
        WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        if (subprotocols != null) {
            b.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        c.ws = b.buildAsync(uri(port), c).get(20, TimeUnit.SECONDS);
        return c;
    }

    static URI uri(int port) {
        return URI.create("ws://127.0.0.1:" + port + PATH);
    }

    static WebSocket.Builder builder() {
        return HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    }

    void send(String text) throws Exception {
        ws.sendText(text, true).get(10, TimeUnit.SECONDS);
    }

    /** The next message received, parsed (fails after 20 s). */
    JsonNode next() throws Exception {
        String t = texts.poll(20, TimeUnit.SECONDS);
        assertThat(t).as("a message from the feed").isNotNull();
        return Api.JSON.readTree(t);
    }

    /** The next message of {@code type}, skipping others (fails after 20 s). */
    JsonNode next(String type) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String t = texts.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (t == null) {
                break;
            }
            JsonNode n = Api.JSON.readTree(t);
            if (type.equals(n.get("type").asString())) {
                return n;
            }
        }
        throw new AssertionError("no " + type + " message within 20 s");
    }

    /** Sends a ping and waits for its pong: afterwards the server has registered the connection. */
    void ping() throws Exception {
        send("{\"type\":\"ping\"}");
        assertThat(next("pong").get("type").asString()).isEqualTo("pong");
    }

    int closeCode() throws Exception {
        return closed.get(20, TimeUnit.SECONDS);
    }

    void close() throws Exception {
        if (!closed.isDone()) {
            ws.sendClose(1000, "bye").get(10, TimeUnit.SECONDS);
            closed.get(20, TimeUnit.SECONDS);
        }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        part.append(data);
        if (last) {
            texts.add(part.toString());
            part.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason = reason;
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }
}
