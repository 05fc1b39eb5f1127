package io.vigil.dashboards;

import io.vigil.identity.telemetry.IdentityCatalogue;
import java.util.List;
import java.util.Map;

/**
 * What deploy/ is generated for: identity-service's catalogue and the platform metrics of the stack it
 * runs in (the same list as the {@code -Pregenerate} execution in this module's pom).
 */
final class IdentityStack {
    static final String JOB = "identity-service";
    static final ServiceTarget TARGET = ServiceTarget.of(JOB, JOB);

    /**
     * The stack's sources without the message-consumer gauges: identity-service consumes nothing. It
     * publishes its audit outbox through vigil-kafka's producer when KAFKA_BOOTSTRAP_SERVERS is set (as
     * deploy/compose.yaml and the live check run it), so the producer row is generated. It validates
     * bearer tokens and rate-limits logins and sign-ups, so it names those two sources.
     */
    static final List<String> SOURCES = List.of(
            PlatformMetrics.HTTP,
            PlatformMetrics.TOKEN_VALIDATION,
            PlatformMetrics.RATE_LIMIT,
            PlatformMetrics.WEBSOCKET,
            PlatformMetrics.TOKENS,
            PlatformMetrics.CORE,
            PlatformMetrics.POOL,
            PlatformMetrics.TASKS,
            PlatformMetrics.KAFKA_PRODUCER,
            PlatformMetrics.PROMETHEUS,
            PlatformMetrics.POSTGRES_EXPORTER,
            PlatformMetrics.REDIS_EXPORTER,
            PlatformMetrics.TEMPO);

    private IdentityStack() {}

    static MetricCatalogue catalogue() {
        return MetricCatalogue.of(new IdentityCatalogue().get(), PlatformMetrics.of(SOURCES));
    }

    static List<Dashboard> dashboards() {
        return StandardDashboards.all(catalogue(), TARGET);
    }

    static List<RuleGroup> groups() {
        return StandardAlerts.groups(catalogue(), TARGET);
    }

    static RuleGroup logAlerts() {
        return StandardAlerts.logAlerts(catalogue(), TARGET);
    }

    static Map<String, String> files() {
        return Generator.files(catalogue(), TARGET);
    }
}
