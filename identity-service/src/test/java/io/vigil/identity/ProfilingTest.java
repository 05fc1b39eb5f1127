package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.profiling.ProfilingConfig;
import io.vigil.profiling.VigilProfiling;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A running identity-service sends its profiles to Pyroscope's ingest API, linked from its traces. */
class ProfilingTest {

    @Test
    void profilesOfTheRunningServiceReachPyroscopeNamedAndTaggedAndLinkedFromRootSpans() throws Exception {
        List<String> names = new CopyOnWriteArrayList<>();
        HttpServer pyroscope = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        pyroscope.createContext("/ingest", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                for (String pair : exchange.getRequestURI().getRawQuery().split("&")) {
                    if (pair.startsWith("name=")) {
                        names.add(URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8));
                    }
                }
                exchange.sendResponseHeaders(200, -1);
            }
        });
        pyroscope.start();
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        VigilConfig config = VigilConfig.builder()
                .serviceName("identity-service")
                .serviceVersion("9.9.9")
                .environment("test")
                .profilingEnabled(true)
                .pyroscopeServerAddress(java.net.URI.create(
                        "http://127.0.0.1:" + pyroscope.getAddress().getPort()))
                .build();
        try (Vigil vigil = Vigil.builder()
                        .config(config)
                        .runtimeMetrics(false)
                        .customizeSdk(VigilProfiling.customizer(ProfilingConfig.builder(config)
                                .uploadInterval(Duration.ofSeconds(1))
                                .build()))
                        .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                                (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                        .build();
                IdentityService service = IdentityService.start(
                        IdentityConfig.builder()
                                .host("127.0.0.1")
                                .port(0)
                                .managementPort(0) // the default 9464 may be taken on a shared machine
                                .databaseUrl(TestDatabases.h2())
                                .admin(TestService.ADMIN_EMAIL, TestService.ADMIN_PASSWORD)
                                .signingKeyJwk(TestService.SIGNING_KEY)
                                .build(),
                        vigil)) {
            Api api = new Api(service.port());
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                api.login(TestService.ADMIN_EMAIL, TestService.ADMIN_PASSWORD); // Argon2id: real CPU
                return !names.isEmpty();
            });
            assertThat(names.getFirst())
                    .startsWith("identity-service")
                    .contains("service=identity-service")
                    .contains("version=9.9.9")
                    .contains("environment=test");
            SpanData server = spans.getFinishedSpanItems().stream()
                    .filter(s -> s.getKind() == SpanKind.SERVER)
                    .findFirst()
                    .orElseThrow();
            assertThat(server.getAttributes().get(AttributeKey.stringKey("pyroscope.profile.id")))
                    .isEqualTo(server.getSpanId());
        } finally {
            pyroscope.stop(0);
        }
    }
}
