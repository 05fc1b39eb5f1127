package io.vigil.core.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.vigil.core.Scrubber;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;

/**
 * Exceptions recorded on spans with their message and stack trace through the privacy rules.
 *
 * <p>Why: {@code Span.recordException} writes the exception's message and stack trace raw, and messages quote data —
 * a driver the value it refused, a parser the token it could not read, an application the record it rejected.
 * OpenTelemetry's {@code Instrumenter} (the Kafka and HTTP client instrumentations Vigil builds on) calls it on the span
 * of the context it ends, so {@link #recordingScrubbed} hands it a context whose span scrubs what it records.
 */
public final class ScrubbedExceptions {
    private static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");
    private static final AttributeKey<String> EXCEPTION_STACKTRACE = AttributeKey.stringKey("exception.stacktrace");

    private ScrubbedExceptions() {}

    /**
     * The message and stack trace of {@code error} through {@code scrubber}: given to {@code Span.recordException},
     * they take the place of the raw ones the SDK writes (it adds the type itself).
     */
    public static Attributes attributes(Scrubber scrubber, Throwable error) {
        StringWriter stack = new StringWriter();
        error.printStackTrace(new PrintWriter(stack));
        AttributesBuilder b = Attributes.builder().put(EXCEPTION_STACKTRACE, scrubber.scrubText(stack.toString()));
        if (error.getMessage() != null) {
            b.put(EXCEPTION_MESSAGE, scrubber.scrubText(error.getMessage()));
        }
        return b.build();
    }

    /**
     * The context to give {@code Instrumenter.end} with {@code error}: {@code context} with its span replaced by one
     * that records exceptions scrubbed and passes everything else to it. {@code context} itself when there is no
     * error (nothing to record) or it holds no recording span.
     */
    public static Context recordingScrubbed(Context context, Throwable error, Scrubber scrubber) {
        if (error == null) {
            return context;
        }
        Span span = Span.fromContext(context);
        return span.isRecording() ? context.with(new ScrubbingSpan(span, scrubber)) : context;
    }

    /** A span that scrubs the exceptions it records; everything else goes to the span it wraps. */
    private record ScrubbingSpan(Span delegate, Scrubber scrubber) implements Span {
        @Override
        public Span recordException(Throwable exception, Attributes additionalAttributes) {
            Attributes scrubbed = attributes(scrubber, exception);
            delegate.recordException(
                    exception,
                    additionalAttributes.isEmpty()
                            ? scrubbed
                            : scrubbed.toBuilder().putAll(additionalAttributes).build());
            return this;
        }

        @Override
        public <T> Span setAttribute(AttributeKey<T> key, T value) {
            delegate.setAttribute(key, value);
            return this;
        }

        @Override
        public Span setAttribute(String key, String value) {
            delegate.setAttribute(key, value);
            return this;
        }

        @Override
        public Span setAttribute(String key, long value) {
            delegate.setAttribute(key, value);
            return this;
        }

        @Override
        public Span setAttribute(String key, double value) {
            delegate.setAttribute(key, value);
            return this;
        }

        @Override
        public Span setAttribute(String key, boolean value) {
            delegate.setAttribute(key, value);
            return this;
        }

        @Override
        public Span setAllAttributes(Attributes attributes) {
            delegate.setAllAttributes(attributes);
            return this;
        }

        @Override
        public Span addEvent(String name, Attributes attributes) {
            delegate.addEvent(name, attributes);
            return this;
        }

        @Override
        public Span addEvent(String name, Attributes attributes, long timestamp, TimeUnit unit) {
            delegate.addEvent(name, attributes, timestamp, unit);
            return this;
        }

        @Override
        public Span addLink(SpanContext spanContext, Attributes attributes) {
            delegate.addLink(spanContext, attributes);
            return this;
        }

        @Override
        public Span setStatus(StatusCode statusCode, String description) {
            delegate.setStatus(statusCode, description);
            return this;
        }

        @Override
        public Span updateName(String name) {
            delegate.updateName(name);
            return this;
        }

        @Override
        public void end() {
            delegate.end();
        }

        @Override
        public void end(long timestamp, TimeUnit unit) {
            delegate.end(timestamp, unit);
        }

        @Override
        public SpanContext getSpanContext() {
            return delegate.getSpanContext();
        }

        @Override
        public boolean isRecording() {
            return delegate.isRecording();
        }
    }
}
