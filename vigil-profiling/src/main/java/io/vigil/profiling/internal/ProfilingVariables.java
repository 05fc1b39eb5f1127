package io.vigil.profiling.internal;

import io.vigil.core.internal.ConfigParsers;
import io.vigil.core.internal.ConfigVariable;
import io.vigil.profiling.ProfilingConfig;
import io.vigil.profiling.ProfilingConfig.SamplingEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * vigil-profiling's environment variables, named as the Pyroscope agent names them, each declared
 * once (name, type, default, validation) and read through vigil-core's {@link
 * io.vigil.core.internal.ConfigSource}. {@code PROFILING_ENABLED} and {@code
 * PYROSCOPE_SERVER_ADDRESS} are vigil-core's, in {@code VigilConfig}.
 */
public final class ProfilingVariables {
    private ProfilingVariables() {}

    /** Whether this JVM is newer than the async-profiler bundled with the Pyroscope agent supports. */
    public static final boolean NEWER_THAN_PROFILER = Runtime.version().feature() >= 25;

    // The labels Vigil sets itself; PYROSCOPE_LABELS cannot override them.
    private static final List<String> RESERVED = List.of("service", "version", "environment", "service_name");

    /** Extra static labels, {@code k=v,k=v}; put over the builder's, label by label. */
    public static final ConfigVariable<Map<String, String>> LABELS = ConfigVariable.of(
            "PYROSCOPE_LABELS",
            ConfigParsers.labels(
                    java.util.regex.Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*"), // ProfilingConfig.LABEL_NAME
                    (k, v) -> ProfilingConfig.labelValueAllowed(v),
                    "is not name=value (value without ,={}\")",
                    k -> RESERVED.contains(k) ? "sets a label Vigil derives from the service" : null),
            Map.of());

    public static final ConfigVariable<SamplingEvent> EVENT = ConfigVariable.of(
                    "PYROSCOPE_PROFILER_EVENT",
                    ConfigParsers.oneOf(
                            Map.of(
                                    "itimer",
                                    SamplingEvent.ITIMER,
                                    "cpu",
                                    SamplingEvent.CPU,
                                    "wall",
                                    SamplingEvent.WALL),
                            "is not itimer, cpu or wall"),
                    SamplingEvent.ITIMER)
            .shownAs(SamplingEvent::asyncProfilerName);

    public static final ConfigVariable<Duration> INTERVAL = ConfigVariable.of(
                    "PYROSCOPE_PROFILING_INTERVAL", ConfigParsers.duration(false), Duration.ofMillis(10))
            .shownAs(ProfilingVariables::show);

    public static final ConfigVariable<Duration> UPLOAD_INTERVAL = ConfigVariable.of(
                    "PYROSCOPE_UPLOAD_INTERVAL", ConfigParsers.duration(false), Duration.ofSeconds(10))
            .shownAs(ProfilingVariables::show);

    // The bundled async-profiler (4.0) predates JDK 25; there, a GC worker thread crashed the JVM
    // (SIGSEGV in GCIdMark) in one of four identity-service runs with allocation and lock
    // profiling on. On JDK 25+ only CPU is profiled unless PYROSCOPE_PROFILER_ALLOC/LOCK ask.
    /** Shortest lock contention recorded; {@code 0} turns lock profiling off. */
    public static final ConfigVariable<Duration> LOCK = ConfigVariable.of(
                    "PYROSCOPE_PROFILER_LOCK",
                    ConfigParsers.duration(true),
                    NEWER_THAN_PROFILER ? Duration.ZERO : Duration.ofMillis(10))
            .shownAs(ProfilingVariables::show);

    /** Bytes between allocation samples ({@code 512k}); {@code 0} turns allocation profiling off. */
    public static final ConfigVariable<Long> ALLOC = ConfigVariable.of(
            "PYROSCOPE_PROFILER_ALLOC",
            ConfigParsers.bytes(0, "is not a byte count (512k, 1m, 0 = off)"),
            NEWER_THAN_PROFILER ? 0L : 512L * 1024);

    private static String show(Duration d) {
        return d.toNanos() % 1_000_000 == 0 ? d.toMillis() + "ms" : d.toNanos() + "ns";
    }
}
