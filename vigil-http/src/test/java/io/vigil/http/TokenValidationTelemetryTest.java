package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.http.TokenValidationTelemetry.InvalidToken;
import io.vigil.test.LogEvent;
import io.vigil.test.VigilExtension;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TokenValidationTelemetryTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void eachValidationIsCountedByStatusInASpanUnderTheRequest() throws Exception {
        TokenValidationTelemetry tokens = TokenValidationTelemetry.create(telemetry.runtime());
        Span request = telemetry
                .runtime()
                .openTelemetry()
                .getTracer("test")
                .spanBuilder("POST /notes")
                .startSpan();
        try (Scope ignored = request.makeCurrent()) {
            assertThat(tokens.validate(() -> "alice")).isEqualTo("alice");
            assertThatThrownBy(() -> tokens.validate(() -> {
                        throw new InvalidToken(TokenValidationTelemetry.EXPIRED, "token expired");
                    }))
                    .isInstanceOf(InvalidToken.class);
            assertThatThrownBy(() -> tokens.validate(() -> {
                        throw new IllegalStateException("key set unavailable");
                    }))
                    .isInstanceOf(IllegalStateException.class);
        } finally {
            request.end();
        }
        assertThat(count("valid")).isEqualTo(1);
        assertThat(count("expired")).isEqualTo(1);
        assertThat(count("error")).isEqualTo(1);
        SpanData parent = telemetry.span("POST /notes");
        List<SpanData> checks = telemetry.spans().stream()
                .filter(s -> s.getName().equals("token.validate"))
                .toList();
        assertThat(checks)
                .hasSize(3)
                .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(parent.getSpanId()));
        assertThat(checks.stream().map(s -> s.getAttributes().asMap().toString()))
                .anySatisfy(a -> assertThat(a).contains("token.validation.status=valid"))
                .anySatisfy(a -> assertThat(a).contains("token.validation.status=expired"));
        assertThat(checks)
                .filteredOn(s -> s.getStatus().getStatusCode() == StatusCode.ERROR)
                .singleElement()
                .satisfies(s -> assertThat(s.getAttributes().asMap().toString()).contains("=error"));
        // Refusals are security events; a valid token is not logged.
        List<LogEvent> events = telemetry.logs("security");
        assertThat(events).hasSize(2);
        assertThat(events.getFirst().logger()).isEqualTo(TokenValidationTelemetry.LOGGER);
        assertThat(events.getFirst().field("security_event_type")).isEqualTo("token_validation_failed");
        assertThat(events.getFirst().field("status")).isEqualTo("expired");
        assertThat(events.getFirst().traceId()).isEqualTo(parent.getTraceId());
    }

    @Test
    void aCheckThatFailsWithTheTokenInItsMessageRecordsItScrubbed() {
        TokenValidationTelemetry tokens = TokenValidationTelemetry.create(telemetry.runtime());
        String jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlc2lnbmF0dXJl";
        assertThatThrownBy(() -> tokens.validate(() -> {
                    throw new IllegalStateException("cannot parse " + jwt + " of jane.doe@example.com");
                }))
                .isInstanceOf(IllegalStateException.class);
        SpanData check = telemetry.span("token.validate");
        assertThat(check.getEvents())
                .singleElement()
                .satisfies(e -> assertThat(e.getAttributes()
                                .get(io.opentelemetry.api.common.AttributeKey.stringKey("exception.message")))
                        .isEqualTo("cannot parse [REDACTED] of j***@example.com"));
        assertThat(telemetry.everything()).doesNotContain("c2lnbmF0dXJl", "jane.doe");
    }

    @Test
    void statusesAreBoundedAndLogEventsRateLimited() {
        TokenValidationTelemetry tokens = TokenValidationTelemetry.builder(telemetry.runtime())
                .statuses(Set.of("wrong_audience"))
                .logEventsPerSecond(3)
                .build();
        tokens.record("wrong_audience");
        tokens.record("made_up");
        for (int i = 0; i < 50; i++) {
            tokens.record(TokenValidationTelemetry.MALFORMED);
        }
        assertThat(count("wrong_audience")).isEqualTo(1);
        assertThat(count("other")).isEqualTo(1);
        assertThat(count("malformed")).isEqualTo(50);
        assertThat(telemetry.logs("security")).hasSizeBetween(3, 6); // a second's window may turn once

        TokenValidationTelemetry quiet = TokenValidationTelemetry.builder(telemetry.runtime())
                .logEventsPerSecond(0)
                .build();
        int before = telemetry.logs("security").size();
        quiet.record(TokenValidationTelemetry.REVOKED);
        assertThat(count("revoked")).isEqualTo(1);
        assertThat(telemetry.logs("security")).hasSize(before);
    }

    /**
     * Every declared status is a series at 0 before any validation: one that appeared only with its first increment
     * hid that increment from rate() and increase() — the first expired token did not show on a dashboard.
     */
    @Test
    void everyDeclaredStatusIsScrapedAtZeroBeforeAnyValidation() {
        TokenValidationTelemetry.builder(telemetry.runtime())
                .statuses(Set.of("wrong_audience"))
                .build();

        var series = telemetry.metrics().named("token_validation_total");
        assertThat(series)
                .extracting(s -> s.labels().get("status"))
                .containsExactlyInAnyOrder(
                        "valid",
                        "expired",
                        "invalid",
                        "invalid_signature",
                        "malformed",
                        "revoked",
                        "missing",
                        "error",
                        "wrong_audience"); // "other" is not declared: it appears when something falls outside
        assertThat(series).allSatisfy(s -> assertThat(s.value()).isZero());
    }

    private double count(String status) {
        return telemetry
                .metrics()
                .find("token_validation_total", Map.of("status", status))
                .map(s -> s.value())
                .orElse(0.0);
    }
}
