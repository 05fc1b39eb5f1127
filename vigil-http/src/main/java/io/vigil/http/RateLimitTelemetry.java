package io.vigil.http;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.internal.BoundedLabels;
import io.vigil.http.internal.LogBudget;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one call a service makes when it refuses work because of a rate or concurrency limit:
 *
 * <pre>{@code
 * RateLimitTelemetry limits = RateLimitTelemetry.create(vigil);
 * if (!bucket.tryConsume(1)) {
 *     limits.refused(RateLimitTelemetry.HTTP, "/api/v1/auth/login");
 *     throw new TooManyRequestsResponse();
 * }
 * }</pre>
 *
 * <p>Each refusal adds one to {@code rate_limit_hits_total{limit_type,endpoint}} (contract section
 * 2), adds a span event {@code rate_limit.refused} to the current span, and writes a WARN event
 * {@code event_type=security}, {@code security_event_type=rate_limit_exceeded} on the logger {@link
 * #LOGGER} — at most {@code logEventsPerSecond} a second (default 10), the rest counted in the next
 * event's {@code suppressed} field, so a flood cannot flood the logs. {@code limit_type} is one of
 * {@link #HTTP}, {@link #WEBSOCKET_CONNECTION}, {@link #WEBSOCKET_MESSAGE} or a type declared on
 * the builder, else {@code other}; {@code endpoint} should be a route template (the first 200
 * distinct values are kept, later ones become {@code other}). For bucket4j, {@code
 * io.vigil.http.bucket4j.InstrumentedBucket} makes the call itself. Thread-safe; never throws.
 */
public final class RateLimitTelemetry {
    /** Logger of the refusal events. */
    public static final String LOGGER = "vigil.security.rate_limit";
    /** {@code limit_type} of HTTP request limits. */
    public static final String HTTP = "http";
    /** {@code limit_type} of WebSocket connection limits (per user or client address). */
    public static final String WEBSOCKET_CONNECTION = "websocket_connection";
    /** {@code limit_type} of WebSocket message limits (per connection). */
    public static final String WEBSOCKET_MESSAGE = "websocket_message";

    private static final AttributeKey<String> LIMIT_TYPE = AttributeKey.stringKey("limit_type");
    private static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("endpoint");
    private static final AttributeKey<String> EVENT_LIMIT_TYPE = AttributeKey.stringKey("rate_limit.type");
    private static final AttributeKey<String> EVENT_ENDPOINT = AttributeKey.stringKey("rate_limit.endpoint");

    private final boolean metricsOn;
    private final LongCounter hits;
    private final BoundedLabels limitTypes;
    private final BoundedLabels endpoints = BoundedLabels.firstSeen(200);
    private final Map<String, Attributes> series = new ConcurrentHashMap<>();
    private final Logger log;
    private final LogBudget logBudget;

    private RateLimitTelemetry(Builder b) {
        VigilConfig config = b.config;
        this.metricsOn = config.enabled() && config.metricsEnabled();
        this.hits = b.openTelemetry
                .getMeter("io.vigil.http")
                .counterBuilder("rate_limit_hits_total")
                .setDescription("Work refused by a rate or concurrency limit, by limit type and route")
                .build();
        this.limitTypes = BoundedLabels.declared(b.limitTypes);
        this.log = b.loggerFactory.getLogger(LOGGER);
        this.logBudget = new LogBudget(b.logEventsPerSecond);
    }

    /** Rate-limit telemetry on the runtime's OpenTelemetry, configuration and logger factory. */
    public static RateLimitTelemetry create(Vigil vigil) {
        return builder(vigil).build();
    }

    /** A builder on the runtime's OpenTelemetry, configuration and logger factory. */
    public static Builder builder(Vigil vigil) {
        Builder b = new Builder(vigil.openTelemetry(), vigil.config());
        b.loggerFactory = vigil.loggerFactory();
        return b;
    }

    /** A builder from parts, for services that build OpenTelemetry themselves. */
    public static Builder builder(OpenTelemetry openTelemetry, VigilConfig config) {
        return new Builder(openTelemetry, config);
    }

    /**
     * Records one refusal: the counter, a span event on the current span, a WARN event (bounded
     * rate). Call it where the work is refused, on the refusing thread.
     *
     * @param limitType {@link #HTTP}, {@link #WEBSOCKET_CONNECTION}, {@link #WEBSOCKET_MESSAGE} or a
     *     declared type
     * @param endpoint the route template of the refused work
     */
    public void refused(String limitType, String endpoint) {
        try {
            String type = limitTypes.bound(limitType);
            String route = endpoints.bound(endpoint);
            if (metricsOn) {
                hits.add(
                        1,
                        series.computeIfAbsent(
                                type + '\n' + route, k -> Attributes.of(LIMIT_TYPE, type, ENDPOINT, route)),
                        Context.root());
            }
            Span span = Span.current();
            if (span.getSpanContext().isValid()) {
                span.addEvent("rate_limit.refused", Attributes.of(EVENT_LIMIT_TYPE, type, EVENT_ENDPOINT, route));
            }
            if (log.isWarnEnabled()) {
                long suppressed = logBudget.take();
                if (suppressed >= 0) {
                    log.atWarn()
                            .addKeyValue("event_type", "security")
                            .addKeyValue("security_event_type", "rate_limit_exceeded")
                            .addKeyValue("severity", "medium")
                            .addKeyValue("limit_type", type)
                            .addKeyValue("endpoint", route)
                            .addKeyValue("suppressed", suppressed)
                            .log("Rate limit exceeded: {} on {}", type, route);
                }
            }
        } catch (RuntimeException e) {
            // Telemetry never breaks the refusal itself.
            LoggerFactory.getLogger(RateLimitTelemetry.class).debug("Recording a rate-limit refusal failed", e);
        }
    }

    /** Builds a {@link RateLimitTelemetry}. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private final VigilConfig config;
        private final Set<String> limitTypes = new HashSet<>(Set.of(HTTP, WEBSOCKET_CONNECTION, WEBSOCKET_MESSAGE));
        private int logEventsPerSecond = 10;
        private ILoggerFactory loggerFactory = LoggerFactory.getILoggerFactory();

        Builder(OpenTelemetry openTelemetry, VigilConfig config) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
            this.config = Objects.requireNonNull(config, "config");
        }

        /** Declares further {@code limit_type} values (e.g. {@code login}); undeclared ones are recorded as {@code other}. */
        public Builder limitTypes(Set<String> types) {
            limitTypes.addAll(types);
            return this;
        }

        /** Where the refusal events are logged (default: SLF4J's; the {@code Vigil} builder uses the runtime's). */
        public Builder loggerFactory(ILoggerFactory loggerFactory) {
            this.loggerFactory = Objects.requireNonNull(loggerFactory, "loggerFactory");
            return this;
        }

        /** Most refusal log events written per second (default 10; 0 = none). */
        public Builder logEventsPerSecond(int perSecond) {
            if (perSecond < 0) {
                throw new IllegalArgumentException("logEventsPerSecond must not be negative");
            }
            this.logEventsPerSecond = perSecond;
            return this;
        }

        public RateLimitTelemetry build() {
            return new RateLimitTelemetry(this);
        }
    }
}
