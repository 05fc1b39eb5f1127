package io.vigil.profiling.internal;

import io.vigil.core.VigilConfig;
import io.vigil.profiling.ProfilingConfig;
import io.vigil.profiling.ProfilingConfig.SamplingEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the profiling settings from environment variables named as the Pyroscope agent names them.
 * Every bad value becomes one warning and the default: profiling never stops a service starting.
 */
public final class ProfilingEnvironmentReader {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|us|ns)?");
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*([kmg])?b?", Pattern.CASE_INSENSITIVE);
    // The labels Vigil sets itself; PYROSCOPE_LABELS cannot override them.
    private static final List<String> RESERVED = List.of("service", "version", "environment", "service_name");

    private final Map<String, String> env;
    private final List<String> warnings = new ArrayList<>();

    private ProfilingEnvironmentReader(Map<String, String> env) {
        this.env = env;
    }

    /** Reads {@code env} on top of {@code vigil}'s service identity and profiling switch. */
    public static ProfilingConfig read(VigilConfig vigil, Map<String, String> env) {
        return new ProfilingEnvironmentReader(env).read(ProfilingConfig.builder(vigil));
    }

    private ProfilingConfig read(ProfilingConfig.Builder b) {
        String labels = get("PYROSCOPE_LABELS");
        if (labels != null) {
            for (String pair : labels.split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = eq > 0 ? pair.substring(0, eq).strip() : "";
                String value = eq > 0 ? pair.substring(eq + 1).strip() : "";
                if (RESERVED.contains(key)) {
                    warn("PYROSCOPE_LABELS", pair, "sets a label Vigil derives from the service", "entry ignored");
                } else if (ProfilingConfig.LABEL_NAME.matcher(key).matches()
                        && ProfilingConfig.labelValueAllowed(value)) {
                    b.label(key, value);
                } else {
                    warn("PYROSCOPE_LABELS", pair, "entry is not name=value (value without ,={}\")", "entry ignored");
                }
            }
        }
        String event = get("PYROSCOPE_PROFILER_EVENT");
        if (event != null) {
            switch (event.strip().toLowerCase(Locale.ROOT)) {
                case "itimer" -> b.event(SamplingEvent.ITIMER);
                case "cpu" -> b.event(SamplingEvent.CPU);
                case "wall" -> b.event(SamplingEvent.WALL);
                default -> warn("PYROSCOPE_PROFILER_EVENT", event, "is not itimer, cpu or wall", "itimer");
            }
        }
        Duration interval = duration("PYROSCOPE_PROFILING_INTERVAL", false);
        if (interval != null) {
            b.interval(interval);
        }
        Duration upload = duration("PYROSCOPE_UPLOAD_INTERVAL", false);
        if (upload != null) {
            b.uploadInterval(upload);
        }
        Duration lock = duration("PYROSCOPE_PROFILER_LOCK", true);
        if (lock != null) {
            b.lockThreshold(lock);
        }
        String alloc = get("PYROSCOPE_PROFILER_ALLOC");
        if (alloc != null) {
            Matcher m = BYTES.matcher(alloc.strip());
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
                b.allocationThresholdBytes(
                        switch (unit) {
                            case "k" -> n << 10;
                            case "m" -> n << 20;
                            case "g" -> n << 30;
                            default -> n;
                        });
            } else {
                warn("PYROSCOPE_PROFILER_ALLOC", alloc, "is not a byte count (512k, 1m, 0 = off)", "512k");
            }
        }
        return b.warnings(warnings).build();
    }

    private Duration duration(String name, boolean zeroAllowed) {
        String raw = get(name);
        if (raw == null) {
            return null;
        }
        Matcher m = DURATION.matcher(raw.strip().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2);
            Duration d = switch (unit) {
                case "ns" -> Duration.ofNanos(n);
                case "us" -> Duration.ofNanos(n * 1000);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofMillis(n);
            };
            if (zeroAllowed || !d.isZero()) {
                return d;
            }
        }
        warn(name, raw, "is not a duration (10ms, 10s" + (zeroAllowed ? ", 0 = off" : "") + ")", "the default");
        return null;
    }

    private String get(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }

    private void warn(String name, String value, String problem, String fallback) {
        String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
        warnings.add(name + "='" + shown.replaceAll("\\p{Cntrl}", "?") + "' " + problem + "; using " + fallback);
    }
}
