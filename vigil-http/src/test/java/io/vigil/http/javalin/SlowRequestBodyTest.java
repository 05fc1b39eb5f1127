package io.vigil.http.javalin;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.test.SlowClient;
import io.vigil.test.VigilExtension;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slow request bodies over real sockets, against a Javalin server configured as both reference services' API ports
 * are (handlers on virtual threads, {@link VigilJavalinPlugin}, a catch-all that turns what escapes into a 500).
 */
class SlowRequestBodyTest {
    /** Javalin's own platform pool: more stalled bodies than this took every thread before the services moved off it. */
    private static final int DEFAULT_POOL_THREADS = 250;

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private Javalin app;

    @BeforeEach
    void start() {
        app = Javalin.create(cfg -> {
                    cfg.concurrency.useVirtualThreads = true;
                    cfg.registerPlugin(new VigilJavalinPlugin(HttpServerTelemetry.create(telemetry.runtime())));
                    cfg.routes.post("/echo", ctx -> ctx.result(ctx.bodyAsBytes()));
                    cfg.routes.get("/health", ctx -> ctx.result("ok"));
                    cfg.routes.post("/pausing", ctx -> {
                        // The application reads the whole body, then pauses before the read of its end, as a GC
                        // pause or a busy core would pause it: the client sent everything at once.
                        java.io.InputStream in = ctx.req().getInputStream();
                        byte[] buffer = new byte[64];
                        int n = in.read(buffer);
                        java.util.concurrent.locks.LockSupport.parkNanos(
                                Duration.ofMillis(300).toNanos());
                        ctx.result(n + " " + in.read());
                    });
                    cfg.routes.exception(
                            Exception.class, (e, ctx) -> ctx.status(500).result("unexpected"));
                })
                .start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    @Test
    void aBodyTricklingUnderTheMinimumRateIsAnswered408AtItsNextRead() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request(1000, "{").getBytes(US_ASCII));
            out.flush();
            long firstByte = System.nanoTime();
            // Pacing the client, far inside the idle timeout: a byte every 200 ms.
            CompletableFuture<Void> trickle = SlowClient.paced(Duration.ofMillis(200), 50, i -> {
                out.write(' ');
                out.flush();
            });
            try {
                String answer = new String(socket.getInputStream().readAllBytes(), UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 408 ");
                assertThat(answer.toLowerCase(Locale.ROOT)).contains("content-type: application/problem+json");
                assertThat(answer).contains("\"status\":408");
                // Once the server has waited for it a second in all: 6 bytes in 1.2 s is under the minimum.
                assertThat(Duration.ofNanos(System.nanoTime() - firstByte)).isLessThan(Duration.ofSeconds(3));
            } finally {
                trickle.cancel(true); // answered and closed: the trickle ends
            }
        }
    }

    @Test
    void aWholeBodyIsNotRefusedForTheServersOwnPauseBetweenTwoReads() throws Exception {
        // Jetty's own minimum data rate measured from the first read: 15 bytes and a 16 ms pause were a 408.
        HttpResponse<String> answer = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/pausing"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"role\":\"user\"}"))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("15 -1");
    }

    @Test
    void aSlowBodyAboveTheMinimumRateIsServed() throws Exception {
        String body = "x".repeat(20_000);
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request(body.length(), "")
                    .replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
                    .getBytes(US_ASCII));
            // Pacing the client: 2 000 bytes every 100 ms, twenty times the minimum rate.
            CompletableFuture<Void> sent = SlowClient.paced(Duration.ofMillis(100), 10, i -> {
                out.write(body.substring(i * 2000, (i + 1) * 2000).getBytes(US_ASCII));
                out.flush();
            });
            String answer = new String(socket.getInputStream().readAllBytes(), UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith(body);
            assertThat(sent).succeedsWithin(Duration.ofSeconds(5));
        }
    }

    @Test
    void moreStalledBodiesThanAPlatformPoolHasThreadsLeaveTheServiceAnsweringAndEachIsAnswered408() throws Exception {
        // The services keep Jetty's 30 s; three seconds here keep the test short. (With one second, on a loaded
        // machine, a connection's timeout could expire before its handler had started to read the body, and Jetty
        // then closes it without an answer: a race of the shortened timeout, not of the product's.)
        Duration idle = Duration.ofSeconds(3);
        for (var connector : app.jettyServer().server().getConnectors()) {
            ((ServerConnector) connector).setIdleTimeout(idle.toMillis());
        }
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < DEFAULT_POOL_THREADS + 50; i++) {
                Socket socket = new Socket("127.0.0.1", app.port());
                stalled.add(socket);
                socket.getOutputStream().write(request(1000, "{").getBytes(US_ASCII));
                socket.getOutputStream().flush();
            }
            long lastByte = System.nanoTime();
            HttpResponse<String> health = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/health"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);

            long deadline = lastByte + idle.plusSeconds(5).toNanos();
            for (Socket socket : stalled) {
                socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                // To the end of the stream: a timeout here is a connection neither answered nor closed.
                String answer = new String(socket.getInputStream().readAllBytes(), UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 408 ").contains("\"status\":408");
            }
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    private static String request(int contentLength, String bodyStart) {
        return "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + contentLength + "\r\n\r\n" + bodyStart;
    }
}
