package io.vigil.audit;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import io.vigil.core.Outcome;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.internal.FailureLog;
import java.sql.Connection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The audit trail: who did what to which resource, with what outcome. Each {@code record} call
 * fills in the {@code request_id} (the MDC's, as the HTTP adapters and vigil-jobs set it) and the
 * trace id of the current span, scrubs the values (emails masked, credentials redacted: the
 * runtime's {@link Scrubber}), then writes the entry to every sink and emits one log event ({@code
 * event_type=audit}, logger {@code vigil.audit}, INFO).
 *
 * <pre>{@code
 * AuditLog audit = AuditLog.builder(vigil).sink(JdbcAuditSink.create(dataSource)).build();
 * // in the transaction that deletes the user: the row commits or rolls back with it
 * audit.record(connection, actorId, "delete_user", "user:" + id, Outcome.SUCCESS, null);
 * }</pre>
 *
 * <p>The caller's transaction is the connection passed to {@link #record(Connection, String, String,
 * String, Outcome, String)}, or the one bound to the current context by {@link #bindTransaction}.
 * The log event is emitted when {@code record} is called, whether or not that transaction commits
 * later; the table holds what committed.
 *
 * <p>Recording never fails the caller: a sink or the log event that throws is counted in {@code
 * vigil_telemetry_failures_total{component="audit"}}, logged once per outage at WARN, and skipped.
 * Thread-safe; create one per runtime and {@link #close()} it with the runtime.
 */
public final class AuditLog implements AutoCloseable {
    /** The {@code event_type} of the audit log event. */
    public static final String EVENT_TYPE = "audit";

    /** The logger of the audit log events. */
    public static final String LOGGER = "vigil.audit";

    private static final ContextKey<Connection> TRANSACTION = ContextKey.named("vigil-audit-transaction");

    private final List<AuditSink> sinks;
    private final boolean logEvents;
    private final Scrubber scrubber;
    private final Clock clock;
    private final Logger events;
    private final FailureLog failures;
    private final AutoCloseable failureMetric;

    private AuditLog(Builder b) {
        this.sinks = List.copyOf(b.sinks);
        this.logEvents = b.logEvents;
        this.scrubber = b.scrubber;
        this.clock = b.clock;
        this.events = b.loggerFactory.getLogger(LOGGER);
        this.failures = new FailureLog(
                events, "audit", "Writing the audit trail", "the audited work goes on without its audit entry");
        this.failureMetric = failures.register(b.openTelemetry.getMeter("io.vigil.audit"));
    }

    /** Starts configuring an audit log on {@code vigil}'s telemetry, logger factory and scrubber. */
    public static Builder builder(Vigil vigil) {
        return new Builder(vigil.openTelemetry())
                .loggerFactory(vigil.loggerFactory())
                .scrubber(vigil.operations().scrubber());
    }

    /** Starts configuring an audit log on any {@link OpenTelemetry} (SLF4J's logger factory, the default scrubber). */
    public static Builder builder(OpenTelemetry openTelemetry) {
        return new Builder(openTelemetry);
    }

    /**
     * Binds {@code transaction} to the current context: {@link #record(String, String, String,
     * Outcome, String)} calls made while the returned scope is open (on this thread, or in work
     * carried over with the context) write on it. Close the scope when the transaction ends.
     */
    public static Scope bindTransaction(Connection transaction) {
        return Context.current()
                .with(TRANSACTION, Objects.requireNonNull(transaction, "transaction"))
                .makeCurrent();
    }

    /**
     * Records an entry, in the transaction bound by {@link #bindTransaction} if there is one.
     *
     * @param actorId who acted, or {@code null} when unknown
     * @param action what was done ({@code delete_user})
     * @param resource what it was done to ({@code user:42})
     * @param outcome how it ended
     * @param error why it failed ({@code invalid_credentials}), or {@code null}
     * @return the entry as written (scrubbed, with its request and trace ids)
     */
    public AuditEntry record(String actorId, String action, String resource, Outcome outcome, String error) {
        return record(Context.current().get(TRANSACTION), actorId, action, resource, outcome, error);
    }

    /**
     * Records an entry on {@code transaction}, the caller's connection: with auto-commit off, the
     * entry's row commits or rolls back with the caller's change.
     *
     * @param transaction the caller's connection, or {@code null} for none
     * @param actorId who acted, or {@code null} when unknown
     * @param action what was done ({@code delete_user})
     * @param resource what it was done to ({@code user:42})
     * @param outcome how it ended
     * @param error why it failed ({@code invalid_credentials}), or {@code null}
     * @return the entry as written (scrubbed, with its request and trace ids)
     */
    public AuditEntry record(
            Connection transaction, String actorId, String action, String resource, Outcome outcome, String error) {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(outcome, "outcome");
        SpanContext span = Span.current().getSpanContext();
        AuditEntry entry = new AuditEntry(
                clock.instant(),
                actorId == null ? null : scrubber.scrubValue("actor_id", actorId),
                scrubber.scrubText(action),
                scrubber.scrubText(resource),
                outcome,
                error == null ? null : scrubber.scrubText(error),
                MDC.get("request_id"),
                span.isValid() ? span.getTraceId() : null);
        boolean ok = true;
        for (AuditSink sink : sinks) {
            try {
                sink.write(entry, transaction);
            } catch (Exception | LinkageError e) {
                ok = false;
                failures.failed(e);
            }
        }
        if (logEvents) {
            try {
                log(entry);
            } catch (RuntimeException e) {
                ok = false;
                failures.failed(e);
            }
        }
        if (ok) {
            failures.succeeded();
        }
        return entry;
    }

    private void log(AuditEntry e) {
        LoggingEventBuilder event = events.atInfo()
                .setMessage("audit")
                .addKeyValue("event_type", EVENT_TYPE)
                .addKeyValue("action", e.action())
                .addKeyValue("resource", e.resource())
                .addKeyValue("outcome", e.outcome().label());
        if (e.actorId() != null) {
            event = event.addKeyValue("actor_id", e.actorId());
        }
        if (e.error() != null) {
            event = event.addKeyValue("error", e.error());
        }
        if (e.requestId() != null) {
            event = event.addKeyValue("request_id", e.requestId());
        }
        event.log();
    }

    /** Audit sink and log-event failures so far (also {@code vigil_telemetry_failures_total{component="audit"}}). */
    public long failures() {
        return failures.failures();
    }

    /** Stops reporting the failure counter; recording still works. */
    @Override
    public void close() {
        try {
            failureMetric.close();
        } catch (Exception e) {
            // The metric's registration is gone with its meter provider.
        }
    }

    /** Configures an {@link AuditLog}. Not thread-safe. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private final List<AuditSink> sinks = new ArrayList<>();
        private boolean logEvents = true;
        private Scrubber scrubber = Scrubber.defaults();
        private ILoggerFactory loggerFactory = LoggerFactory.getILoggerFactory();
        private Clock clock = Clock.systemUTC();

        private Builder(OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
        }

        /** Adds a sink ({@link JdbcAuditSink}, or the application's own); entries go to every sink in order. */
        public Builder sink(AuditSink sink) {
            sinks.add(Objects.requireNonNull(sink, "sink"));
            return this;
        }

        /** Whether each entry is also a log event ({@code event_type=audit}); default true. */
        public Builder logEvents(boolean logEvents) {
            this.logEvents = logEvents;
            return this;
        }

        /** The privacy rules applied to every value; default the runtime's ({@link Scrubber#defaults()} without a runtime). */
        public Builder scrubber(Scrubber scrubber) {
            this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
            return this;
        }

        /** Where the log events go (logger {@code vigil.audit}); default the runtime's, else SLF4J's. */
        public Builder loggerFactory(ILoggerFactory loggerFactory) {
            this.loggerFactory = Objects.requireNonNull(loggerFactory, "loggerFactory");
            return this;
        }

        /** The clock of {@link AuditEntry#occurredAt()}; default UTC system time. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The audit log. */
        public AuditLog build() {
            return new AuditLog(this);
        }
    }
}
