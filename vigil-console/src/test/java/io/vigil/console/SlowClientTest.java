package io.vigil.console;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.console.internal.StoreTestAccess;
import io.vigil.test.SlowClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Slowloris on the HTTP port, over real sockets: clients that send their headers and then stall in their bodies hold
 * connections, never the console's 64 HTTP threads, and each is answered 408 once its body has been idle for {@link
 * VigilConsole.Builder#bodyIdleTimeout}; a slow body that keeps moving still gets through.
 */
class SlowClientTest {
    /** The console's HTTP pool (HttpApi): more stalled clients than this once took every thread. */
    private static final int POOL_THREADS = 64;

    @Test
    void moreStalledBodiesThanThreadsLeaveOtherRequestsAnsweredAndEachIsAnswered408WithinTheBound() throws Exception {
        Duration idle = Duration.ofSeconds(4);
        try (VigilConsole console = VigilConsole.builder()
                .httpPort(0)
                .grpcPort(-1)
                .bodyIdleTimeout(idle)
                .start()) {
            List<Socket> stalled = new ArrayList<>();
            long firstLastByte = 0;
            try {
                for (int i = 0; i < POOL_THREADS + 16; i++) {
                    Socket socket = new Socket("127.0.0.1", console.httpPort());
                    stalled.add(socket);
                    OutputStream out = socket.getOutputStream();
                    out.write(("POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\n"
                                    + "Content-Length: 100000\r\n\r\n")
                            .getBytes(US_ASCII));
                    // Before the write: never after the server has read the first client's last byte.
                    firstLastByte = i == 0 ? System.nanoTime() : firstLastByte;
                    out.write(new byte[10]); // a start of the body, and then nothing more
                    out.flush();
                }
                long lastByte = System.nanoTime();

                // Others are answered at once, well before the stalled bodies' timeout: the threads are free.
                HttpResponse<String> stats = new ApiClient(console).send("/api/stats", true);
                assertThat(stats.statusCode()).isEqualTo(200);
                HttpResponse<byte[]> export = ApiClient.post(
                        console.httpEndpoint() + "/v1/traces",
                        "application/x-protobuf",
                        StoreTestAccess.spans(1),
                        null);
                assertThat(export.statusCode()).isEqualTo(200);
                // Three quarters of the timeout: before any stalled body's timeout could have freed a thread, with
                // room for a loaded machine's first HttpClient call.
                assertThat(Duration.ofNanos(System.nanoTime() - lastByte))
                        .isLessThan(idle.multipliedBy(3).dividedBy(4));

                // Each stalled client: 408 with a problem document, then its connection closed, within the bound.
                long deadline = lastByte + idle.plusSeconds(3).toNanos();
                long firstAnswer = 0;
                for (Socket socket : stalled) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    socket.setSoTimeout((int) Math.max(1, left));
                    // Read to the end of the stream: a timeout here is a connection neither answered nor closed.
                    String answer = new String(socket.getInputStream().readAllBytes(), UTF_8);
                    firstAnswer = firstAnswer == 0 ? System.nanoTime() : firstAnswer;
                    assertThat(answer).startsWith("HTTP/1.1 408 ");
                    assertThat(answer.toLowerCase(Locale.ROOT))
                            .contains("content-type: application/problem+json")
                            .contains("connection: close");
                    assertThat(answer)
                            .contains("\"status\":408")
                            .contains("\"instance\":\"/v1/traces\"")
                            .contains("nothing of it arrived for 4 s");
                }
                // Not cut off early either: the first client (the longest idle) was answered once the timeout had run
                // from its own last byte. (Measured from the last client's, this failed on a loaded CI machine where
                // opening the 80 connections took over a second.)
                assertThat(Duration.ofNanos(firstAnswer - firstLastByte)).isGreaterThanOrEqualTo(idle);
            } finally {
                for (Socket socket : stalled) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aLargeUploadThatKeepsMovingSucceedsThoughItTakesManyIdleTimeouts() throws Exception {
        Duration idle = Duration.ofMillis(600);
        try (VigilConsole console = VigilConsole.builder()
                .httpPort(0)
                .grpcPort(-1)
                .bodyIdleTimeout(idle)
                .start()) {
            // Serialized OTLP requests concatenated are one request with all their resource spans: 4000 spans.
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int b = 0; b < 40; b++) {
                batch.writeBytes(StoreTestAccess.spans(b));
            }
            byte[] body = batch.toByteArray();
            int pieces = 36;
            long start = System.nanoTime();
            try (Socket socket = new Socket("127.0.0.1", console.httpPort())) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\n"
                                + "Connection: close\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(US_ASCII));
                out.flush();
                // Pacing the client, not waiting for the server: gaps of a sixth of the idle timeout, 36 of them (3.6
                // s,
                // six timeouts). Each gap leaves 500 ms for a stalled pacing thread or a GC pause before a 408.
                CompletableFuture<Void> sent = SlowClient.paced(idle.dividedBy(6), pieces, i -> {
                    int from = body.length * i / pieces;
                    int to = body.length * (i + 1) / pieces;
                    write(out, body, from, to);
                });
                String answer = new String(socket.getInputStream().readAllBytes(), UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 200 ");
                assertThat(sent).succeedsWithin(Duration.ofSeconds(5));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(idle.multipliedBy(5));
            assertThat(console.flush(Duration.ofSeconds(30))).isTrue();
            assertThat(console.stats().acceptedRequests()).isEqualTo(1);
            assertThat(console.stats().spans()).isEqualTo(4000);
        }
    }

    @Test
    void aBodyTricklingUnderTheMinimumRateIsAnswered408ThoughItNeverPausesForTheIdleTimeout() throws Exception {
        Duration idle = Duration.ofSeconds(1);
        try (VigilConsole console = VigilConsole.builder()
                        .httpPort(0)
                        .grpcPort(-1)
                        .bodyIdleTimeout(idle)
                        .start();
                Socket socket = new Socket("127.0.0.1", console.httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/logs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\n"
                            + "Content-Length: 100000\r\n\r\n")
                    .getBytes(US_ASCII));
            long firstByte = System.nanoTime(); // before the write: never after the server saw the first byte
            out.write(new byte[10]);
            out.flush();
            // Pacing the client: a byte every quarter of the idle timeout, so that timeout never runs.
            CompletableFuture<Void> trickle = SlowClient.paced(idle.dividedBy(4), 40, i -> {
                out.write(0);
                out.flush();
            });
            try {
                String answer = new String(socket.getInputStream().readAllBytes(), UTF_8);
                Duration took = Duration.ofNanos(System.nanoTime() - firstByte);
                assertThat(answer).startsWith("HTTP/1.1 408 ");
                assertThat(answer)
                        .contains("\"status\":408")
                        .contains("under 1024 bytes a second")
                        .contains("\"instance\":\"/v1/logs\"");
                // Answered at its first byte once it had been arriving for the idle timeout: within a gap after it.
                assertThat(took).isGreaterThanOrEqualTo(idle).isLessThan(idle.plusSeconds(2));
            } finally {
                trickle.cancel(true); // the server answered and closed: the trickle ends
            }
        }
    }

    private static void write(OutputStream out, byte[] body, int from, int to) throws IOException {
        out.write(body, from, to - from);
        out.flush();
    }
}
