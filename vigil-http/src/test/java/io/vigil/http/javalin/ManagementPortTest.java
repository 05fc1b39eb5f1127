package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.vigil.http.MetricsAccess;
import io.vigil.test.VigilExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A management port: threads of its own, 405 over 404, Jetty's refusals as problem+json; the metrics handler. */
class ManagementPortTest {
    private static final String TOKEN = "s3cret-scrape-token-0123456789";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private final AtomicReference<String> handlerThread = new AtomicReference<>();
    private Javalin app;

    private int start() {
        app = Javalin.create(config -> {
                    ManagementPort.configure(config, "mgmt-test");
                    config.routes.get(
                            "/metrics",
                            ManagementPort.metrics(
                                    telemetry.runtime().metricsEndpoint(), MetricsAccess.bearerToken(TOKEN)));
                    config.routes.get("/health", ctx -> {
                        handlerThread.set(Thread.currentThread().getName());
                        ctx.result("ok");
                    });
                })
                .start("127.0.0.1", 0);
        return app.port();
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    @Test
    void jettysRefusalsAreProblemJsonNotHtml() {
        int port = start();
        java.util.Map<String, String> details = java.util.Map.of(
                "GARBAGE\r\n\r\n",
                "The request line has no request target",
                "GET /%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "The request target has a malformed percent-escape (a % must start %XX)",
                "GET /a b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "Illegal character in the request line: a space (a space in the request target must be sent as %20)",
                "POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
                "The request has Content-Length values that differ",
                "M".repeat(10_000) + " /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n",
                "The request line's method or HTTP version is too long: the request line and header fields together"
                        + " may have at most 8192 bytes");
        details.forEach((request, detail) -> {
            String response = raw(port, request);
            assertThat(response)
                    .as(request)
                    .startsWith("HTTP/1.1 400 ")
                    .contains("\r\nContent-Type: application/problem+json")
                    .endsWith(",\"detail\":\"" + detail + "\"}");
            assertThat(response).as(request).doesNotContainIgnoringCase("<html");
        });
    }

    /** RFC 9112 §6.1, as on the application's port: 400, the connection closed, the next request never read. */
    @Test
    void anHttp10RequestWithTransferEncodingIs400AndItsConnectionClosed() {
        int port = start();
        String answer = raw(
                port,
                "POST /metrics HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
                        + "0\r\n\r\nGET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertThat(answer)
                .startsWith("HTTP/1.1 400 ")
                .containsOnlyOnce("HTTP/1.1 ")
                .contains("\r\nConnection: close\r\n", "\r\nContent-Type: application/problem+json\r\n")
                .endsWith("\"status\":400,\"detail\":\"An HTTP/1.0 request must not have Transfer-Encoding (RFC 9112,"
                        + " section 6.1): its framing is faulty\"}");
        assertThat(handlerThread.get()).as("no handler ran").isNull();
    }

    @Test
    void aWrongMethodIs405AndTheHandlersRunOnTheirOwnThreads() {
        int port = start();
        assertThat(raw(
                        port,
                        "POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 405 ");
        assertThat(raw(port, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200 ");
        assertThat(handlerThread.get()).startsWith("mgmt-test");
    }

    @Test
    void theMetricsHandlerServesWhomItsAccessAdmits() {
        int port = start();
        assertThat(raw(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 401 ")
                .contains("\r\nWWW-Authenticate: Bearer realm=\"metrics\"")
                .contains("\r\nContent-Type: application/problem+json");
        assertThat(
                        raw(
                                port,
                                "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + TOKEN
                                        + "\r\nAccept: application/openmetrics-text; version=1.0.0\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200 ")
                .contains("\r\nContent-Type: application/openmetrics-text")
                .contains("# EOF\n");
    }

    @Test
    void headOnAGetRouteAnswersTheGetsHeadersWithoutTheBody() {
        // Only GET routes registered, as the services register theirs: HEAD must not be Javalin's empty 200.
        int port = start();
        for (String accept : new String[] {"text/plain", "application/openmetrics-text; version=1.0.0"}) {
            String request = " /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + TOKEN + "\r\nAccept: "
                    + accept + "\r\nConnection: close\r\n\r\n";
            String get = raw(port, "GET" + request);
            String head = raw(port, "HEAD" + request);
            assertThat(head).as(accept).startsWith("HTTP/1.1 200 ");
            assertThat(header(head, "Content-Type"))
                    .as(accept)
                    .isEqualTo(header(get, "Content-Type"))
                    .contains("version=");
            assertThat(Long.parseLong(header(head, "Content-Length")))
                    .as(accept)
                    .isGreaterThan(100);
            assertThat(head.substring(head.indexOf("\r\n\r\n") + 4)).isEmpty();
        }
        // Without the token, HEAD is refused as GET is: the route runs.
        assertThat(raw(port, "HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 401 ")
                .contains("\r\nContent-Type: application/problem+json");
    }

    private static String header(String response, String name) {
        String head = response.substring(0, response.indexOf("\r\n\r\n"));
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    @Test
    void clientsThatDoNotReadTheirAnswersLeaveHealthChecksAnswered() throws IOException {
        // 24 connections (more than the port's 16 threads) each pipeline 200 requests for a 64 KB answer and never
        // read: every handler blocks in its write once the socket buffers are full. A probe must still be answered.
        byte[] big = new byte[64 << 10];
        app = Javalin.create(config -> {
                    ManagementPort.configure(config, "mgmt-test");
                    config.routes.get("/big", ctx -> ctx.result(big));
                    config.routes.get("/health", ctx -> ctx.result("ok"));
                })
                .start("127.0.0.1", 0);
        int port = app.port();
        java.util.List<Socket> stalled = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 24; i++) {
                Socket s = new Socket();
                s.setReceiveBufferSize(4096);
                s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                s.getOutputStream()
                        .write("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n"
                                .repeat(200)
                                .getBytes(StandardCharsets.ISO_8859_1));
                stalled.add(s);
            }
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
                probe.setSoTimeout(10_000); // a probe's timeout, generous; before, no answer came at all
                probe.getOutputStream()
                        .write("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                                .getBytes(StandardCharsets.ISO_8859_1));
                String answer = new String(probe.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("ok");
            }
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    private static String raw(int port, String request) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
