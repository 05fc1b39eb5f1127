package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.core.OperationKind;
import io.vigil.identity.telemetry.IdentityCatalogue;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricCatalogueTest {
    private final MetricCatalogue catalogue = IdentityStack.catalogue();

    @Test
    void holdsEveryInstrumentOfTheStandardKinds() {
        for (OperationKind kind : new IdentityCatalogue().get()) {
            for (OperationKind.Instrument i : kind.instruments()) {
                assertThat(catalogue.metric(i.name()).labels()).containsExactlyElementsOf(i.labels());
            }
        }
    }

    @Test
    void refusesAnUnknownMetric() {
        assertThatThrownBy(() -> catalogue.select("failed_login_attempts"))
                .hasMessageContaining("failed_login_attempts is not in the catalogue");
    }

    @Test
    void refusesALabelTheMetricDoesNotHave() {
        assertThatThrownBy(() -> catalogue.select("http_requests_total").re("status", "5.."))
                .hasMessageContaining("has no label status");
    }

    @Test
    void rendersMatchersWithPromqlEscaping() {
        assertThat(catalogue
                        .select("http_requests_total")
                        .re("status_code", "5..")
                        .eq("job", "a\"b"))
                .hasToString("http_requests_total{status_code=~\"5..\",job=\"a\\\"b\"}");
    }

    @Test
    void readsHistogramsOnlyThroughTheirSeries() {
        Selector duration = catalogue.select("http_request_duration_seconds");
        assertThat(duration.bucket().eq("le", "0.5")).hasToString("http_request_duration_seconds_bucket{le=\"0.5\"}");
        assertThatThrownBy(duration::toString).hasMessageContaining("bucket(), count() or sum()");
        assertThatThrownBy(() -> duration.count().eq("le", "1")).hasMessageContaining("has no label le");
        assertThatThrownBy(() -> catalogue.select("http_requests_total").bucket())
                .hasMessageContaining("not a histogram");
    }

    @Test
    void refusesTheSameNameDeclaredTwiceDifferently() {
        assertThatThrownBy(() -> MetricCatalogue.of(
                        new IdentityCatalogue().get(),
                        List.of(Metric.counter("db_errors_total", "other labels", "test", "operation"))))
                .hasMessageContaining("declared twice");
    }
}
