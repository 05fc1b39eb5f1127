package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.test.VigilExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A coded request body is the application's to decode unless it asks the plugin to refuse them ({@link
 * VigilJavalinPlugin#refuseCodedBodies()}, tested with the rest of the contract in {@code VigilJavalinPluginTest}).
 */
class CodedBodiesTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private Javalin app;

    @AfterEach
    void stop() {
        app.stop();
    }

    @Test
    void byDefaultAGzipBodyReachesTheHandlerThatDecodesIt() throws Exception {
        HttpServerTelemetry http = HttpServerTelemetry.create(telemetry.runtime());
        app = Javalin.create(config -> {
                    config.registerPlugin(new VigilJavalinPlugin(http));
                    config.routes.post("/upload", ctx -> {
                        try (var in = new GZIPInputStream(new ByteArrayInputStream(ctx.bodyAsBytes()))) {
                            ctx.status(201).result(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                        }
                    });
                })
                .start("127.0.0.1", 0);
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/upload"))
                                .header("Content-Encoding", "gzip")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(gzip("{\"a\":1}")))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).isEqualTo("{\"a\":1}");
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
