package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pieces of the start without an OTLP sender that its class-path test (StartWithoutOtlpSenderTest) cannot vary. */
class OtlpSenderFallbackTest {

    @Test
    void onlyTheOtlpExportersAreTakenOutTheConsoleAndOtherSettingsStay() {
        Map<String, String> out = SdkFactory.withoutOtlp(Map.of(
                "otel.traces.exporter", "otlp, console",
                "otel.metrics.exporter", "otlp",
                "otel.logs.exporter", "none",
                "otel.service.name", "orders"));

        assertThat(out)
                .containsEntry("otel.traces.exporter", "console")
                .containsEntry("otel.metrics.exporter", "none")
                .containsEntry("otel.logs.exporter", "none")
                .containsEntry("otel.service.name", "orders");
    }

    @Test
    void aMissingSenderIsToldApartFromOtherRefusals() {
        IllegalStateException noSender =
                new IllegalStateException("No HttpSenderProvider found on classpath. Please add dependency on "
                        + "opentelemetry-exporter-sender-okhttp or opentelemetry-exporter-sender-jdk");
        assertThat(SdkFactory.missingSender(new ConfigurationException("Unexpected configuration error", noSender)))
                .isEqualTo(noSender.getMessage());
        assertThat(SdkFactory.missingSender(new ConfigurationException("Unrecognized value for otel.traces.sampler")))
                .isNull();
    }
}
