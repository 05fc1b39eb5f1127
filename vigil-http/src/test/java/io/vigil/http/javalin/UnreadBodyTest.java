package io.vigil.http.javalin;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.test.VigilExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A request answered before its body was read (a 413 on its declared length, a refusal after part of it), over raw
 * sockets as a client without {@code Expect: 100-continue} sends it: the whole body first, then the answer read. Jetty
 * alone discarded 8 KiB of what was left and closed, and the client's write failed with a broken pipe or a reset
 * (the reset also dropped the answer): {@code internal.UnreadBodyDrain} reads the rest, up to its bounds.
 */
class UnreadBodyTest {
    private static final int FIVE_MB = 5 * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private Javalin app;

    @BeforeEach
    void start() {
        app = Javalin.create(cfg -> {
                    cfg.concurrency.useVirtualThreads = true;
                    cfg.registerPlugin(new VigilJavalinPlugin(HttpServerTelemetry.create(telemetry.runtime())));
                    // Refused on the declared length alone, as event-pipeline refuses an event over MAX_EVENT_BYTES.
                    cfg.routes.post("/refuse", ctx -> ctx.status(413).result("too large"));
                    // Refused after reading a part of the body, as a body without a length over the limit is.
                    cfg.routes.post("/partial", ctx -> {
                        ctx.req().getInputStream().readNBytes(1024);
                        ctx.status(413).result("too large");
                    });
                    cfg.routes.post("/echo", ctx -> ctx.result(ctx.bodyAsBytes()));
                })
                .start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    @Test
    void aClientStillWritingADeclaredBodyReceivesTheEarlyAnswerAndKeepsItsConnection() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(head("/refuse", "Content-Length: " + FIVE_MB));
            writeBody(out, FIVE_MB, false);
            assertThat(readResponse(socket.getInputStream()))
                    .startsWith("HTTP/1.1 413 ")
                    .endsWith("too large");
            // The body was read to its end: the connection serves the next request.
            out.write(head("/echo", "Content-Length: 2"));
            out.write("ok".getBytes(US_ASCII));
            assertThat(readResponse(socket.getInputStream()))
                    .startsWith("HTTP/1.1 200 ")
                    .endsWith("ok");
        }
    }

    @Test
    void aClientStillWritingAChunkedBodyReceivesTheAnswerGivenAfterPartOfIt() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(head("/partial", "Transfer-Encoding: chunked"));
            writeBody(out, FIVE_MB, true);
            assertThat(readResponse(socket.getInputStream()))
                    .startsWith("HTTP/1.1 413 ")
                    .endsWith("too large");
        }
    }

    @Test
    void aClientWaitingFor100ContinueGetsTheAnswerAndIsNotAskedForTheBody() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(head("/refuse", "Expect: 100-continue\r\nContent-Length: " + FIVE_MB));
            out.flush();
            String answer = readResponse(socket.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 413 ").doesNotContain("100 Continue");
        }
    }

    @Test
    void aBodyWithoutEndIsDiscardedOnlyUpToTheBoundThenTheConnectionCloses() throws Exception {
        long bound = VigilJavalinPlugin.UNREAD_BODY_MAX_BYTES;
        long written = 0;
        IOException cut = null;
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(head("/refuse", "Content-Length: " + Long.MAX_VALUE / 2));
            byte[] chunk = new byte[CHUNK];
            try {
                // Four times the bound, and the socket buffers, at most: the server stops reading well before.
                while (written < 4 * bound) {
                    out.write(chunk);
                    written += chunk.length;
                }
            } catch (IOException e) {
                cut = e;
            }
        }
        assertThat(cut).as("the server stopped reading after %d bytes", written).isNotNull();
        assertThat(written).isGreaterThanOrEqualTo(bound);
        // The server is unaffected.
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(head("/echo", "Content-Length: 2"));
            socket.getOutputStream().write("ok".getBytes(US_ASCII));
            assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void theManagementPortAnswersABodyItTakesNotWhileItsClientIsStillWritingIt() throws Exception {
        Javalin management = Javalin.create(cfg -> {
                    ManagementPort.configure(cfg, "management-test");
                    cfg.routes.get("/metrics", ctx -> ctx.result("# EOF\n"));
                })
                .start("127.0.0.1", 0);
        try (Socket socket = new Socket("127.0.0.1", management.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(head("/metrics", "Content-Length: " + FIVE_MB));
            writeBody(out, FIVE_MB, false);
            assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 405 ");
        } finally {
            management.stop();
        }
    }

    private static byte[] head(String path, String framing) {
        return ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + framing
                        + "\r\n\r\n")
                .getBytes(US_ASCII);
    }

    /** {@code size} bytes in 64 KiB writes, as a client writes a file; a failed write fails the test with its count. */
    private static void writeBody(OutputStream out, int size, boolean chunked) throws IOException {
        byte[] chunk = new byte[CHUNK];
        Arrays.fill(chunk, (byte) 'a');
        int sent = 0;
        try {
            while (sent < size) {
                int n = Math.min(CHUNK, size - sent);
                if (chunked) {
                    out.write((Integer.toHexString(n) + "\r\n").getBytes(US_ASCII));
                }
                out.write(chunk, 0, n);
                if (chunked) {
                    out.write("\r\n".getBytes(US_ASCII));
                }
                sent += n;
            }
            if (chunked) {
                out.write("0\r\n\r\n".getBytes(US_ASCII));
            }
            out.flush();
        } catch (IOException e) {
            throw new AssertionError("the server cut the connection after " + sent + " bytes of the body: " + e, e);
        }
    }

    /** One response, head and body (by its Content-Length). */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after: " + head.toString(US_ASCII));
            }
            head.write(b);
        }
        String text = head.toString(US_ASCII);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        return text + new String(in.readNBytes(length), UTF_8);
    }
}
