package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * DNS rebinding: a page on a name its attacker re-points at 127.0.0.1 is same-origin with a loopback console, so its
 * requests carry that name in {@code Host}. A loopback console answers only requests addressed to localhost or an IP.
 */
class HostHeaderTest {

    /** One HTTP/1.1 request with the given Host header, over a plain socket (the JDK client will not set Host). */
    private static String send(int port, String method, String path, String host, String type, byte[] body)
            throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            String head = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
                    + (type == null ? "" : "Content-Type: " + type + "\r\n")
                    + "Content-Length: " + body.length + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            in.transferTo(response);
            return response.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void aLoopbackConsoleRefusesRequestsNamingAnotherHost() throws Exception {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            int port = console.httpPort();
            byte[] trace = OtlpHttpReceiverTest.protobufTrace("rebound", "4bf92f3577b34da6a3ce929d0e0e4736", "x")
                    .toByteArray();
            String json = "{\"resourceSpans\":[]}";

            String otlp = send(
                    port,
                    "POST",
                    "/v1/traces",
                    "rebind.attacker.example:" + port,
                    "application/json",
                    json.getBytes(StandardCharsets.UTF_8));
            assertThat(otlp).startsWith("HTTP/1.1 403").contains("\"code\"", "loopback");
            assertThat(send(port, "POST", "/v1/traces", "rebind.attacker.example", "application/x-protobuf", trace))
                    .startsWith("HTTP/1.1 403");
            String ui = send(
                    port, "GET", "/?token=" + console.token(), "rebind.attacker.example:" + port, null, new byte[0]);
            assertThat(ui)
                    .startsWith("HTTP/1.1 403")
                    .contains("application/problem+json")
                    .doesNotContain("Set-Cookie", console.token());
            assertThat(console.stats().acceptedRequests())
                    .as("nothing the rebound page sent was taken")
                    .isZero();

            for (String host : new String[] {
                "localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "LOCALHOST", "app.localhost:" + port
            }) {
                assertThat(send(port, "POST", "/v1/traces", host, "application/x-protobuf", trace))
                        .as(host)
                        .startsWith("HTTP/1.1 200");
            }
            assertThat(console.stats().acceptedRequests()).isEqualTo(5);
        }
    }

    @Test
    void aConsoleListeningBeyondLoopbackTakesAnyHostName() throws Exception {
        try (VigilConsole console =
                VigilConsole.builder().host("0.0.0.0").httpPort(0).grpcPort(-1).start()) {
            byte[] trace = OtlpHttpReceiverTest.protobufTrace("svc", "4bf92f3577b34da6a3ce929d0e0e4736", "x")
                    .toByteArray();
            assertThat(send(
                            console.httpPort(),
                            "POST",
                            "/v1/traces",
                            "console.internal.example",
                            "application/x-protobuf",
                            trace))
                    .startsWith("HTTP/1.1 200");
        }
    }
}
