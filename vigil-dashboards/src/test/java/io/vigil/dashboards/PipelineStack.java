package io.vigil.dashboards;

import io.vigil.pipeline.PipelineCatalogue;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What deploy/ is generated for besides identity-service: the event pipeline's catalogue and the
 * sources it exposes, as the regenerate profile's {@code generate-deploy-pipeline} execution names
 * them (the staleness test fails when the two disagree).
 */
final class PipelineStack {
    static final String JOB = "event-pipeline";
    static final ServiceTarget TARGET = new ServiceTarget(JOB, JOB, JOB + ":8001");
    static final List<String> SOURCES = List.of(
            PlatformMetrics.HTTP,
            PlatformMetrics.CORE,
            PlatformMetrics.PROMETHEUS,
            PlatformMetrics.POOL,
            PlatformMetrics.CONSUMER,
            PlatformMetrics.KAFKA_CONSUMER,
            PlatformMetrics.KAFKA_PRODUCER,
            PlatformMetrics.DEPENDENCY_STATUS,
            PlatformMetrics.TEMPO);

    private PipelineStack() {}

    static MetricCatalogue catalogue() {
        return MetricCatalogue.of(new PipelineCatalogue().get(), PlatformMetrics.of(SOURCES));
    }

    static List<Dashboard> dashboards() {
        return StandardDashboards.all(catalogue(), TARGET);
    }

    static List<RuleGroup> groups() {
        return StandardAlerts.groups(catalogue(), TARGET);
    }

    static Map<String, String> files() {
        return Generator.files(catalogue(), TARGET);
    }

    /** Every generated file of deploy/: identity-service's and the pipeline's. */
    static Map<String, String> allDeployFiles() {
        Map<String, String> all = new TreeMap<>(IdentityStack.files());
        all.putAll(files());
        return all;
    }
}
