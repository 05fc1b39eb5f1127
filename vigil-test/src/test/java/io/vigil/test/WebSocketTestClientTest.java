package io.vigil.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.javalin.Javalin;
import io.javalin.http.UnauthorizedResponse;
import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link WebSocketTestClient} against a tiny real server (Javalin, test scope only). */
class WebSocketTestClientTest {
    private Javalin server;

    @BeforeEach
    void start() {
        server = Javalin.create(config -> {
                    config.routes.wsBeforeUpgrade("/ws/echo", ctx -> {
                        if (ctx.header("X-Refuse") != null) {
                            throw new UnauthorizedResponse();
                        }
                    });
                    config.routes.ws(
                            "/ws/echo",
                            ws -> ws.onMessage(ctx -> {
                                String text = ctx.message();
                                if (text.equals("bye")) {
                                    ctx.closeSession(4001, "asked to");
                                } else if (text.equals("two")) {
                                    ctx.send("one:" + ctx.header("X-Tag"));
                                    ctx.send("two:" + ctx.header("X-Tag"));
                                } else {
                                    ctx.send("echo:" + text);
                                }
                            }));
                })
                .start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private URI uri() {
        return URI.create("ws://127.0.0.1:" + server.port() + "/ws/echo");
    }

    @Test
    void exchangesMessagesAndClosesNormally() {
        WebSocketTestClient ws = WebSocketTestClient.connect(uri(), "X-Tag", "t1");
        assertThat(ws.isOpen()).isTrue();
        assertThat(ws.exchange("hi")).isEqualTo("echo:hi");
        ws.send("two");
        assertThat(ws.nextMessage(m -> m.startsWith("two"), Duration.ofSeconds(10)))
                .isEqualTo("two:t1");
        assertThat(ws.pendingMessages()).isEmpty();
        ws.close();
        assertThat(ws.isOpen()).isFalse();
        assertThat(ws.awaitClose().code()).isEqualTo(1000);
    }

    @Test
    void recordsTheServersCloseCodeAndReason() {
        WebSocketTestClient ws = WebSocketTestClient.to(uri()).connect();
        ws.send("bye");
        assertThat(ws.awaitClose(Duration.ofSeconds(10))).isEqualTo(new WebSocketTestClient.Close(4001, "asked to"));
        assertThat(ws.isClosed()).isTrue();
        ws.close(); // already closed: nothing left to send, returns at once
    }

    @Test
    void aMissingMessageFailsWithTheUri() {
        WebSocketTestClient ws = WebSocketTestClient.connect(uri());
        AssertionError e = assertThrows(AssertionError.class, () -> ws.nextMessage(Duration.ofMillis(200)));
        assertThat(e.getMessage()).contains(uri().toString(), "no message");
        AssertionError open = assertThrows(AssertionError.class, () -> ws.awaitClose(Duration.ofMillis(200)));
        assertThat(open.getMessage()).contains(uri().toString(), "close");
        ws.close();
    }

    @Test
    void aRefusedHandshakeFailsWithTheResponse() {
        ExecutionException refused = assertThrows(
                ExecutionException.class,
                () -> WebSocketTestClient.to(uri())
                        .header("X-Refuse", "yes")
                        .connectAsync()
                        .get(10, TimeUnit.SECONDS));
        assertThat(((WebSocketHandshakeException) refused.getCause())
                        .getResponse()
                        .statusCode())
                .isEqualTo(401);
        AssertionError e =
                assertThrows(AssertionError.class, () -> WebSocketTestClient.connect(uri(), "X-Refuse", "yes"));
        assertThat(e.getMessage()).contains(uri().toString(), "handshake");
        assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
    }
}
