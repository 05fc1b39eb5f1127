package io.vigil.bench;

import io.vigil.core.Vigil;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cold start-up cost of the runtime: one {@code Vigil} built and closed in a fresh JVM per fork,
 * so class loading and SDK initialisation are included, as a service pays them once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(10)
public class StartupBenchmark {

    /** {@code full}: OTLP export configured; {@code local}: Prometheus only; {@code off}: disabled. */
    @Param({"full", "local", "off"})
    public String mode;

    @Benchmark
    public Vigil coldStart() {
        Map<String, String> env = switch (mode) {
            case "full" -> Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317");
            case "local" -> Map.of();
            case "off" -> Map.of("ENABLE_OBSERVABILITY", "false");
            default -> throw new IllegalArgumentException(mode);
        };
        Vigil vigil = Vigil.builder().environment(env).build();
        vigil.shutdown(java.time.Duration.ofSeconds(1));
        return vigil;
    }
}
