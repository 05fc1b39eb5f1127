package io.vigil.profiling.internal;

import io.pyroscope.http.Format;
import io.pyroscope.javaagent.EventType;
import io.pyroscope.javaagent.PyroscopeAgent;
import io.pyroscope.javaagent.api.Exporter;
import io.pyroscope.javaagent.config.Config;
import io.pyroscope.javaagent.config.ProfilerType;
import io.pyroscope.javaagent.impl.PyroscopeExporter;
import io.pyroscope.javaagent.impl.QueuedExporter;
import io.pyroscope.labels.v2.Pyroscope;
import io.vigil.profiling.ProfilingConfig;
import io.vigil.profiling.ProfilingConfig.Directory;
import io.vigil.profiling.ProfilingConfig.Server;

/**
 * Starts and stops the Pyroscope agent in this process (it is a JVM-wide singleton) with Vigil's
 * settings, exporter and logger.
 */
public final class PyroscopeAgentRunner {
    // Retries hold the one exporter thread in back-off while newer profiles queue up behind it;
    // a few are enough for a server restart, more only delays dropping stale profiles.
    private static final int INGEST_MAX_TRIES = 3;

    private PyroscopeAgentRunner() {}

    /** How a start went: the stack-walking mode in use, or why profiling is off. */
    public record Outcome(String stackWalking, String error) {
        public boolean running() {
            return error == null;
        }
    }

    /**
     * Starts profiling. With the default {@code cstack=vm}, a JVM whose internal structures the
     * bundled async-profiler (4.0) does not know yet (JDK 25 at the time of writing) is profiled
     * with {@code cstack=no} instead: Java frames from {@code AsyncGetCallTrace}, no native-frame
     * unwinding, the most conservative mode left.
     */
    public static Outcome start(ProfilingConfig config, UploadHealth health) {
        String error = tryStart(config, health);
        if (error != null && "vm".equals(config.stackWalking()) && error.contains("VMStructs")) {
            ProfilingConfig fallback = config.toBuilder().stackWalking("no").build();
            String second = tryStart(fallback, health);
            return second == null ? new Outcome("no", null) : new Outcome("no", second);
        }
        return new Outcome(config.stackWalking(), error);
    }

    private static String tryStart(ProfilingConfig config, UploadHealth health) {
        AgentLogger logger = new AgentLogger(health);
        try {
            Config agentConfig = agentConfig(config);
            Exporter sink = switch (config.destination()) {
                case Server s -> new MonitoredExporter(new PyroscopeExporter(agentConfig, logger), health);
                case Directory d ->
                    new JfrDirectoryExporter(d.path(), config.applicationName(), config.maxFiles(), health);
            };
            // The queue is the bounded buffer between the sampler and a slow or absent destination:
            // when full, the oldest profile is dropped; nothing ever blocks the service.
            Exporter queued = new QueuedExporter(agentConfig, sink, logger);
            logger.quietStartErrors(true);
            PyroscopeAgent.start(new PyroscopeAgent.Options.Builder(agentConfig)
                    .setExporter(queued)
                    .setLogger(logger)
                    .build());
            logger.quietStartErrors(false);
            if (!PyroscopeAgent.isStarted()) {
                queued.stop();
                String error = logger.lastError();
                return error != null ? error : "the Pyroscope agent did not start";
            }
            return null;
        } catch (Exception | LinkageError e) {
            // Native library load failures are LinkageErrors; profiling must not stop start-up. The caller
            // reports the returned reason once.
            return describe(e);
        }
    }

    /**
     * {@code e} with its causes: a failed static initialiser surfaces as a bare {@code ExceptionInInitializerError}
     * whose own message is null, and only its cause (the native library that could not be written to
     * {@code java.io.tmpdir}, say) tells the operator what to fix.
     */
    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.toString());
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        seen.add(e);
        for (Throwable cause = e.getCause();
                cause != null && seen.add(cause) && seen.size() <= 5;
                cause = cause.getCause()) {
            text.append("; caused by ").append(cause);
        }
        return text.toString();
    }

    /** Stops profiling; the profile of the current, partial interval is not sent. */
    public static void stop() {
        if (PyroscopeAgent.isStarted()) {
            PyroscopeAgent.stop();
        }
        // Closed span contexts are only released when a profile is cut; after the last one, release
        // them here, or up to one upload interval of root spans would stay reachable.
        Pyroscope.LabelsWrapper.clear();
    }

    /** Whether the agent runs in this JVM. */
    public static boolean running() {
        return PyroscopeAgent.isStarted();
    }

    static Config agentConfig(ProfilingConfig config) {
        String server = config.destination() instanceof Server s ? s.address().toString() : "http://localhost:4040";
        return new Config.Builder()
                .setAgentEnabled(true)
                .setApplicationName(config.applicationName())
                .setProfilerType(ProfilerType.ASYNC)
                .setProfilingEvent(
                        switch (config.event()) {
                            case ITIMER -> EventType.ITIMER;
                            case CPU -> EventType.CPU;
                            case WALL -> EventType.WALL;
                        })
                .setProfilingInterval(config.interval())
                .setProfilingAlloc(
                        config.allocationThresholdBytes() > 0 ? Long.toString(config.allocationThresholdBytes()) : "")
                .setProfilingLock(
                        config.lockThreshold().isZero()
                                ? ""
                                : Long.toString(config.lockThreshold().toNanos()))
                .setUploadInterval(config.uploadInterval())
                .setJavaStackDepthMax(config.javaStackDepth())
                .setAPExtraArguments("cstack=" + config.stackWalking())
                .setFormat(Format.JFR)
                .setServerAddress(server)
                .setLabels(config.labels())
                .setPushQueueCapacity(config.queueCapacity())
                .setIngestMaxRetries(INGEST_MAX_TRIES)
                .build();
    }
}
