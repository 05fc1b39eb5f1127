package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.http.bucket4j.InstrumentedBucket;
import io.vigil.test.LogEvent;
import io.vigil.test.VigilExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RateLimitTelemetryTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void aRefusalIsCountedLoggedAndMarkedOnTheCurrentSpan() {
        RateLimitTelemetry limits = RateLimitTelemetry.create(telemetry.runtime());
        Span span = telemetry
                .runtime()
                .openTelemetry()
                .getTracer("test")
                .spanBuilder("login")
                .startSpan();
        try (Scope ignored = span.makeCurrent()) {
            limits.refused(RateLimitTelemetry.HTTP, "/api/v1/auth/login");
        } finally {
            span.end();
        }
        assertThat(telemetry
                        .metrics()
                        .require(
                                "rate_limit_hits_total",
                                Map.of("limit_type", "http", "endpoint", "/api/v1/auth/login")))
                .isEqualTo(1);
        SpanData login = telemetry.span("login");
        assertThat(login.getEvents()).singleElement().satisfies(e -> {
            assertThat(e.getName()).isEqualTo("rate_limit.refused");
            assertThat(e.getAttributes().asMap().toString()).contains("http", "/api/v1/auth/login");
        });
        LogEvent event = telemetry.logs("security").getFirst();
        assertThat(event.level()).isEqualTo("WARN");
        assertThat(event.logger()).isEqualTo(RateLimitTelemetry.LOGGER);
        assertThat(event.field("security_event_type")).isEqualTo("rate_limit_exceeded");
        assertThat(event.field("limit_type")).isEqualTo("http");
        assertThat(event.traceId()).isEqualTo(login.getTraceId());
    }

    @Test
    void limitTypesAreBoundedAndLogEventsRateLimited() {
        RateLimitTelemetry limits = RateLimitTelemetry.builder(telemetry.runtime())
                .limitTypes(Set.of("login"))
                .logEventsPerSecond(3)
                .build();
        for (int i = 0; i < 50; i++) {
            limits.refused("login", "/login");
            limits.refused("not-declared", "/login");
        }
        assertThat(telemetry.metrics().require("rate_limit_hits_total", Map.of("limit_type", "login")))
                .isEqualTo(50);
        assertThat(telemetry.metrics().require("rate_limit_hits_total", Map.of("limit_type", "other")))
                .isEqualTo(50);
        // 100 refusals within (at most) a few seconds: 3 events a second, not 100.
        assertThat(telemetry.logs("security")).hasSizeBetween(3, 12);
    }

    @Test
    void anInstrumentedBucketRecordsItsRefusalsAndReturnsTheBucketsDecision() {
        RateLimitTelemetry limits = RateLimitTelemetry.create(telemetry.runtime());
        Bucket bucket = Bucket.builder()
                .addLimit(Bandwidth.builder()
                        .capacity(3)
                        .refillIntervally(3, Duration.ofHours(1))
                        .build())
                .build();
        InstrumentedBucket login = new InstrumentedBucket(bucket, limits, RateLimitTelemetry.HTTP, "/login");
        int allowed = 0;
        for (int i = 0; i < 5; i++) {
            allowed += login.tryConsume(1) ? 1 : 0;
        }
        assertThat(allowed).isEqualTo(3);
        assertThat(login.tryConsumeAndReturnRemaining(1).isConsumed()).isFalse();
        assertThat(telemetry
                        .metrics()
                        .require("rate_limit_hits_total", Map.of("limit_type", "http", "endpoint", "/login")))
                .isEqualTo(3);
    }
}
