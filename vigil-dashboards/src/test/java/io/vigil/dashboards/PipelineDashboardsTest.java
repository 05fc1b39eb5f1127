package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.kafka.KafkaCatalogue;
import io.vigil.pipeline.EventPipeline;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The event pipeline's dashboard and alerts, generated from its catalogue: vigil-kafka's metrics as
 * declared here agree with its {@code KafkaCatalogue}, the pipeline dashboard reads every one of
 * them, and the pipeline's alerts carry firing and silent promtool cases (run by ToolsTest).
 */
class PipelineDashboardsTest {
    @Test
    void vigilKafkasMetricsAreDeclaredAsItsCatalogueListsThem() {
        List<Metric> declared = PlatformMetrics.of(
                List.of(PlatformMetrics.KAFKA_CONSUMER, PlatformMetrics.KAFKA_PRODUCER, PlatformMetrics.CONSUMER));
        for (KafkaCatalogue.Instrument i : KafkaCatalogue.instruments()) {
            List<Metric> named =
                    declared.stream().filter(m -> m.name().equals(i.name())).toList();
            assertThat(named).as(i.name()).isNotEmpty();
            for (Metric m : named) {
                assertThat(m.type().name()).as(i.name()).isEqualTo(i.type().name());
                assertThat(m.labels()).as(i.name()).containsExactlyInAnyOrderElementsOf(i.labels());
            }
        }
        assertThat(PlatformMetrics.of(List.of(PlatformMetrics.DEPENDENCY_STATUS)))
                .extracting(Metric::name)
                .containsExactlyElementsOf(EventPipeline.STATUS_GAUGES);
        // a service's own clients and gauges are named, never part of 'all'
        assertThat(PlatformMetrics.stackSources()).doesNotContainAnyElementsOf(PlatformMetrics.NAMED_ONLY);
    }

    @Test
    void thePipelineDashboardReadsEveryKafkaIngestAndHealthMetric() {
        Dashboard pipeline = PipelineStack.dashboards().stream()
                .filter(d -> d.uid().equals("event-pipeline-pipeline"))
                .findFirst()
                .orElseThrow();
        assertThat(pipeline.panels())
                .filteredOn(Dashboard.Placed::isRow)
                .extracting(Dashboard.Placed::title)
                .containsExactly("Ingest", "Kafka consumers", "Kafka producers", "Dependencies");
        String queries = pipeline.queries().stream().map(Query::text).collect(Collectors.joining("\n"));
        for (KafkaCatalogue.Instrument i : KafkaCatalogue.instruments()) {
            if (!i.name().equals(KafkaCatalogue.LAG_ERRORS.name())) { // a telemetry-health counter, alerting only
                assertThat(queries).as(i.name()).contains(i.name());
            }
        }
        assertThat(queries)
                .contains("sum by (status) (rate(events_ingested_total{")
                .contains("histogram_quantile(0.95, sum by (le) (rate(event_ingest_duration_seconds_bucket{")
                .contains("sum by (topic, status) (rate(consumer_messages_processed_total{")
                .contains(
                        "histogram_quantile(0.99, sum by (topic, le) (rate(consumer_processing_duration_seconds_bucket{")
                .contains("sum by (topic, error_type) (rate(consumer_errors_total{")
                .contains(
                        "histogram_quantile(0.95, sum by (sink, le) (rate(consumer_sink_insert_duration_seconds_bucket{")
                .contains("max by (topic, partition, group) (consumer_lag{");
        for (String gauge : EventPipeline.STATUS_GAUGES) {
            assertThat(queries).contains("min(" + gauge + "{");
        }
        // identity-service only publishes (its audit outbox): its Messaging dashboard holds the producer row alone
        Dashboard identity = IdentityStack.dashboards().stream()
                .filter(d -> d.uid().equals("identity-service-pipeline"))
                .findFirst()
                .orElseThrow();
        assertThat(identity.title()).isEqualTo("identity-service · Messaging");
        assertThat(identity.panels())
                .filteredOn(Dashboard.Placed::isRow)
                .extracting(Dashboard.Placed::title)
                .containsExactly("Kafka producers");
    }

    @Test
    void thePipelineAlertsFireAndStaySilentInTheirPromtoolCases() {
        List<AlertRule> alerts = PipelineStack.groups().stream()
                .flatMap(g -> g.alerts().stream())
                .toList();
        assertThat(alerts)
                .extracting(AlertRule::name)
                .contains("ConsumerLagHigh", "ConsumerErrorRate", "ConsumerSlowProcessing", "IngestLatencyHigh");
        for (String name : List.of("ConsumerLagHigh", "ConsumerErrorRate", "IngestLatencyHigh")) {
            AlertRule a = alerts.stream()
                    .filter(x -> x.name().equals(name))
                    .findFirst()
                    .orElseThrow();
            assertThat(a.expr()).as(name).contains("job=\"event-pipeline\"");
            assertThat(a.tests())
                    .as(name)
                    .flatExtracting(AlertTest::checks)
                    .extracting(AlertTest.Check::fires)
                    .contains(true, false);
            assertThat(a.annotations().get("dashboard")).as(name).isEqualTo("/d/event-pipeline-pipeline");
        }
        assertThat(alerts.stream()
                        .filter(a -> a.name().equals("ConsumerLagHigh"))
                        .findFirst()
                        .orElseThrow()
                        .expr())
                .contains("> " + StandardAlerts.CONSUMER_LAG_THRESHOLD)
                .contains("sum by (job, group, topic) (max by (job, group, topic, partition) (consumer_lag{");
        assertThat(alerts.stream()
                        .filter(a -> a.name().equals("ConsumerErrorRate"))
                        .findFirst()
                        .orElseThrow()
                        .expr())
                .endsWith("> 0.01");
        assertThat(alerts.stream()
                        .filter(a -> a.name().equals("IngestLatencyHigh"))
                        .findFirst()
                        .orElseThrow()
                        .expr())
                .startsWith(
                        "histogram_quantile(0.95, sum by (job, instance, le) (rate(event_ingest_duration_seconds_bucket{")
                .endsWith("> " + StandardAlerts.INGEST_P95_SECONDS);
    }

    /**
     * The ingest API has no rate limiter and validates no bearer tokens (it names neither source): no
     * RateLimitAbuse that cannot fire, no rate-limit panel that always says "no data". identity-service,
     * which has both, keeps them.
     */
    @Test
    void thePipelineHasNoRateLimitAlertOrPanelAndIdentityServiceKeepsThem() {
        assertThat(PipelineStack.SOURCES).doesNotContain(PlatformMetrics.RATE_LIMIT, PlatformMetrics.TOKEN_VALIDATION);
        assertThat(PipelineStack.groups())
                .flatExtracting(RuleGroup::alerts)
                .extracting(AlertRule::name)
                .doesNotContain("RateLimitAbuse");
        PipelineStack.files()
                .forEach((path, text) -> assertThat(text)
                        .as(path)
                        .doesNotContain("rate_limit_hits_total", "RateLimitAbuse", "token_validation_total"));
        assertThat(IdentityStack.groups())
                .flatExtracting(RuleGroup::alerts)
                .extracting(AlertRule::name)
                .contains("RateLimitAbuse");
        assertThat(IdentityStack.dashboards())
                .flatExtracting(Dashboard::panels)
                .extracting(Dashboard.Placed::title)
                .contains("Rate-limit hits by type", "Token validations and 403s");
    }

    /** A service that only publishes gets the same dashboard, named for what it shows. */
    @Test
    void aProducerOnlyServicesDashboardIsTitledMessaging() {
        MetricCatalogue producerOnly = MetricCatalogue.of(
                List.of(),
                PlatformMetrics.of(List.of(
                        PlatformMetrics.HTTP,
                        PlatformMetrics.CORE,
                        PlatformMetrics.PROMETHEUS,
                        PlatformMetrics.KAFKA_PRODUCER)));
        Dashboard messaging = StandardDashboards.all(producerOnly, ServiceTarget.of("orders", "orders")).stream()
                .filter(d -> d.uid().equals("orders-pipeline"))
                .findFirst()
                .orElseThrow();
        assertThat(messaging.title()).endsWith("Messaging");
        assertThat(messaging.panels())
                .filteredOn(Dashboard.Placed::isRow)
                .extracting(Dashboard.Placed::title)
                .containsExactly("Kafka producers");
        assertThat(PipelineStack.dashboards())
                .filteredOn(d -> d.uid().equals("event-pipeline-pipeline"))
                .extracting(Dashboard::title)
                .singleElement()
                .asString()
                .endsWith("Event pipeline");
    }
}
