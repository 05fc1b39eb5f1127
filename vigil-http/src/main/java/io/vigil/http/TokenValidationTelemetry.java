package io.vigil.http;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.core.internal.ScrubbedExceptions;
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
 * The convention for a service that validates bearer tokens (RFC 6750: on HTTP requests and
 * WebSocket handshakes): {@code token_validation_total{status}} (contract section 2), a span, and a
 * security log event for each refusal.
 *
 * <pre>{@code
 * TokenValidationTelemetry tokens = TokenValidationTelemetry.create(vigil);
 * Claims claims = tokens.validate(() -> {
 *     if (header == null) throw new TokenValidationTelemetry.InvalidToken(TokenValidationTelemetry.MISSING);
 *     return verifier.verify(header);    // throws InvalidToken(EXPIRED), InvalidToken(INVALID_SIGNATURE), …
 * });                                     // a refusal is rethrown: answer 401
 * }</pre>
 *
 * <p>{@link #validate} runs the check in a span {@code token.validate} (a child of the current span,
 * attribute {@code token.validation.status}; an unexpected exception is status {@code error} and
 * marks the span failed). {@link #record} counts a result decided elsewhere, adding the attribute to
 * the current span. {@code status} is one of {@link #VALID}, {@link #EXPIRED}, {@link #INVALID},
 * {@link #INVALID_SIGNATURE}, {@link #MALFORMED}, {@link #REVOKED}, {@link #MISSING}, {@link #ERROR}
 * or a status declared on the builder, else {@code other}. Each refusal writes a WARN event {@code
 * event_type=security}, {@code security_event_type=token_validation_failed} on {@link #LOGGER}, at
 * most {@code logEventsPerSecond} a second (the rest counted in {@code suppressed}); valid tokens are
 * not logged (the access log has the request). Every declared status's series exists at 0 from the
 * start, so that {@code rate()} and {@code increase()} see a status's first occurrence. Thread-safe;
 * never lets telemetry fail the check.
 */
public final class TokenValidationTelemetry {
    /** Logger of the refusal events. */
    public static final String LOGGER = "vigil.security.token_validation";
    /** The token is valid. */
    public static final String VALID = "valid";
    /** The token's lifetime has ended. */
    public static final String EXPIRED = "expired";
    /** The token is refused for a reason not named by another status (issuer, audience, claims). */
    public static final String INVALID = "invalid";
    /** The token's signature does not verify (or names an algorithm or key that is not accepted). */
    public static final String INVALID_SIGNATURE = "invalid_signature";
    /** The token cannot be parsed. */
    public static final String MALFORMED = "malformed";
    /** The token was revoked (logout, password change, reuse detected). */
    public static final String REVOKED = "revoked";
    /** The request carries no bearer token. */
    public static final String MISSING = "missing";
    /** The check itself failed (e.g. the key set could not be read). */
    public static final String ERROR = "error";

    private static final Set<String> STATUSES =
            Set.of(VALID, EXPIRED, INVALID, INVALID_SIGNATURE, MALFORMED, REVOKED, MISSING, ERROR);
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey("status");
    private static final AttributeKey<String> SPAN_STATUS = AttributeKey.stringKey("token.validation.status");

    /** A token refused for {@code status}; thrown by the check given to {@link #validate}. */
    public static final class InvalidToken extends Exception {
        private static final long serialVersionUID = 1L;
        private final String status;

        /** A refusal for {@code status} (one of the declared statuses). */
        public InvalidToken(String status) {
            this(status, null);
        }

        /** A refusal for {@code status} with a detail message (logged scrubbed, never the token). */
        public InvalidToken(String status, String message) {
            super(message != null ? message : status, null, false, false);
            this.status = Objects.requireNonNull(status, "status");
        }

        /** The {@code token_validation_total} status of this refusal. */
        public String status() {
            return status;
        }
    }

    /** A token check: returns what the token says, or throws {@link InvalidToken}. */
    @FunctionalInterface
    public interface Check<T> {
        /** Validates the token. */
        T validate() throws InvalidToken;
    }

    private final boolean metricsOn;
    private final LongCounter validations;
    private final Tracer tracer;
    private final BoundedLabels statuses;
    private final Map<String, Attributes> series = new ConcurrentHashMap<>();
    private final Logger log;
    private final LogBudget logBudget;
    private final int logEventsPerSecond;
    private final Scrubber scrubber;

    private TokenValidationTelemetry(Builder b) {
        VigilConfig config = b.config;
        this.metricsOn = config.enabled() && config.metricsEnabled();
        this.validations = b.openTelemetry
                .getMeter("io.vigil.http")
                .counterBuilder("token_validation_total")
                .setDescription("Bearer token validations by result")
                .build();
        this.tracer = (config.enabled() && config.tracingEnabled()
                        ? b.openTelemetry.getTracerProvider()
                        : TracerProvider.noop())
                .get("io.vigil.http");
        this.statuses = BoundedLabels.declared(b.statuses);
        if (metricsOn) {
            // Every declared status's series at 0 from the first scrape: a counter series that appears only with its
            // first increment hides that increment from rate() and increase() (the first expired token, say).
            for (String s : b.statuses) {
                validations.add(0, series.computeIfAbsent(s, v -> Attributes.of(STATUS, v)), Context.root());
            }
        }
        this.log = b.loggerFactory.getLogger(LOGGER);
        this.logEventsPerSecond = b.logEventsPerSecond;
        this.logBudget = new LogBudget(b.logEventsPerSecond);
        this.scrubber = b.scrubber;
    }

    /** Token-validation telemetry on the runtime's OpenTelemetry, configuration and logger factory. */
    public static TokenValidationTelemetry create(Vigil vigil) {
        return builder(vigil).build();
    }

    /** A builder on the runtime's OpenTelemetry, configuration and logger factory. */
    public static Builder builder(Vigil vigil) {
        Builder b = new Builder(vigil.openTelemetry(), vigil.config());
        b.loggerFactory = vigil.loggerFactory();
        b.scrubber = vigil.operations().scrubber();
        return b;
    }

    /** A builder from parts, for services that build OpenTelemetry themselves. */
    public static Builder builder(OpenTelemetry openTelemetry, VigilConfig config) {
        return new Builder(openTelemetry, config);
    }

    /**
     * Runs {@code check} in a span {@code token.validate} and records its result: {@link #VALID}
     * when it returns, the {@link InvalidToken#status()} when it refuses (rethrown), {@link #ERROR}
     * when it throws anything else (rethrown).
     */
    public <T> T validate(Check<T> check) throws InvalidToken {
        Span span = tracer.spanBuilder("token.validate").startSpan();
        String status = ERROR;
        try (Scope ignored = Context.current().with(span).makeCurrent()) {
            T result = check.validate();
            status = VALID;
            return result;
        } catch (InvalidToken e) {
            status = e.status();
            throw e;
        } catch (RuntimeException | Error e) {
            span.setStatus(StatusCode.ERROR);
            // Scrubbed: a token library's message may quote what it could not parse.
            span.recordException(e, ScrubbedExceptions.attributes(scrubber, e));
            throw e;
        } finally {
            record(span, status);
            span.end();
        }
    }

    /** Records one validation decided by the caller, on the current span. */
    public void record(String status) {
        record(Span.current(), status);
    }

    private void record(Span span, String status) {
        try {
            String s = statuses.bound(status);
            if (metricsOn) {
                validations.add(1, series.computeIfAbsent(s, v -> Attributes.of(STATUS, v)), Context.root());
            }
            if (span.getSpanContext().isValid()) {
                span.setAttribute(SPAN_STATUS, s);
            }
            if (!VALID.equals(s) && logEventsPerSecond > 0 && log.isWarnEnabled()) {
                long suppressed = logBudget.take();
                if (suppressed >= 0) {
                    log.atWarn()
                            .addKeyValue("event_type", "security")
                            .addKeyValue("security_event_type", "token_validation_failed")
                            .addKeyValue("severity", "low")
                            .addKeyValue("status", s)
                            .addKeyValue("suppressed", suppressed)
                            .log("Bearer token refused: {}", s);
                }
            }
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(TokenValidationTelemetry.class).debug("Recording a token validation failed", e);
        }
    }

    /** Builds a {@link TokenValidationTelemetry}. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private final VigilConfig config;
        private final Set<String> statuses = new HashSet<>(STATUSES);
        private int logEventsPerSecond = 10;
        private ILoggerFactory loggerFactory = LoggerFactory.getILoggerFactory();
        private Scrubber scrubber = Scrubber.defaults(); // the runtime's, from builder(vigil)

        Builder(OpenTelemetry openTelemetry, VigilConfig config) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
            this.config = Objects.requireNonNull(config, "config");
        }

        /** Declares further statuses (e.g. {@code wrong_audience}); undeclared ones are recorded as {@code other}. */
        public Builder statuses(Set<String> more) {
            statuses.addAll(more);
            return this;
        }

        /** Where the refusal events are logged (default: SLF4J's; the {@code Vigil} builder uses the runtime's). */
        public Builder loggerFactory(ILoggerFactory loggerFactory) {
            this.loggerFactory = Objects.requireNonNull(loggerFactory, "loggerFactory");
            return this;
        }

        /**
         * Most refusal log events per second (default 10; 0 = none, e.g. when an operation event of
         * the service's own already logs each validation).
         */
        public Builder logEventsPerSecond(int perSecond) {
            if (perSecond < 0) {
                throw new IllegalArgumentException("logEventsPerSecond must not be negative");
            }
            this.logEventsPerSecond = perSecond;
            return this;
        }

        /** The telemetry with these settings; the builder may be reused. */
        public TokenValidationTelemetry build() {
            return new TokenValidationTelemetry(this);
        }
    }
}
