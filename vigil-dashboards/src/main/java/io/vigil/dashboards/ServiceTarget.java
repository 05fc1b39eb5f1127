package io.vigil.dashboards;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The service a set of dashboards and rules is generated for: the Prometheus job its targets are
 * scraped under (every alert expression is scoped by {@code job="<job>"}, the dashboards' {@code job}
 * variable defaults to it), its {@code service.name} (the {@code service} label of its log streams
 * and span metrics), and the instance the promtool cases use as the scraped target. Immutable.
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

    /** Rejects a job, service or instance that is {@code null} or not letters, digits and {@code _ . : -}. */
    public ServiceTarget {
        require("job", job);
        require("service", service);
        require("instance", instance);
    }

    /** A target whose promtool instance is {@code <job>:}{@value #DEFAULT_METRICS_PORT}. */
    public static ServiceTarget of(String job, String service) {
        return new ServiceTarget(job, service, job + ":" + DEFAULT_METRICS_PORT);
    }

    private static void require(String what, String value) {
        Objects.requireNonNull(value, what);
        if (!NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(what
                    + " must be letters, digits and _ . : - (starting with a letter, digit or _), not '" + value + "'");
        }
    }
}
