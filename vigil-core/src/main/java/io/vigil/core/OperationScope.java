package io.vigil.core;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vigil.core.internal.DirectLogEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;

/**
 * One running domain operation: its span is current on the thread that started it until {@link
 * #close()}, which ends it and emits the span, the metrics and the log event together, all with
 * the same duration. Set the outcome before closing; an operation nobody marked ends in {@link
 * Outcome#SUCCESS}.
 *
 * <pre>{@code
 * try (OperationScope op = operations.start(LOGIN)) {
 *     User user = users.find(email);
 *     op.userId(user.id()).email(email);
 *     if (!passwords.matches(user, password)) {
 *         op.failure("invalid_credentials");
 *     }
 * }
 * }</pre>
 *
 * <p>Every value given here passes the {@link Scrubber}; not thread-safe except {@link #close()}.
 */
public final class OperationScope implements AutoCloseable {
    private static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    private static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");
    private static final AttributeKey<String> EXCEPTION_STACKTRACE = AttributeKey.stringKey("exception.stacktrace");
    private static final AttributeKey<String> ACTOR_ID = AttributeKey.stringKey("user.actor.id");
    private static final AttributeKey<String> EMAIL = AttributeKey.stringKey("user.email");
    private static final KeyValuePair[] STATUS_PAIRS = new KeyValuePair[Outcome.values().length];
    private static final KeyValuePair GRANTED = new KeyValuePair("granted", true);
    private static final KeyValuePair NOT_GRANTED = new KeyValuePair("granted", false);

    static {
        for (Outcome o : Outcome.values()) {
            STATUS_PAIRS[o.ordinal()] = new KeyValuePair("status", o.label());
        }
    }

    private final Operations operations;
    private final Operations.KindTelemetry telemetry;
    private final Operation operation;
    private final Span span;
    private final Context context;
    private final long startNanos;
    private final long startEpochNanos;
    private static final java.lang.invoke.VarHandle ENDED;

    static {
        try {
            ENDED = java.lang.invoke.MethodHandles.lookup().findVarHandle(OperationScope.class, "ended", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // written through ENDED
    private volatile boolean ended;

    private Scope threadScope;

    private Outcome outcome = Outcome.SUCCESS;
    private String failureReason;
    private Throwable error;
    private String userId;
    private String actorId;
    private String email;
    private List<Object> extraFields; // key, value pairs for the log event

    OperationScope(
            Operations operations,
            Operations.KindTelemetry telemetry,
            Operation operation,
            Span span,
            Context context,
            long startNanos,
            long startEpochNanos) {
        this.operations = operations;
        this.telemetry = telemetry;
        this.operation = operation;
        this.span = span;
        this.context = context;
        this.startNanos = startNanos;
        this.startEpochNanos = startEpochNanos;
    }

    void attach() {
        if (context != null) {
            threadScope = context.makeCurrent();
        }
    }

    /** Restores the caller's context on this thread; the operation goes on until it is ended. */
    void detach() {
        if (threadScope != null) {
            threadScope.close();
            threadScope = null;
        }
    }

    /** The operation being observed. */
    public Operation operation() {
        return operation;
    }

    /** The underlying span, for what this API does not cover. */
    public Span span() {
        return span;
    }

    /** The context holding this operation's span, to hand to other threads. */
    public Context context() {
        return context != null ? context : Context.current();
    }

    /** The user the operation is about ({@code user.id}, or {@code user.target.id} for user operations). */
    public OperationScope userId(String userId) {
        this.userId = userId;
        if (userId != null && operation.subjectKey != null) {
            span.setAttribute(operation.subjectKey, userId);
        }
        return this;
    }

    /** The user performing the operation ({@code user.actor.id}). */
    public OperationScope actorId(String actorId) {
        this.actorId = actorId;
        if (actorId != null) {
            span.setAttribute(ACTOR_ID, actorId);
        }
        return this;
    }

    /** An email address; only its masked form ({@code j***@example.com}) is recorded anywhere. */
    public OperationScope email(String email) {
        if (email != null) {
            this.email = Scrubber.maskEmail(email);
            span.setAttribute(EMAIL, this.email);
        }
        return this;
    }

    /** A string attribute on the span and field on the log event; scrubbed by key and content. */
    public OperationScope attribute(String key, String value) {
        return field(key, operations.scrubber().scrubValue(key, value));
    }

    /** A whole-number attribute on the span and field on the log event; a value under a sensitive key is redacted. */
    public OperationScope attribute(String key, long value) {
        return field(key, operations.scrubber().scrubValue(key, value));
    }

    /** A decimal attribute on the span and field on the log event; a value under a sensitive key is redacted. */
    public OperationScope attribute(String key, double value) {
        return field(key, operations.scrubber().scrubValue(key, value));
    }

    /** A boolean attribute on the span and field on the log event; a value under a sensitive key is redacted. */
    public OperationScope attribute(String key, boolean value) {
        return field(key, operations.scrubber().scrubValue(key, value));
    }

    private OperationScope field(String key, Object scrubbed) {
        if (scrubbed == null) {
            return this;
        }
        switch (scrubbed) {
            case Boolean v -> span.setAttribute(key, v);
            case Long v -> span.setAttribute(key, v);
            case Double v -> span.setAttribute(key, v);
            default -> span.setAttribute(key, String.valueOf(scrubbed));
        }
        if (extraFields == null) {
            extraFields = new ArrayList<>(8);
        }
        extraFields.add(key.replace('.', '_'));
        extraFields.add(scrubbed);
        return this;
    }

    /** A span event; attribute values are scrubbed. */
    public OperationScope event(String name) {
        span.addEvent(name);
        return this;
    }

    /** A span event with attributes; string values are scrubbed. */
    public OperationScope event(String name, Attributes attributes) {
        AttributesBuilder b = Attributes.builder();
        attributes.forEach((k, v) ->
                Operation.putTyped(b, k.getKey(), operations.scrubber().scrubValue(k.getKey(), v)));
        span.addEvent(name, b.build());
        return this;
    }

    /** Marks a domain refusal; {@code reason} should come from the kind's declared reasons. */
    public OperationScope failure(String reason) {
        this.outcome = Outcome.FAILURE;
        this.failureReason = operation.kind().boundedReason(reason);
        return this;
    }

    /** Marks a fault; the exception is recorded with its message and stack trace scrubbed. */
    public OperationScope error(Throwable error) {
        this.outcome = Outcome.ERROR;
        this.error = error;
        return this;
    }

    /** Marks success explicitly (the default). */
    public OperationScope success() {
        this.outcome = Outcome.SUCCESS;
        this.failureReason = null;
        this.error = null;
        return this;
    }

    /** The outcome as it stands. */
    public Outcome outcome() {
        return outcome;
    }

    /** Ends the operation and restores the caller's context. Idempotent. */
    @Override
    public void close() {
        end();
        detach();
    }

    /** Ends the operation from any thread: span, metrics and log event, with one duration. */
    void end() {
        if (!ENDED.compareAndSet(this, false, true) || context == null) {
            return; // already ended, or observability is off
        }
        long durationNanos = System.nanoTime() - startNanos;
        double seconds = durationNanos / 1e9;
        try {
            // A sampled span records (isRecording would take the span's lock once more to say so);
            // if the body ended it already, the SDK ignores these as it ignores the end below.
            if (span.getSpanContext().isSampled() || span.isRecording()) {
                annotateSpan(seconds);
            }
        } finally {
            span.end(startEpochNanos + durationNanos, TimeUnit.NANOSECONDS);
        }
        String errorType = error == null ? null : operations.boundedErrorType(error);
        // The histograms get the span as exemplar through the context passed explicitly; the log
        // event reads trace_id/span_id from the current context, so it is made current when the
        // operation ends on another thread.
        try (Scope ignored =
                threadScope != null && Context.current() == context ? Scope.noop() : context.makeCurrent()) {
            operations.recordEnd(telemetry, operation, context, outcome, seconds, failureReason, errorType);
            operations.log(telemetry, this, seconds);
        }
    }

    private void annotateSpan(double seconds) {
        if (operation.grantedKey != null) {
            span.setAttribute(operation.grantedKey, outcome == Outcome.SUCCESS);
        } else if (operation.outcomeKey != null) {
            span.setAttribute(operation.outcomeKey, outcome.label());
        }
        if (failureReason != null && operation.failureReasonKey != null) {
            span.setAttribute(operation.failureReasonKey, failureReason);
        }
        if (operation.durationKey != null) {
            span.setAttribute(operation.durationKey, seconds);
        }
        switch (outcome) {
            case SUCCESS -> span.setStatus(StatusCode.OK);
            case FAILURE -> span.setStatus(StatusCode.ERROR, failureReason);
            case ERROR -> {
                span.setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
                // Not Span.recordException: its message and stack trace would bypass the scrubber.
                span.addEvent(
                        "exception",
                        Attributes.of(
                                EXCEPTION_TYPE, error.getClass().getName(),
                                EXCEPTION_MESSAGE, operations.scrubber().scrubText(String.valueOf(error.getMessage())),
                                EXCEPTION_STACKTRACE, operations.scrubber().scrubText(stackTrace(error))));
            }
        }
    }

    void writeLog(Logger logger, double seconds) {
        Level level = switch (outcome) {
            case SUCCESS -> operation.successLogLevel;
            case FAILURE -> Level.WARN;
            case ERROR -> Level.ERROR;
        };
        if (!logger.isEnabledForLevel(level)) {
            return;
        }
        OperationKind kind = operation.kind();
        // The code-level operation name is in the message (the span name), not repeated as a field.
        KeyValuePair[] constant = operation.constantLogPairs;
        boolean granted = kind.outcomeEncoding() == OperationKind.OutcomeEncoding.GRANTED;
        int size = constant.length
                + 2 // status, duration_seconds
                + (granted ? 1 : 0)
                + (failureReason != null ? 1 : 0)
                + (userId != null ? 1 : 0)
                + (actorId != null ? 1 : 0)
                + (email != null ? 1 : 0)
                + (extraFields != null ? extraFields.size() / 2 : 0);
        List<KeyValuePair> pairs = new ArrayList<>(size);
        for (KeyValuePair p : constant) {
            pairs.add(p);
        }
        pairs.add(STATUS_PAIRS[outcome.ordinal()]);
        pairs.add(new KeyValuePair("duration_seconds", seconds));
        if (granted) {
            pairs.add(outcome == Outcome.SUCCESS ? GRANTED : NOT_GRANTED);
        }
        if (failureReason != null) {
            pairs.add(new KeyValuePair("failure_reason", failureReason));
        }
        if (userId != null) {
            pairs.add(new KeyValuePair(operation.subjectLogField, userId));
        }
        if (actorId != null) {
            pairs.add(new KeyValuePair("actor_id", actorId));
        }
        if (email != null) {
            pairs.add(new KeyValuePair("email", email));
        }
        if (extraFields != null) {
            for (int i = 0; i < extraFields.size(); i += 2) {
                pairs.add(new KeyValuePair((String) extraFields.get(i), extraFields.get(i + 1)));
            }
        }
        // A finished message, not a pattern with arguments: nothing to format per event, and the
        // same String instance on every line, which the JSON encoder's scrub cache recognises.
        String message = operation.message(outcome);
        if (failureReason != null) {
            message = message + " (" + failureReason + ")";
        }
        // Logback takes the event as it is (its key-value list included): no fluent builder, no list grown
        // pair by pair, and the operation's constant pairs shared between events.
        DirectLogEvent.log(logger, level, pairs, error, message);
    }

    private static String stackTrace(Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        return sw.toString();
    }
}
