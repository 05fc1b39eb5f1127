package io.vigil.core.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value types Vigil's environment variables have, each parsed and validated the same way in
 * every module. A parser throws {@link ConfigVariable.Invalid} with the problem; {@link ConfigSource}
 * turns it into a warning.
 */
public final class ConfigParsers {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|us|ns)?");
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*([kmg])?b?", Pattern.CASE_INSENSITIVE);

    private ConfigParsers() {}

    /** {@code true/1/yes/on}, {@code false/0/no/off}. */
    public static ConfigVariable.Parser<Boolean> bool() {
        return (raw, entry) -> switch (raw.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ConfigVariable.Invalid("is not a boolean (true/false, 1/0, yes/no, on/off)");
        };
    }

    /** Any non-blank text, stripped. */
    public static ConfigVariable.Parser<String> text() {
        return (raw, entry) -> raw;
    }

    /** Text that must match {@code pattern}. */
    public static ConfigVariable.Parser<String> matching(Pattern pattern, String problem) {
        return (raw, entry) -> {
            if (pattern.matcher(raw).matches()) {
                return raw;
            }
            throw new ConfigVariable.Invalid(problem);
        };
    }

    /** One of {@code values}, keyed by lower-case spelling. */
    public static <E> ConfigVariable.Parser<E> oneOf(Map<String, E> values, String problem) {
        return (raw, entry) -> {
            E v = values.get(raw.toLowerCase(Locale.ROOT));
            if (v == null) {
                throw new ConfigVariable.Invalid(problem);
            }
            return v;
        };
    }

    /** A number within 0.0–1.0. */
    public static ConfigVariable.Parser<Double> ratio() {
        return (raw, entry) -> {
            try {
                double d = Double.parseDouble(raw);
                if (d >= 0.0 && d <= 1.0) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // the problem is the same as for an out-of-range number
            }
            throw new ConfigVariable.Invalid("is not a number within 0.0–1.0");
        };
    }

    /** A number of seconds, fractions allowed, above 0 and at most a day (the contract's durations). */
    public static ConfigVariable.Parser<Duration> seconds() {
        return (raw, entry) -> {
            try {
                double s = Double.parseDouble(raw);
                if (s > 0 && s <= 86_400) {
                    return Duration.ofMillis(Math.max(1, Math.round(s * 1000)));
                }
            } catch (NumberFormatException e) {
                // the problem is the same as for an out-of-range number
            }
            throw new ConfigVariable.Invalid("is not a number of seconds above 0 and at most 86400 (a day)");
        };
    }

    /** A positive whole number of milliseconds (the OpenTelemetry SDK's durations). */
    public static ConfigVariable.Parser<Duration> millis() {
        return (raw, entry) -> {
            try {
                long ms = Long.parseLong(raw);
                if (ms > 0) {
                    return Duration.ofMillis(ms);
                }
            } catch (NumberFormatException e) {
                // the problem is the same as for a non-positive number
            }
            throw new ConfigVariable.Invalid("is not a positive number of milliseconds");
        };
    }

    /** A duration with a unit, {@code 10ms}, {@code 10s}, {@code 1m} (milliseconds without one): the Pyroscope agent's. */
    public static ConfigVariable.Parser<Duration> duration(boolean zeroAllowed) {
        return (raw, entry) -> {
            Matcher m = DURATION.matcher(raw.toLowerCase(Locale.ROOT));
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                Duration d = switch (m.group(2) == null ? "ms" : m.group(2)) {
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
            throw new ConfigVariable.Invalid("is not a duration (10ms, 10s" + (zeroAllowed ? ", 0 = off" : "") + ")");
        };
    }

    /** A byte count, {@code 4096}, {@code 512k}, {@code 1m}, {@code 1g}, at least {@code min}. */
    public static ConfigVariable.Parser<Long> bytes(long min, String problem) {
        return (raw, entry) -> {
            Matcher m = BYTES.matcher(raw);
            if (m.matches() && m.group(1).length() < 12) {
                long n = Long.parseLong(m.group(1));
                long v = switch (m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT)) {
                    case "k" -> n << 10;
                    case "m" -> n << 20;
                    case "g" -> n << 30;
                    default -> n;
                };
                if (v >= min) {
                    return v;
                }
            }
            throw new ConfigVariable.Invalid(problem);
        };
    }

    /** An {@code http(s)://host[:port][/path]} URL without query or fragment. */
    public static ConfigVariable.Parser<URI> httpUri() {
        return (raw, entry) -> {
            URI uri = httpUriOrNull(raw);
            if (uri == null) {
                throw new ConfigVariable.Invalid("is not an http(s)://host[:port] URL");
            }
            return uri;
        };
    }

    /** An http(s) URL as {@link #httpUri()}, or a {@code file:<dir>} URI naming a directory. */
    public static ConfigVariable.Parser<URI> httpOrFileUri() {
        return (raw, entry) -> {
            URI dir = fileUri(raw);
            return dir != null ? dir : httpUri().parse(raw, entry);
        };
    }

    /**
     * {@code name=value,name=value}: a bad entry (a name not matching {@code name}, or a value {@code
     * value} refuses: {@code badEntry}; or a name {@code refusal} refuses with its reason) is
     * reported and left out; the good ones are kept in their order.
     */
    public static ConfigVariable.Parser<Map<String, String>> labels(
            Pattern name, BiPredicate<String, String> accepted, String badEntry, Function<String, String> refusal) {
        return (raw, entryProblem) -> {
            Map<String, String> labels = new LinkedHashMap<>();
            for (String pair : raw.split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = eq > 0 ? pair.substring(0, eq).strip() : "";
                String value = eq > 0 ? pair.substring(eq + 1).strip() : "";
                String refused = refusal.apply(key);
                if (refused != null) {
                    entryProblem.accept(pair, refused);
                } else if (name.matcher(key).matches() && accepted.test(key, value)) {
                    labels.put(key, value);
                } else {
                    entryProblem.accept(pair, badEntry);
                }
            }
            return Collections.unmodifiableMap(labels);
        };
    }

    private static URI httpUriOrNull(String raw) {
        try {
            URI uri = new URI(raw);
            String scheme = uri.getScheme();
            if (("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
                    && uri.getHost() != null
                    && uri.getRawQuery() == null
                    && uri.getRawFragment() == null) {
                return uri;
            }
            return null;
        } catch (URISyntaxException e) {
            return null; // reported by the caller as "not a URL"
        }
    }

    /** A {@code file:} URI naming a directory ({@code file:///abs/dir} or {@code file:rel/dir}), else null. */
    private static URI fileUri(String raw) {
        try {
            URI uri = new URI(raw);
            String path = uri.isOpaque() ? uri.getSchemeSpecificPart() : uri.getPath();
            return "file".equalsIgnoreCase(uri.getScheme()) && path != null && !path.isBlank() ? uri : null;
        } catch (URISyntaxException e) {
            return null; // not a file URI; tried as an http URL next
        }
    }

    /** A duration as the operator would write it in seconds: {@code 60s}, {@code 2500ms}. */
    public static String showSeconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
