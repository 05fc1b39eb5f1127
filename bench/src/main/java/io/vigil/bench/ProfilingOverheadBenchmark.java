package io.vigil.bench;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.profiling.ProfilingConfig;
import io.vigil.profiling.VigilProfiling;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of continuous profiling: throughput of a request-like, CPU-bound workload (a root span
 * around hashing a credential, building a JSON-ish response and allocating it) with profiling
 * {@code off} and {@code on} (Vigil's defaults: itimer CPU at 100 Hz, allocation every 512 KiB,
 * lock ≥ 10 ms, span profiles; profiles written as JFR files every 10 s, so the dump cost is
 * included but no network). The overhead is the ratio of the two scores of one run.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 6, time = 10)
@Fork(
        value = 2,
        jvmArgsAppend = {"-Xms512m", "-Xmx512m", "--enable-native-access=ALL-UNNAMED"})
public class ProfilingOverheadBenchmark {

    @Param({"off", "on"})
    public String profiling;

    /** SHA-256 rounds per request: 200 is about 13 µs of CPU here, 2000 about 130 µs. */
    int hashes = 200;

    private Vigil vigil;
    private Tracer tracer;
    private MessageDigest sha;
    private Path profiles;
    private long id;

    @Setup
    public void setUp() throws IOException, NoSuchAlgorithmException {
        profiles = Files.createTempDirectory("vigil-profiles");
        VigilConfig config = VigilConfig.builder()
                .serviceName("bench")
                .profilingEnabled(profiling.equals("on"))
                .pyroscopeServerAddress(profiles.toUri())
                .build();
        vigil = Vigil.builder()
                .config(config)
                .customizeSdk(VigilProfiling.customizer(
                        ProfilingConfig.builder(config).build()))
                .build();
        tracer = vigil.openTelemetry().getTracer("bench");
        sha = MessageDigest.getInstance("SHA-256");
    }

    /** Runs the request against an existing runtime (for {@link ProfilingOverhead}). */
    void useRuntime(Vigil runtime) throws NoSuchAlgorithmException {
        vigil = runtime;
        tracer = runtime.openTelemetry().getTracer("bench");
        sha = MessageDigest.getInstance("SHA-256");
    }

    @TearDown
    public void tearDown() throws IOException {
        vigil.close();
        try (var files = Files.list(profiles)) {
            var written = files.toList();
            // A run is only meaningful if "on" really profiled (a trial lasts well past one 10 s upload).
            if (profiling.equals("on")
                    && written.stream().noneMatch(f -> f.toString().endsWith(".jfr"))) {
                throw new IllegalStateException("profiling was on but wrote no profile");
            }
            for (Path f : written) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(profiles);
    }

    @Benchmark
    public int request() {
        Span span = tracer.spanBuilder("GET /api/v1/users/{id}").startSpan();
        try (Scope ignored = span.makeCurrent()) {
            long user = id++;
            byte[] digest = ("user-" + user + ":secret").getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < hashes; i++) { // a slow password check stands in for the CPU of a request
                digest = sha.digest(digest);
            }
            Map<String, Object> body = new HashMap<>();
            body.put("id", user);
            body.put("email", "user" + user + "@example.com");
            body.put("hash", digest);
            StringBuilder json = new StringBuilder(256).append('{');
            body.forEach((k, v) ->
                    json.append('"').append(k).append("\":\"").append(v).append("\","));
            return json.append('}').toString().length();
        } finally {
            span.end();
        }
    }
}
