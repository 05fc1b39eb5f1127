package io.vigil.dashboards;

import io.vigil.identity.telemetry.IdentityCatalogue;
import java.util.List;
import java.util.Map;

/** What deploy/ is generated for: identity-service's catalogue and the whole stack's platform metrics. */
final class IdentityStack {
    static final String JOB = "identity-service";
    static final ServiceTarget TARGET = ServiceTarget.of(JOB, JOB);

    private IdentityStack() {}

    static MetricCatalogue catalogue() {
        return MetricCatalogue.of(new IdentityCatalogue().get(), PlatformMetrics.of(PlatformMetrics.stackSources()));
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
