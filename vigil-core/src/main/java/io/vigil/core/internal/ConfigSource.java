package io.vigil.core.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The one reader of environment variables for every Vigil module (core, logging, profiling): looks
 * each {@link ConfigVariable} up by its name and aliases, parses it, and collects one warning per bad
 * value, which is then replaced by the caller's fallback. Nothing here throws: observability must
 * never stop a service from starting.
 *
 * <p>The fallback passed to {@link #get} is the value a builder holds: values set on a builder are
 * defaults, and a variable that is set overrides them; one that is unset or bad leaves them. Not
 * thread-safe; one instance reads one configuration.
 */
public final class ConfigSource {
    private static final int MAX_ECHOED_VALUE = 80;

    private final Map<String, String> env;
    private final List<String> warnings = new ArrayList<>();
    private final Set<String> rejected = new LinkedHashSet<>();

    /** A reader of {@code env} (usually {@link System#getenv()}); blank values count as unset. */
    public ConfigSource(Map<String, String> env) {
        this.env = Objects.requireNonNull(env, "env");
    }

    /** The value of {@code name}, or {@code null} when it is unset or blank. */
    public String raw(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }

    /** The first of the variable's names that is set, or {@code null}. */
    public String setName(ConfigVariable<?> variable) {
        for (String n : variable.names()) {
            if (raw(n) != null) {
                return n;
            }
        }
        return null;
    }

    /** Whether any of the variable's names is set. */
    public boolean isSet(ConfigVariable<?> variable) {
        return setName(variable) != null;
    }

    /**
     * The variable's value from the environment; {@code fallback} when it is unset, and {@code
     * fallback} plus one warning when it is bad.
     */
    public <T> T get(ConfigVariable<T> variable, T fallback) {
        String name = setName(variable);
        if (name == null) {
            return fallback;
        }
        String raw = raw(name);
        try {
            return variable.parser().parse(raw.strip(), (entry, problem) -> ignored(name, entry, problem));
        } catch (ConfigVariable.Invalid e) {
            rejected.add(name);
            warn(name, raw, e.getMessage(), variable.shown().apply(fallback));
            return fallback;
        }
    }

    /** The variable's value, or its declared default. */
    public <T> T get(ConfigVariable<T> variable) {
        return get(variable, variable.defaultValue());
    }

    /** Records one warning: {@code NAME='value' problem; using fallback}. */
    public void warn(String name, String value, String problem, String fallback) {
        warnings.add(name + "=" + echo(value) + " " + problem + "; using " + fallback);
    }

    /** Records one warning for an entry of a list variable that is skipped: {@code NAME='entry' problem; ignored}. */
    private void ignored(String name, String entry, String problem) {
        warnings.add(name + "=" + echo(entry) + " " + problem + "; that entry is ignored, the others apply");
    }

    /** The warnings so far, in the order found. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /**
     * The names whose value was refused (and replaced by the fallback). A refused {@code OTEL_*}
     * variable must not also reach the SDK raw: the SDK would refuse it too, and with it every other
     * {@code OTEL_*} setting.
     */
    public Set<String> rejected() {
        return Set.copyOf(rejected);
    }

    /** Values are echoed for the operator, shortened and stripped of control characters. */
    private static String echo(String value) {
        String clean = value.replaceAll("\\p{Cntrl}", "?");
        if (clean.length() > MAX_ECHOED_VALUE) {
            clean = clean.substring(0, MAX_ECHOED_VALUE) + "…";
        }
        return "'" + clean + "'";
    }
}
