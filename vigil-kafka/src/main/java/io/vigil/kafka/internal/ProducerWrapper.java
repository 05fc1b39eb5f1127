package io.vigil.kafka.internal;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaProducerRequest;
import io.vigil.core.Scrubber;
import io.vigil.core.internal.ScrubbedExceptions;
import io.vigil.kafka.KafkaHeaders;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.MDC;

/**
 * A {@link Producer} proxy: every {@code send} gets a {@code PRODUCER} span from OpenTelemetry's
 * kafka-clients instrumenter (messaging semantic conventions), whose context is injected into the
 * record's headers, plus the {@code message_id} and {@code request_id} headers and the producer
 * metrics. Every telemetry step is guarded: a failing one is logged once and skipped, the record is
 * sent all the same. Other methods go straight to the delegate.
 *
 * <p>This class is internal and may change without notice.
 */
public final class ProducerWrapper implements InvocationHandler {
    private final Producer<?, ?> delegate;
    private final Instrumenter<KafkaProducerRequest, RecordMetadata> instrumenter;
    private final OpenTelemetry openTelemetry;
    private final KafkaInstruments instruments;
    private final TelemetryFailures failures;
    private final Scrubber scrubber;
    private final String clientId;

    private ProducerWrapper(
            Producer<?, ?> delegate,
            Instrumenter<KafkaProducerRequest, RecordMetadata> instrumenter,
            OpenTelemetry openTelemetry,
            KafkaInstruments instruments,
            TelemetryFailures failures,
            Scrubber scrubber) {
        this.delegate = delegate;
        this.instrumenter = instrumenter;
        this.openTelemetry = openTelemetry;
        this.instruments = instruments;
        this.failures = failures;
        this.scrubber = scrubber;
        this.clientId = clientId(delegate, failures);
    }

    /** The producer's {@code client.id}, read once from its metric tags (the library reads it per send). */
    private static String clientId(Producer<?, ?> producer, TelemetryFailures failures) {
        try {
            for (var name : producer.metrics().keySet()) {
                String id = name.tags().get("client-id");
                if (id != null) {
                    return id;
                }
            }
        } catch (RuntimeException e) {
            failures.failed("producer client id", e);
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    public static <K, V> Producer<K, V> wrap(
            Producer<K, V> delegate,
            Instrumenter<KafkaProducerRequest, RecordMetadata> instrumenter,
            OpenTelemetry openTelemetry,
            KafkaInstruments instruments,
            TelemetryFailures failures,
            Scrubber scrubber) {
        return (Producer<K, V>) Proxy.newProxyInstance(
                ProducerWrapper.class.getClassLoader(),
                new Class<?>[] {Producer.class},
                new ProducerWrapper(delegate, instrumenter, openTelemetry, instruments, failures, scrubber));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getName().equals("send")
                && args != null
                && args.length >= 1
                && args[0] instanceof ProducerRecord<?, ?> r) {
            return send(r, args.length > 1 ? (Callback) args[1] : null);
        }
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "Vigil(" + delegate + ")";
            };
        }
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Future<RecordMetadata> send(ProducerRecord<?, ?> record, Callback callback) {
        long start = System.nanoTime();
        String topic = record.topic();
        KafkaProducerRequest request = null;
        Context context = null;
        try {
            addCorrelationHeaders(record);
            Context parent = Context.current();
            request = KafkaProducerRequest.create(record, clientId, null);
            if (instrumenter.shouldStart(parent, request)) {
                context = instrumenter.start(parent, request);
                openTelemetry.getPropagators().getTextMapPropagator().inject(context, record.headers(), Headers.SETTER);
            }
        } catch (RuntimeException e) {
            failures.failed("producer span", e);
        }
        KafkaProducerRequest req = request;
        Context ctx = context;
        Callback telemetryCallback = (metadata, exception) -> {
            try {
                recordSent(topic, start, exception);
                if (ctx != null) {
                    // A failed send's exception is recorded scrubbed (its message may quote the record).
                    instrumenter.end(
                            ScrubbedExceptions.recordingScrubbed(ctx, exception, scrubber), req, metadata, exception);
                }
            } catch (RuntimeException e) {
                failures.failed("producer span", e);
            }
            if (callback != null) {
                callback.onCompletion(metadata, exception);
            }
        };
        try {
            if (ctx != null) {
                // Callbacks of the send run with the producer span current, as the library's own wrapper.
                try (var ignored = ctx.makeCurrent()) {
                    return ((Producer) delegate).send(record, telemetryCallback);
                }
            }
            return ((Producer) delegate).send(record, telemetryCallback);
        } catch (RuntimeException e) {
            // send threw before accepting the record (serialization, closed producer, full buffer):
            // the callback will not run.
            try {
                recordSent(topic, start, e);
                if (ctx != null) {
                    instrumenter.end(ScrubbedExceptions.recordingScrubbed(ctx, e, scrubber), req, null, e);
                }
            } catch (RuntimeException t) {
                failures.failed("producer span", t);
            }
            throw e;
        }
    }

    private static void addCorrelationHeaders(ProducerRecord<?, ?> record) {
        var headers = record.headers();
        if (headers.lastHeader(KafkaHeaders.MESSAGE_ID) == null) {
            headers.add(KafkaHeaders.MESSAGE_ID, UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
        }
        String requestId = MDC.get(KafkaHeaders.REQUEST_ID);
        if (requestId != null && headers.lastHeader(KafkaHeaders.REQUEST_ID) == null) {
            headers.add(KafkaHeaders.REQUEST_ID, requestId.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void recordSent(String recordTopic, long start, Exception exception) {
        String topic = instruments.producerTopic(recordTopic);
        instruments.sendDuration.record(
                KafkaInstruments.secondsSince(start), Attributes.of(KafkaInstruments.TOPIC, topic));
        instruments.sent.add(
                1,
                Attributes.of(
                        KafkaInstruments.TOPIC,
                        topic,
                        KafkaInstruments.STATUS,
                        exception == null ? "success" : "error"));
        if (exception != null) {
            instruments.sendErrors.add(
                    1,
                    Attributes.of(
                            KafkaInstruments.TOPIC,
                            topic,
                            KafkaInstruments.ERROR_TYPE,
                            exception.getClass().getSimpleName()));
        }
    }
}
