package io.vigil.kafka.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaUtil;
import io.vigil.core.Scrubber;
import java.util.function.Function;

/**
 * The record key as the span keeps it ({@code messaging.kafka.message.key}), through the privacy rules: services key
 * records by user, and a key such as {@code user:jane@example.com} must not reach the span raw.
 *
 * <p>Why at the end: OpenTelemetry's Kafka extractors put the raw key when the span starts, and the factory runs extra
 * extractors before its own there. At the end the instrumenter sets every extractor's attributes on the span, over
 * what the start put, so the scrubbed key is what the span is exported with.
 */
public final class ScrubbedMessageKey<REQ, RES> implements AttributesExtractor<REQ, RES> {
    private static final AttributeKey<String> MESSAGE_KEY = AttributeKey.stringKey("messaging.kafka.message.key");

    private final Scrubber scrubber;
    private final Function<REQ, Object> key;

    public ScrubbedMessageKey(Scrubber scrubber, Function<REQ, Object> key) {
        this.scrubber = scrubber;
        this.key = key;
    }

    @Override
    public void onStart(AttributesBuilder attributes, Context parentContext, REQ request) {}

    @Override
    public void onEnd(AttributesBuilder attributes, Context context, REQ request, RES response, Throwable error) {
        // The library's own text of the key (null for byte arrays and buffers, which it does not record).
        String text = KafkaUtil.serializeKey(key.apply(request));
        if (text != null) {
            String scrubbed = scrubber.scrubText(text);
            if (scrubbed != text) {
                attributes.put(MESSAGE_KEY, scrubbed);
            }
        }
    }
}
