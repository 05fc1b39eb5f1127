package io.vigil.dashboards;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The service a set of dashboards and rules is generated for: the Prometheus job its targets are
 * scraped under (every alert expression is scoped by {@code job="<job>"}, the dashboards' {@code job}
 * variable defaults to it), its {@code service.name} (the {@code service} label of its log streams
 * and span metrics), and the instance the promtool cases use as the scraped target. Its {@link
 * #slug()} prefixes the generated dashboards' uids and file names. Immutable.
 *
 * @param job Prometheus job name, e.g. {@code orders}
 * @param service the service's {@code service.name}, e.g. {@code orders}
 * @param instance {@code host:port} of one scrape target, only used in generated promtool cases
 */
public record ServiceTarget(String job, String service, String instance) {
    /** Default management (metrics) port a Vigil service is scraped on. */
    public static final int DEFAULT_METRICS_PORT = 9464;

    // Label values land inside double-quoted PromQL/LogQL strings and YAML: no quotes, backslashes,
    // braces or whitespace, so a value can never change the meaning of an expression.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:-]*");

    /**
     * The longest {@link #slug()}: a Grafana uid holds at most 40 characters, and the longest
     * dashboard name appended to the slug ({@code -auth-security}) takes 14.
     */
    public static final int MAX_SLUG_LENGTH = 26;

    private static final Pattern SLUG = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_SLUG_LENGTH + "}");

    public ServiceTarget {
        require("job", job);
        require("service", service);
        require("instance", instance);
    }

    /** A target whose promtool instance is {@code <job>:}{@value #DEFAULT_METRICS_PORT}. */
    public static ServiceTarget of(String job, String service) {
        return new ServiceTarget(job, service, job + ":" + DEFAULT_METRICS_PORT);
    }

    /**
     * The service's key in generated names: the prefix of its Grafana dashboard uids and of its
     * rule and Loki files, so several services' dashboards and rules live in one Grafana, one
     * Prometheus and one directory without colliding. It is the service name when that is a valid
     * uid part ({@code [A-Za-z0-9_-]}) of at most {@value #MAX_SLUG_LENGTH} characters; otherwise its
     * first 17 characters with the others replaced by {@code -}, then {@code -} and 8 hex digits of
     * the name's SHA-256, so two different names never share a slug.
     */
    public String slug() {
        if (SLUG.matcher(service).matches()) {
            return service;
        }
        String readable = service.replaceAll("[^A-Za-z0-9_-]", "-");
        readable = readable.substring(0, Math.min(readable.length(), MAX_SLUG_LENGTH - 9));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(service.getBytes(StandardCharsets.UTF_8));
            return readable + "-" + HexFormat.of().formatHex(hash, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void require(String what, String value) {
        Objects.requireNonNull(value, what);
        if (!NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(what
                    + " must be letters, digits and _ . : - (starting with a letter, digit or _), not '" + value + "'");
        }
    }
}
