package io.vigil.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code vigil-console.jar} as shipped: it prints its URL, accepts OTLP exports over HTTP and gRPC
 * with no JVM warning, stops with exit code 0 on SIGTERM, and a port in use ends it at once with a non-zero exit code.
 */
class VigilConsoleJarIT {
    private static final Pattern STARTED = Pattern.compile(
            "^Vigil console: (http://\\S+/\\?token=\\w+) .*OTLP/HTTP (http://[\\d.:]+), OTLP/gRPC (http://[\\d.:]+)\\)$");

    @TempDir
    Path tmp;

    @Test
    void printsItsUrlAndAcceptsOtlpOverHttpAndGrpc() throws Exception {
        try (ShippedJar console = ShippedJar.start(
                ShippedJar.jar("vigil-console.jar"), tmp, Map.of(), "--http-port", "0", "--grpc-port", "0")) {
            Matcher started = await("the console's URL line")
                    .atMost(ShippedJar.START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(200))
                    .failFast("the process ended", () -> !console.isAlive())
                    .until(
                            () -> console.stdout().stream()
                                    .map(STARTED::matcher)
                                    .filter(Matcher::matches)
                                    .findFirst(),
                            Optional::isPresent)
                    .orElseThrow();

            assertThat(export(OtlpHttpSpanExporter.builder()
                            .setEndpoint(started.group(2) + "/v1/traces")
                            .build()))
                    .as("OTLP/HTTP export")
                    .isTrue();
            assertThat(export(OtlpGrpcSpanExporter.builder()
                            .setEndpoint(started.group(3))
                            .build()))
                    .as("OTLP/gRPC export")
                    .isTrue();

            // A client that speaks no gRPC at all (a port scanner, an HTTP/1 probe): refused, and not a stack trace.
            URI grpc = URI.create(started.group(3));
            try (Socket probe = new Socket(grpc.getHost(), grpc.getPort())) {
                probe.setSoTimeout(30_000);
                probe.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                probe.getInputStream().readAllBytes();
            }
            assertThat(export(OtlpGrpcSpanExporter.builder()
                            .setEndpoint(started.group(3))
                            .build()))
                    .as("OTLP/gRPC export after the probe")
                    .isTrue();

            // SIGTERM is an orderly stop and a success, as the reference services': exit 0 (it was the JVM's 143).
            assertThat(console.stop()).as("exit code after SIGTERM").isZero();
            console.assertNoWarningsOnStderr();
            assertThat(console.stderr()).as("stderr").noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception"));
        }
    }

    /**
     * A port in use is exactly one line naming the option and the port, and exit code 1: Javalin's own "Failed to
     * start Javalin" ERROR came first, and a taken gRPC port was Netty's "Failed to bind to address".
     */
    @ParameterizedTest
    @ValueSource(strings = {"--http-port", "--grpc-port"})
    void aPortInUseIsOneLineNamingTheOptionAndExitCode1(String option) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ShippedJar console = ShippedJar.start(
                        ShippedJar.jar("vigil-console.jar"),
                        tmp,
                        Map.of(),
                        "--http-port",
                        "0",
                        "--grpc-port",
                        "0",
                        option,
                        Integer.toString(taken.getLocalPort()))) {
            assertThat(console.awaitExit(ShippedJar.START_TIMEOUT)).isEqualTo(1);
            assertThat(console.stderr())
                    .singleElement()
                    .satisfies(l -> assertThat(l)
                            .startsWith("vigil-console: cannot start: " + option + " " + taken.getLocalPort()
                                    + ": the port is already in use by another process; choose another (0 = any free"
                                    + " port"));
            assertThat(console.stdout()).isEmpty();
        }
    }

    /** A bad option value is one line naming the option, exit code 2 (it was Java's "For input string: …"). */
    @Test
    void aBadPortIsOneLineNamingTheOptionAndExitCode2() throws Exception {
        try (ShippedJar console =
                ShippedJar.start(ShippedJar.jar("vigil-console.jar"), tmp, Map.of(), "--http-port", "abc")) {
            assertThat(console.awaitExit(ShippedJar.START_TIMEOUT)).isEqualTo(2);
            assertThat(console.stderr())
                    .singleElement()
                    .satisfies(l -> assertThat(l)
                            .startsWith("vigil-console: --http-port: not a port number")
                            .endsWith(": abc (see --help)"));
            assertThat(console.stdout()).isEmpty();
        }
    }

    /** Exports one span through {@code exporter}; whether the console accepted it. */
    private static boolean export(SpanExporter exporter) {
        InMemorySpanExporter captured = InMemorySpanExporter.create();
        try (SdkTracerProvider tracing = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(captured))
                .build()) {
            tracing.get("dist-test")
                    .spanBuilder("shipped-jar-check")
                    .startSpan()
                    .end();
        }
        try {
            return exporter.export(captured.getFinishedSpanItems())
                    .join(30, TimeUnit.SECONDS)
                    .isSuccess();
        } finally {
            exporter.shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
