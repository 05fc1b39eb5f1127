package io.vigil.profiling;

import io.vigil.core.VigilConfig;
import io.vigil.core.internal.ConfigSource;
import io.vigil.profiling.internal.ProfilingVariables;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What and where to profile: immutable, validated, built by {@link #builder(VigilConfig)} or read
 * from the environment by {@link #fromEnvironment(VigilConfig, Map)}.
 *
 * <p>The defaults are the ones that are safe to leave on in production: CPU sampled with {@code
 * itimer} at 100 Hz, allocations sampled every 512 KiB, locks contended for 10 ms or more, Java
 * stacks walked with async-profiler's VM-structures walker ({@code cstack=vm}, which does not call
 * the crash-prone {@code AsyncGetCallTrace}), profiles uploaded every 10 s through a queue of 8.
 *
 * @param enabled whether profiling runs at all ({@code PROFILING_ENABLED})
 * @param applicationName the Pyroscope application name: the service name
 * @param destination a Pyroscope server, or a directory for JFR files
 * @param labels static labels on every profile: {@code service}, {@code version}, {@code
 *     environment}, then {@code PYROSCOPE_LABELS}
 * @param event the sampling event: CPU time or wall-clock time
 * @param interval the sampling interval of {@code event}
 * @param allocationThresholdBytes sample an allocation every this many bytes; 0 turns allocation
 *     profiling off
 * @param lockThreshold record lock contention at least this long; zero turns lock profiling off
 * @param uploadInterval how often a profile is cut and sent (or written)
 * @param stackWalking async-profiler's {@code cstack} mode
 * @param javaStackDepth deepest Java stack recorded
 * @param queueCapacity profiles held while the server is slow or away; the oldest is dropped
 *     beyond this
 * @param maxFiles JFR files kept in a directory destination; the oldest is deleted beyond this
 * @param warnings problems found while reading the environment, reported once at start
 */
public record ProfilingConfig(
        boolean enabled,
        String applicationName,
        Destination destination,
        Map<String, String> labels,
        SamplingEvent event,
        Duration interval,
        long allocationThresholdBytes,
        Duration lockThreshold,
        Duration uploadInterval,
        String stackWalking,
        int javaStackDepth,
        int queueCapacity,
        int maxFiles,
        List<String> warnings) {

    /** Pyroscope label names: the Prometheus rule, which Pyroscope shares. */
    public static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** async-profiler's {@code cstack} modes. */
    public static final java.util.Set<String> STACK_WALKING_MODES =
            java.util.Set.of("vm", "vmx", "fp", "dwarf", "lbr", "no");

    /**
     * Validates every component (positive intervals, non-negative thresholds, a known {@code cstack} mode, positive
     * depths and bounds, label names and values) and copies the collections, so a config is immutable.
     */
    public ProfilingConfig {
        Objects.requireNonNull(applicationName, "applicationName");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(stackWalking, "stackWalking");
        requirePositive(interval, "interval");
        requirePositive(uploadInterval, "uploadInterval");
        Objects.requireNonNull(lockThreshold, "lockThreshold");
        if (lockThreshold.isNegative() || allocationThresholdBytes < 0) {
            throw new IllegalArgumentException("thresholds must not be negative");
        }
        if (!STACK_WALKING_MODES.contains(stackWalking)) {
            throw new IllegalArgumentException(
                    "stackWalking must be one of " + STACK_WALKING_MODES + ": " + stackWalking);
        }
        if (javaStackDepth < 1 || queueCapacity < 1 || maxFiles < 1) {
            throw new IllegalArgumentException("javaStackDepth, queueCapacity and maxFiles must be positive");
        }
        labels.forEach((k, v) -> {
            if (!LABEL_NAME.matcher(k).matches()) {
                throw new IllegalArgumentException("not a label name: " + k);
            }
            if (!labelValueAllowed(v)) {
                throw new IllegalArgumentException("label " + k + " has an empty value or one with ,={}\": " + v);
            }
        });
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        warnings = List.copyOf(warnings);
    }

    /** Whether {@code value} can be a Pyroscope label value in an ingest application name. */
    public static boolean labelValueAllowed(String value) {
        return value != null && !value.isBlank() && value.chars().noneMatch(c -> ",={}\"\\".indexOf(c) >= 0);
    }

    /**
     * Reads {@code PROFILING_ENABLED} and {@code PYROSCOPE_SERVER_ADDRESS} from {@code vigil} and
     * the profiling settings from {@code env}: {@code PYROSCOPE_LABELS} ({@code k=v,k=v}), {@code
     * PYROSCOPE_PROFILER_EVENT} ({@code itimer}, {@code cpu}, {@code wall}), {@code
     * PYROSCOPE_PROFILING_INTERVAL}, {@code PYROSCOPE_PROFILER_ALLOC} (bytes, {@code 512k}, {@code
     * 0} = off), {@code PYROSCOPE_PROFILER_LOCK} ({@code 10ms}, {@code 0} = off), {@code
     * PYROSCOPE_UPLOAD_INTERVAL}. The names are the Pyroscope agent's own. Bad values become a
     * warning and the default; nothing throws.
     */
    public static ProfilingConfig fromEnvironment(VigilConfig vigil, Map<String, String> env) {
        return builder(vigil).buildFromEnvironment(env);
    }

    /** Reads this process's environment; see {@link #fromEnvironment(VigilConfig, Map)}. */
    public static ProfilingConfig fromEnvironment(VigilConfig vigil) {
        return fromEnvironment(vigil, System.getenv());
    }

    /** A builder holding the safe defaults, named and tagged after {@code vigil}'s service. */
    public static Builder builder(VigilConfig vigil) {
        return new Builder(vigil);
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** One readable line for the start-up log. */
    public String summary() {
        if (!enabled) {
            return "Vigil profiling off";
        }
        StringBuilder sb = new StringBuilder("Vigil profiling: ")
                .append(applicationName)
                .append(labels)
                .append(" -> ")
                .append(destination)
                .append(" [")
                .append(event.asyncProfilerName())
                .append(' ')
                .append(interval.toMillis())
                .append("ms");
        sb.append(allocationThresholdBytes > 0 ? ", alloc " + allocationThresholdBytes + "B" : ", alloc off");
        sb.append(lockThreshold.isZero() ? ", lock off" : ", lock " + lockThreshold.toMillis() + "ms");
        return sb.append(", cstack=")
                .append(stackWalking)
                .append(", every ")
                .append(uploadInterval.toSeconds())
                .append("s]")
                .toString();
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    /** Where profiles go. */
    public sealed interface Destination {
        /**
         * The destination {@code PYROSCOPE_SERVER_ADDRESS} names: {@code file:<dir>} is a directory,
         * anything else a server.
         */
        static Destination of(URI address) {
            if ("file".equalsIgnoreCase(address.getScheme())) {
                String path = address.isOpaque() ? address.getSchemeSpecificPart() : address.getPath();
                return new Directory(Path.of(path));
            }
            return new Server(address);
        }
    }

    /** A Pyroscope server (or Grafana Cloud Profiles): profiles are pushed to its {@code /ingest}. */
    public record Server(URI address) implements Destination {
        /** Rejects a {@code null} address. */
        public Server {
            Objects.requireNonNull(address, "address");
        }

        /** The address without credentials (Grafana Cloud puts them in the URL), for logs. */
        @Override
        public String toString() {
            return address.getRawUserInfo() == null
                    ? address.toString()
                    : address.toString().replace(address.getRawUserInfo() + "@", "***@");
        }
    }

    /** No server: each profile is written as a JFR file into this directory. */
    public record Directory(Path path) implements Destination {
        /** Rejects a {@code null} path; the directory is created when profiling starts. */
        public Directory {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String toString() {
            return "file:" + path;
        }
    }

    /** What the main sampler measures. */
    public enum SamplingEvent {
        /**
         * CPU time via {@code setitimer}: works in containers without perf_events access, the
         * Pyroscope default.
         */
        ITIMER("itimer"),
        /** CPU time via perf_events (needs {@code perf_event_paranoid} ≤ 1 or CAP_PERFMON). */
        CPU("cpu"),
        /**
         * Wall-clock time of every thread, running or waiting: shows where requests wait (I/O,
         * locks, pools), at a higher cost than CPU sampling, and instead of it.
         */
        WALL("wall");

        private final String asyncProfilerName;

        SamplingEvent(String asyncProfilerName) {
            this.asyncProfilerName = asyncProfilerName;
        }

        /** The event's name in async-profiler and Pyroscope. */
        public String asyncProfilerName() {
            return asyncProfilerName;
        }
    }

    /** Whether this JVM is newer than the async-profiler bundled with the Pyroscope agent supports. */
    static final boolean NEWER_THAN_PROFILER = ProfilingVariables.NEWER_THAN_PROFILER;

    /**
     * Builds a {@link ProfilingConfig}; {@link #build()} validates. Values set here are defaults that
     * {@link #buildFromEnvironment(Map)} lets set variables override. Not thread-safe.
     */
    public static final class Builder {
        private boolean enabled;
        private String applicationName;
        private Destination destination;
        private final Map<String, String> labels = new LinkedHashMap<>();
        private SamplingEvent event = ProfilingVariables.EVENT.defaultValue();
        private Duration interval = ProfilingVariables.INTERVAL.defaultValue();
        private long allocationThresholdBytes = ProfilingVariables.ALLOC.defaultValue();
        private Duration lockThreshold = ProfilingVariables.LOCK.defaultValue();
        private Duration uploadInterval = ProfilingVariables.UPLOAD_INTERVAL.defaultValue();
        private String stackWalking = "vm";
        private int javaStackDepth = 2048;
        private int queueCapacity = 8;
        private int maxFiles = 360;
        private List<String> warnings = List.of();

        Builder(VigilConfig vigil) {
            enabled = vigil.enabled() && vigil.profilingEnabled();
            applicationName = vigil.serviceName();
            destination = Destination.of(vigil.pyroscopeServerAddress());
            putLabel("service", vigil.serviceName());
            putLabel("version", vigil.serviceVersion());
            putLabel("environment", vigil.environment());
        }

        Builder(ProfilingConfig c) {
            enabled = c.enabled;
            applicationName = c.applicationName;
            destination = c.destination;
            labels.putAll(c.labels);
            event = c.event;
            interval = c.interval;
            allocationThresholdBytes = c.allocationThresholdBytes;
            lockThreshold = c.lockThreshold;
            uploadInterval = c.uploadInterval;
            stackWalking = c.stackWalking;
            javaStackDepth = c.javaStackDepth;
            queueCapacity = c.queueCapacity;
            maxFiles = c.maxFiles;
            warnings = c.warnings;
        }

        // A service name or version may hold characters a Pyroscope label value cannot.
        private void putLabel(String key, String value) {
            labels.put(key, labelValueAllowed(value) ? value : value.replaceAll("[,={}\"\\\\]", "_"));
        }

        /**
         * Whether profiling runs at all (default: {@code ENABLE_TELEMETRY} and {@code PROFILING_ENABLED} of the Vigil
         * config).
         */
        public Builder enabled(boolean enabled) {
            this.enabled = enabled;
            return this;
        }

        /** The Pyroscope application name (default: the service name). */
        public Builder applicationName(String applicationName) {
            this.applicationName = Objects.requireNonNull(applicationName);
            return this;
        }

        /** Where profiles go (default: the Vigil config's {@code PYROSCOPE_SERVER_ADDRESS}). */
        public Builder destination(Destination destination) {
            this.destination = Objects.requireNonNull(destination);
            return this;
        }

        /** Adds (or replaces) one static label. */
        public Builder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        /** What the main sampler measures (default CPU time via {@code itimer}). */
        public Builder event(SamplingEvent event) {
            this.event = Objects.requireNonNull(event);
            return this;
        }

        /** Time between samples of the event (default 10 ms, i.e. 100 Hz); must be positive. */
        public Builder interval(Duration interval) {
            this.interval = interval;
            return this;
        }

        /** Bytes between allocation samples; 0 turns allocation profiling off. */
        public Builder allocationThresholdBytes(long bytes) {
            this.allocationThresholdBytes = bytes;
            return this;
        }

        /** Shortest lock contention recorded; zero turns lock profiling off. */
        public Builder lockThreshold(Duration lockThreshold) {
            this.lockThreshold = lockThreshold;
            return this;
        }

        /** How often a profile is cut and sent or written (default 10 s); must be positive. */
        public Builder uploadInterval(Duration uploadInterval) {
            this.uploadInterval = uploadInterval;
            return this;
        }

        /** async-profiler {@code cstack} mode: {@code vm} (default), {@code fp}, {@code dwarf}, {@code no}. */
        public Builder stackWalking(String stackWalking) {
            this.stackWalking = Objects.requireNonNull(stackWalking);
            return this;
        }

        /** Deepest Java stack recorded, in frames (default 2048); deeper stacks are truncated. */
        public Builder javaStackDepth(int javaStackDepth) {
            this.javaStackDepth = javaStackDepth;
            return this;
        }

        /** Profiles held while the server is slow or away (default 8); beyond this the oldest is dropped. */
        public Builder queueCapacity(int queueCapacity) {
            this.queueCapacity = queueCapacity;
            return this;
        }

        /**
         * JFR files kept in a directory destination (default 360: an hour at the default upload interval); the oldest
         * is deleted beyond this.
         */
        public Builder maxFiles(int maxFiles) {
            this.maxFiles = maxFiles;
            return this;
        }

        /** Problems found while reading the environment, reported once when profiling starts (default none). */
        public Builder warnings(List<String> warnings) {
            this.warnings = List.copyOf(warnings);
            return this;
        }

        /**
         * Reads the Pyroscope variables (see {@link ProfilingConfig#fromEnvironment(VigilConfig, Map)})
         * on top of the values set so far, which are defaults: a set, good variable overrides its
         * value ({@code PYROSCOPE_LABELS} label by label); an unset or bad one keeps it (a bad one adds
         * a warning). Never throws for a bad variable.
         */
        public ProfilingConfig buildFromEnvironment(Map<String, String> env) {
            ConfigSource src = new ConfigSource(env);
            labels.putAll(src.get(ProfilingVariables.LABELS, Map.of()));
            event = src.get(ProfilingVariables.EVENT, event);
            interval = src.get(ProfilingVariables.INTERVAL, interval);
            uploadInterval = src.get(ProfilingVariables.UPLOAD_INTERVAL, uploadInterval);
            lockThreshold = src.get(ProfilingVariables.LOCK, lockThreshold);
            allocationThresholdBytes = src.get(ProfilingVariables.ALLOC, allocationThresholdBytes);
            List<String> all = new java.util.ArrayList<>(warnings);
            all.addAll(src.warnings());
            warnings = List.copyOf(all);
            return build();
        }

        /**
         * The validated, immutable config; throws {@link IllegalArgumentException} for a value out of range. The
         * builder is not thread-safe.
         */
        public ProfilingConfig build() {
            return new ProfilingConfig(
                    enabled,
                    applicationName,
                    destination,
                    labels,
                    event,
                    interval,
                    allocationThresholdBytes,
                    lockThreshold,
                    uploadInterval,
                    stackWalking,
                    javaStackDepth,
                    queueCapacity,
                    maxFiles,
                    warnings);
        }
    }
}
