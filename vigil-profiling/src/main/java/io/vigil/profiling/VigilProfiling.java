package io.vigil.profiling;

import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.vigil.core.VigilConfig;
import io.vigil.profiling.internal.PyroscopeAgentRunner;
import io.vigil.profiling.internal.SpanProfileProcessor;
import io.vigil.profiling.internal.UploadHealth;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous profiling of this JVM with the Pyroscope agent (async-profiler inside), linked from
 * traces. One call wires it into a {@code Vigil} runtime:
 *
 * <pre>{@code
 * VigilConfig config = VigilConfig.fromEnvironment();
 * Vigil vigil = Vigil.builder()
 *         .config(config)
 *         .customizeSdk(VigilProfiling.customizer(config))   // PROFILING_ENABLED decides
 *         .registerGlobal(true)
 *         .build();
 * ...
 * vigil.close();                                              // stops profiling too
 * }</pre>
 *
 * <p>With profiling on, CPU, allocation and lock profiles tagged with the service, version and
 * environment go to {@code PYROSCOPE_SERVER_ADDRESS} (or, for {@code file:<dir>}, into JFR files),
 * and every local root span carries {@code pyroscope.profile.id}, so Grafana opens the flame graph
 * of exactly that request. Profiling failures never reach the service: a profiler that cannot
 * start is logged once and left off; an unreachable server is logged once, and profiles beyond a
 * small queue are dropped.
 *
 * <p>The agent is a JVM-wide singleton: one profiling session runs at a time.
 */
public final class VigilProfiling implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VigilProfiling.class);
    private static final AtomicReference<VigilProfiling> ACTIVE = new AtomicReference<>();

    private final ProfilingConfig config;
    private final UploadHealth health;
    private final boolean running;
    private final AtomicBoolean closed = new AtomicBoolean();

    private VigilProfiling(ProfilingConfig config, UploadHealth health, boolean running) {
        this.config = config;
        this.health = health;
        this.running = running;
    }

    /**
     * An SDK customizer for {@code Vigil.builder().customizeSdk(...)} that, when {@code config}
     * and the environment switch profiling on, starts the profiler as the SDK is built, links root
     * spans to profiles, and stops the profiler when the SDK shuts down. Reads the profiling
     * settings from this process's environment ({@link ProfilingConfig#fromEnvironment(VigilConfig,
     * java.util.Map)}).
     */
    public static Consumer<AutoConfiguredOpenTelemetrySdkBuilder> customizer(VigilConfig config) {
        return customizer(ProfilingConfig.fromEnvironment(config));
    }

    /** {@link #customizer(VigilConfig)} with explicit profiling settings. */
    public static Consumer<AutoConfiguredOpenTelemetrySdkBuilder> customizer(ProfilingConfig config) {
        Objects.requireNonNull(config, "config");
        return sdk -> sdk.addTracerProviderCustomizer((tracing, properties) -> {
            VigilProfiling profiling = start(config);
            return profiling.running ? tracing.addSpanProcessor(profiling.spanProcessor()) : tracing;
        });
    }

    /**
     * Starts profiling now, without span linking unless {@link #spanProcessor()} is added to a
     * tracer provider. The caller closes it. Never throws for profiling problems: check {@link
     * #running()}.
     */
    public static VigilProfiling start(ProfilingConfig config) {
        Objects.requireNonNull(config, "config");
        config.warnings().forEach(w -> log.warn("Profiling configuration: {}", w));
        UploadHealth health = new UploadHealth(config.destination().toString());
        if (!config.enabled()) {
            log.info(config.summary());
            return new VigilProfiling(config, health, false);
        }
        VigilProfiling candidate = new VigilProfiling(config, health, true);
        if (!ACTIVE.compareAndSet(null, candidate)) {
            log.warn("Profiling already runs in this JVM; this second session stays off");
            return new VigilProfiling(config, health, false);
        }
        PyroscopeAgentRunner.Outcome outcome = PyroscopeAgentRunner.start(config, health);
        if (!outcome.running()) {
            ACTIVE.set(null);
            log.warn("Profiling could not start and stays off; the service runs unaffected: {}", outcome.error());
            return new VigilProfiling(config, health, false);
        }
        if (!outcome.stackWalking().equals(config.stackWalking())) {
            log.info(
                    "async-profiler's VM-structures stack walker does not support Java {}; stacks are walked with "
                            + "cstack={} instead",
                    Runtime.version().feature(),
                    outcome.stackWalking());
            candidate = new VigilProfiling(
                    config.toBuilder().stackWalking(outcome.stackWalking()).build(), health, true);
            ACTIVE.set(candidate);
        }
        log.info(candidate.config.summary());
        return candidate;
    }

    /** Whether this session is profiling. */
    public boolean running() {
        return running && !closed.get();
    }

    /** The settings this session started with. */
    public ProfilingConfig config() {
        return config;
    }

    /** Profiles delivered to the destination so far. */
    public long deliveredProfiles() {
        return health.succeededCount();
    }

    /** Profiles that could not be delivered and were dropped. */
    public long droppedProfiles() {
        return health.failedCount();
    }

    /**
     * A span processor that marks local root spans with {@code pyroscope.profile.id} and labels
     * their samples; shutting it down closes this session.
     */
    public SpanProcessor spanProcessor() {
        return new SpanProfileProcessor(this::close);
    }

    /** Stops the profiler (the current, partial upload interval is not sent). Idempotent. */
    @Override
    public void close() {
        if (!running || !closed.compareAndSet(false, true)) {
            return;
        }
        try {
            PyroscopeAgentRunner.stop();
        } catch (RuntimeException e) {
            log.warn("Stopping the profiler failed: {}", e.toString()); // once: close is idempotent
        } finally {
            ACTIVE.compareAndSet(this, null);
        }
        log.info(
                "Vigil profiling stopped ({} profiles delivered, {} dropped)",
                health.succeededCount(),
                health.failedCount());
    }
}
