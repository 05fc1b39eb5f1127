package io.vigil.http.javalin;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.javalin.Javalin;
import io.vigil.test.SlowClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The first step of a graceful stop: no new connections, and the requests in flight finish, their bodies included. */
class StopAcceptingTest {
    @Test
    void aRequestStillReceivingItsBodyWhenTheStopBeginsIsServedAndNewConnectionsAreRefused() throws Exception {
        CountDownLatch handling = new CountDownLatch(1);
        Javalin app = Javalin.create(cfg -> {
                    cfg.startup.showJavalinBanner = false;
                    cfg.routes.post("/echo", ctx -> {
                        handling.countDown(); // the headers are in; the body is read below
                        ctx.result("got " + ctx.body());
                    });
                })
                .start("127.0.0.1", 0);
        int port = app.port();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write("POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\n"
                    .getBytes(US_ASCII));
            out.flush();
            assertThat(handling.await(10, TimeUnit.SECONDS)).isTrue();

            PortBinding.stopAccepting(app);

            // The listening socket closes on Jetty's selector thread: refused soon after, not necessarily at once.
            await().atMost(Duration.ofSeconds(10)).until(() -> refused(port));
            // The body comes 1.5 s later: past Jetty's shutdown idle timeout (1 s), which answered it 408.
            CompletableFuture<Void> body = SlowClient.paced(Duration.ofMillis(1500), 1, i -> write(out, "hello"));
            String answer = new String(socket.getInputStream().readAllBytes(), UTF_8);
            // The server may answer before the client's write call has returned: wait for it rather than race it.
            assertThat(body).succeedsWithin(Duration.ofSeconds(10));
            assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("got hello");
        } finally {
            app.stop();
        }
    }

    @Test
    void anIdleKeepAliveConnectionDoesNotHoldTheGracefulStop() throws Exception {
        Javalin app = Javalin.create(cfg -> {
                    cfg.startup.showJavalinBanner = false;
                    cfg.jetty.modifyServer(server -> server.setStopTimeout(20_000));
                    cfg.routes.get("/hello", ctx -> ctx.result("hello"));
                })
                .start("127.0.0.1", 0);
        try (Socket idle = new Socket("127.0.0.1", app.port())) {
            idle.setSoTimeout(30_000);
            write(idle.getOutputStream(), "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
            byte[] answer = new byte[256];
            assertThat(new String(answer, 0, idle.getInputStream().read(answer), UTF_8))
                    .startsWith("HTTP/1.1 200 ");
            // The connection stays open, idle: Jetty closes it at its shutdown idle timeout (1 s), so the graceful stop
            // does not wait the 20 s of its stop timeout (every test service's close timed out that way once).
            long start = System.nanoTime();
            PortBinding.stopAccepting(app);
            app.stop();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    private static boolean refused(int port) throws IOException {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(US_ASCII));
        out.flush();
    }
}
