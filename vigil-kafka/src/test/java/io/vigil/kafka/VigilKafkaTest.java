package io.vigil.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.kafka.embedded.KRaftBroker;
import io.vigil.test.LogEvent;
import io.vigil.test.VigilExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * vigil-kafka against a real single-node KRaft broker in this JVM (one for the class): a producing
 * runtime and a consuming runtime stand for two services.
 */
class VigilKafkaTest {
    private static final Logger HANDLER_LOG = LoggerFactory.getLogger("test.handler");
    private static KRaftBroker broker;

    /** The producing service's runtime. */
    @RegisterExtension
    final VigilExtension producerSide = VigilExtension.create(b -> b.serviceName("ingest-api"));

    /** The consuming service's runtime; it also captures the handler's own log lines. */
    @RegisterExtension
    final VigilExtension consumerSide =
            VigilExtension.create(b -> b.serviceName("consumer")).capturingApplicationLogs();

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeAll
    static void startBroker() {
        broker = KRaftBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
        MDC.clear();
    }

    @Test
    void theConsumerSpanInAnotherRuntimeContinuesTheProducersTrace() throws Exception {
        String topic = "orders-trace";
        broker.createTopics(topic);
        Producer<String, String> producer =
                VigilKafka.create(producerSide.runtime()).producer(stringProducer());

        Span ingest = producerSide
                .runtime()
                .openTelemetry()
                .getTracer("test")
                .spanBuilder("ingest_event")
                .startSpan();
        try (Scope ignored = ingest.makeCurrent()) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get(10, TimeUnit.SECONDS);
        } finally {
            ingest.end();
        }

        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(stringConsumer("g-trace", topic))
                .build();
        List<String> handledIn = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(
                    Duration.ofMillis(100),
                    r -> handledIn.add(Span.current().getSpanContext().getSpanId()));
            assertThat(handledIn).hasSize(1);
        });

        SpanData send = single(producerSide.spans(), SpanKind.PRODUCER);
        SpanData process = single(consumerSide.spans(), SpanKind.CONSUMER);
        assertThat(send.getParentSpanId()).isEqualTo(ingest.getSpanContext().getSpanId());
        assertThat(process.getTraceId()).isEqualTo(ingest.getSpanContext().getTraceId());
        assertThat(process.getParentSpanId()).isEqualTo(send.getSpanId());
        assertThat(handledIn).containsExactly(process.getSpanId());
        assertThat(process.getName()).isEqualTo(topic + " process");
        Map<String, Object> attributes = new java.util.HashMap<>();
        process.getAttributes().forEach((k, v) -> attributes.put(k.getKey(), v));
        assertThat(attributes)
                .containsEntry("messaging.system", "kafka")
                .containsEntry("messaging.destination.name", topic)
                .containsEntry("messaging.operation", "process")
                .containsEntry("messaging.destination.partition.id", "0")
                .containsKey("messaging.message.id");
        // The library's old or stable messaging conventions, whichever it is set to emit.
        assertThat(attributes.getOrDefault("messaging.kafka.message.offset", attributes.get("messaging.kafka.offset")))
                .isEqualTo(0L);
        assertThat(attributes.getOrDefault(
                        "messaging.kafka.consumer.group", attributes.get("messaging.consumer.group.name")))
                .isEqualTo("g-trace");

        Map<String, String> labels = Map.of("topic", topic, "group", "g-trace");
        assertThat(consumerSide.metrics().value("consumer_messages_consumed_total", labels))
                .isEqualTo(1);
        assertThat(consumerSide.metrics().value("consumer_messages_processed_total", with(labels, "status", "success")))
                .isEqualTo(1);
        assertThat(consumerSide.metrics().value("consumer_processing_duration_seconds_count", labels))
                .isEqualTo(1);
        assertThat(producerSide
                        .metrics()
                        .value("producer_messages_sent_total", Map.of("topic", topic, "status", "success")))
                .isEqualTo(1);
        assertThat(producerSide.metrics().value("producer_send_duration_seconds_count", Map.of("topic", topic)))
                .isEqualTo(1);
    }

    @Test
    void aRecordKeyHoldingAnEmailIsMaskedInTheProducerAndConsumerSpans() throws Exception {
        String topic = "orders-by-user";
        broker.createTopics(topic);
        Producer<String, String> producer =
                VigilKafka.create(producerSide.runtime()).producer(stringProducer());
        producer.send(new ProducerRecord<>(topic, "user:jane.doe@example.com", "v"))
                .get(10, TimeUnit.SECONDS);
        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(stringConsumer("g-key", topic))
                .build();
        List<String> keys = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(100), r -> keys.add(r.key()));
            assertThat(keys).hasSize(1);
        });

        // The application still gets its key; the spans keep it masked, as every other signal would.
        assertThat(keys).containsExactly("user:jane.doe@example.com");
        io.opentelemetry.api.common.AttributeKey<String> key =
                io.opentelemetry.api.common.AttributeKey.stringKey("messaging.kafka.message.key");
        assertThat(single(producerSide.spans(), SpanKind.PRODUCER)
                        .getAttributes()
                        .get(key))
                .isEqualTo("user:j***@example.com");
        assertThat(single(consumerSide.spans(), SpanKind.CONSUMER)
                        .getAttributes()
                        .get(key))
                .isEqualTo("user:j***@example.com");
        assertThat(producerSide.everything()).doesNotContain("jane.doe");
        assertThat(consumerSide.everything()).doesNotContain("jane.doe");
    }

    @Test
    void aHandlersExceptionQuotingTheRecordIsScrubbedInTheConsumerSpan() throws Exception {
        String topic = "orders-refused";
        broker.createTopics(topic);
        Producer<String, String> producer =
                VigilKafka.create(producerSide.runtime()).producer(stringProducer());
        producer.send(new ProducerRecord<>(topic, "k", "jane.doe@example.com")).get(10, TimeUnit.SECONDS);
        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(stringConsumer("g-refused", topic))
                .build();
        List<String> calls = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(100), r -> {
                calls.add(r.value());
                throw new IllegalArgumentException("no account for " + r.value());
            });
            assertThat(calls).hasSize(1);
        });

        SpanData process = single(consumerSide.spans(), SpanKind.CONSUMER);
        assertThat(process.getStatus().getStatusCode()).isEqualTo(io.opentelemetry.api.trace.StatusCode.ERROR);
        assertThat(process.getEvents()).singleElement().satisfies(e -> {
            assertThat(e.getName()).isEqualTo("exception");
            assertThat(e.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("exception.type")))
                    .isEqualTo(IllegalArgumentException.class.getName());
            assertThat(e.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("exception.message")))
                    .isEqualTo("no account for j***@example.com");
        });
        assertThat(consumerSide.everything()).doesNotContain("jane.doe");
    }

    @Test
    void aBatchSpanLinksEveryProducerSpan() throws Exception {
        String topic = "orders-batch";
        broker.createTopics(topic);
        Producer<String, String> producer =
                VigilKafka.create(producerSide.runtime()).producer(stringProducer());
        for (int i = 0; i < 3; i++) {
            producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get(10, TimeUnit.SECONDS);
        }
        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(stringConsumer("g-batch", topic))
                .build();
        AtomicInteger handled = new AtomicInteger();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcessBatch(Duration.ofMillis(100), batch -> handled.addAndGet(batch.size()));
            assertThat(handled).hasValue(3);
        });

        List<String> sendSpanIds = producerSide.spans().stream()
                .filter(s -> s.getKind() == SpanKind.PRODUCER)
                .map(SpanData::getSpanId)
                .toList();
        List<SpanData> batches = consumerSide.spans().stream()
                .filter(s -> s.getKind() == SpanKind.CONSUMER)
                .toList();
        assertThat(batches).isNotEmpty();
        assertThat(batches.stream()
                        .flatMap(b -> b.getLinks().stream())
                        .map(LinkData::getSpanContext)
                        .map(c -> c.getSpanId())
                        .toList())
                .containsExactlyInAnyOrderElementsOf(sendSpanIds);
        assertThat(consumerSide
                        .metrics()
                        .value(
                                "consumer_messages_processed_total",
                                Map.of("topic", topic, "group", "g-batch", "status", "success")))
                .isEqualTo(3);
    }

    @Test
    void eachRecordsMdcFieldsAreOnItsHandlersLinesAndNotOnTheNextRecords() throws Exception {
        String topic = "orders-mdc";
        broker.createTopics(topic);
        Producer<String, String> producer =
                VigilKafka.create(producerSide.runtime()).producer(stringProducer());
        MDC.put("request_id", "req-42"); // as the HTTP adapters bind it while serving a request
        producer.send(new ProducerRecord<>(topic, "a", "first")).get(10, TimeUnit.SECONDS);
        MDC.remove("request_id");
        producer.send(new ProducerRecord<>(topic, "b", "second")).get(10, TimeUnit.SECONDS);

        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(stringConsumer("g-mdc", topic))
                .build();
        AtomicInteger handled = new AtomicInteger();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(100), r -> {
                HANDLER_LOG.info("handling {}", r.value());
                handled.incrementAndGet();
            });
            assertThat(handled).hasValue(2);
        });

        List<LogEvent> lines = consumerSide.logs().stream()
                .filter(e -> e.logger().equals("test.handler"))
                .toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).mdc())
                .containsEntry("topic", topic)
                .containsEntry("partition", "0")
                .containsEntry("offset", "0")
                .containsEntry("request_id", "req-42")
                .containsKey("message_id");
        assertThat(lines.get(1).mdc())
                .containsEntry("offset", "1")
                .doesNotContainKey("request_id")
                .containsKey("message_id");
        assertThat(lines.get(1).mdc().get("message_id"))
                .isNotEqualTo(lines.get(0).mdc().get("message_id"));
        // The handler's trace ids are the record's span's.
        assertThat(lines.get(0).traceId())
                .isEqualTo(single(producerSide.spans().subList(0, 1), SpanKind.PRODUCER)
                        .getTraceId());
        assertThat(MDC.get("topic")).isNull();
        assertThat(MDC.get("message_id")).isNull();
    }

    /**
     * Whoever writes to a topic chooses its headers: a {@code request_id} or {@code message_id} that is not an id as
     * the contract takes one (1–64 of {@code [A-Za-z0-9._-]}) is not bound to the handler's lines nor set on its span;
     * 100 KB of each, with a line break and an escape sequence, were.
     */
    @Test
    void headerIdsThatAreNoIdsAreNotBoundToTheRecordsLinesOrSpan() throws Exception {
        String topic = "orders-forged-ids";
        broker.createTopics(topic);
        ProducerRecord<String, String> forged = new ProducerRecord<>(topic, "a", "forged");
        String filler = "R".repeat(100_000);
        forged.headers().add("request_id", ("evil\n\u001b[31m" + filler).getBytes(StandardCharsets.UTF_8));
        forged.headers().add("message_id", ("m-" + filler).getBytes(StandardCharsets.UTF_8));
        try (Producer<String, String> plain = stringProducer()) {
            plain.send(forged).get(10, TimeUnit.SECONDS);
        }

        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(stringConsumer("g-forged", topic))
                .build();
        AtomicInteger handled = new AtomicInteger();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(100), r -> {
                HANDLER_LOG.info("handling {}", r.value());
                handled.incrementAndGet();
            });
            assertThat(handled).hasValue(1);
        });

        LogEvent line = consumerSide.logs().stream()
                .filter(e -> e.logger().equals("test.handler"))
                .findFirst()
                .orElseThrow();
        assertThat(line.mdc()).doesNotContainKey("request_id").containsEntry("message_id", topic + "-0@0");
        assertThat(single(consumerSide.spans(), SpanKind.CONSUMER)
                        .getAttributes()
                        .asMap()
                        .keySet())
                .extracting(k -> k.getKey())
                .doesNotContain("messaging.message.id");
    }

    @Test
    void poisonRecordsAreCountedLoggedOnceAndDeadLetteredWithoutRetry() throws Exception {
        String topic = "orders-poison";
        String dlt = "orders-poison.dlt";
        broker.createTopics(topic, dlt);
        Producer<String, String> producer =
                VigilKafka.create(producerSide.runtime()).producer(stringProducer());
        for (String v : List.of("ok-1", "poison", "ok-2", "poison")) {
            producer.send(new ProducerRecord<>(topic, "k", v)).get(10, TimeUnit.SECONDS);
        }
        KafkaProducer<byte[], byte[]> dltProducer = closing(
                new KafkaProducer<>(broker.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer()));
        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(stringConsumer("g-poison", topic))
                .deadLetterTopic(dlt, dltProducer, new StringSerializer(), new StringSerializer())
                .poisonLogInterval(Duration.ofMinutes(1))
                .build();
        List<String> calls = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(100), r -> {
                calls.add(r.value());
                if (r.value().equals("poison")) {
                    throw new IllegalArgumentException("cannot parse " + r.value());
                }
            });
            assertThat(calls).hasSize(4);
        });
        // Polling on finds nothing: the poison records are not retried.
        processor.pollAndProcess(Duration.ofMillis(200), r -> calls.add(r.value()));
        assertThat(calls).containsExactly("ok-1", "poison", "ok-2", "poison");

        List<ConsumerRecord<byte[], byte[]>> dead = readAll(dlt, 2);
        assertThat(dead)
                .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .containsExactly("poison", "poison");
        assertThat(header(dead.get(0), KafkaHeaders.DLT_ORIGINAL_OFFSET)).isEqualTo("1");
        assertThat(header(dead.get(1), KafkaHeaders.DLT_ORIGINAL_OFFSET)).isEqualTo("3");
        assertThat(header(dead.get(0), KafkaHeaders.DLT_ERROR_TYPE)).isEqualTo("IllegalArgumentException");
        assertThat(header(dead.get(0), KafkaHeaders.DLT_ORIGINAL_TOPIC)).isEqualTo(topic);
        assertThat(header(dead.get(0), "traceparent")).isNotNull(); // the original headers travel along

        Map<String, String> labels = Map.of("topic", topic, "group", "g-poison");
        assertThat(consumerSide
                        .metrics()
                        .value("consumer_errors_total", with(labels, "error_type", "IllegalArgumentException")))
                .isEqualTo(2);
        assertThat(consumerSide.metrics().value("consumer_messages_processed_total", with(labels, "status", "error")))
                .isEqualTo(2);
        assertThat(consumerSide.metrics().value("consumer_messages_processed_total", with(labels, "status", "success")))
                .isEqualTo(2);
        assertThat(consumerSide.metrics().value("consumer_dead_lettered_total", with(labels, "status", "success")))
                .isEqualTo(2);
        // Logged once within the interval; the span of each poison record says ERROR.
        assertThat(consumerSide.logs().stream().filter(e -> e.logger().equals("vigil.kafka")))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.level()).isEqualTo("WARN");
                    assertThat(e.field("error_type")).isEqualTo("IllegalArgumentException");
                    assertThat(e.mdc()).containsEntry("offset", "1");
                });
        assertThat(consumerSide.spans().stream()
                        .filter(s -> s.getKind() == SpanKind.CONSUMER
                                && s.getStatus().getStatusCode() == io.opentelemetry.api.trace.StatusCode.ERROR))
                .hasSize(2);
    }

    @Test
    void anUndeserializableRecordIsSkippedCountedAndDeadLetteredAsDelivered() throws Exception {
        String topic = "orders-garbage";
        String dlt = "orders-garbage.dlt";
        broker.createTopics(topic, dlt);
        Producer<String, String> producer =
                VigilKafka.create(producerSide.runtime()).producer(stringProducer());
        for (String v : List.of("ok-1", "garbage", "ok-2")) {
            producer.send(new ProducerRecord<>(topic, "k", v)).get(10, TimeUnit.SECONDS);
        }
        Deserializer<String> strict = (t, data) -> {
            String s = new String(data, StandardCharsets.UTF_8);
            if (s.equals("garbage")) {
                throw new IllegalStateException("not an order");
            }
            return s;
        };
        KafkaConsumer<String, String> consumer =
                closing(new KafkaConsumer<>(broker.consumerConfig("g-garbage"), new StringDeserializer(), strict));
        consumer.subscribe(List.of(topic));
        KafkaProducer<byte[], byte[]> dltProducer = closing(
                new KafkaProducer<>(broker.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer()));
        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(consumer)
                .deadLetterTopic(dlt, dltProducer, new StringSerializer(), new StringSerializer())
                .build();
        List<String> handled = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(100), r -> handled.add(r.value()));
            assertThat(handled).containsExactly("ok-1", "ok-2");
        });

        ConsumerRecord<byte[], byte[]> dead = readAll(dlt, 1).getFirst();
        assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("garbage");
        assertThat(header(dead, KafkaHeaders.DLT_ERROR_TYPE)).isEqualTo("deserialization");
        assertThat(header(dead, KafkaHeaders.DLT_ORIGINAL_OFFSET)).isEqualTo("1");
        assertThat(consumerSide
                        .metrics()
                        .value(
                                "consumer_errors_total",
                                Map.of("topic", topic, "group", "g-garbage", "error_type", "deserialization")))
                .isEqualTo(1);
    }

    @Test
    void lagRisesWhileTheConsumerIsPausedAndFallsWhenItResumes() throws Exception {
        String topic = "orders-lag";
        String group = "g-lag";
        broker.createTopics(topic);
        VigilKafka kafka = VigilKafka.create(consumerSide.runtime());
        Producer<String, String> producer =
                VigilKafka.create(producerSide.runtime()).producer(stringProducer());
        KafkaConsumer<String, String> consumer = stringConsumer(group, topic);
        RecordProcessor<String, String> processor = kafka.processor(consumer).build();
        ConsumerLagMonitor lag = closing(kafka.lagMonitor(broker.consumerConfig(group), group, Duration.ofMillis(100)));
        Map<String, String> labels = Map.of("topic", topic, "partition", "0", "group", group);
        AtomicInteger handled = new AtomicInteger();

        producer.send(new ProducerRecord<>(topic, "k", "v0")).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(100), r -> handled.incrementAndGet());
            assertThat(handled).hasValue(1);
            assertThat(lag.lags()).containsEntry(new TopicPartition(topic, 0), 0L);
        });
        assertThat(consumerSide.metrics().find("consumer_lag", labels))
                .hasValueSatisfying(s -> assertThat(s.value()).isZero());

        consumer.pause(consumer.assignment());
        for (int i = 1; i <= 5; i++) {
            producer.send(new ProducerRecord<>(topic, "k", "v" + i)).get(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(50), r -> handled.incrementAndGet()); // stays in the group
            assertThat(consumerSide.metrics().value("consumer_lag", labels)).isEqualTo(5);
        });
        assertThat(handled).hasValue(1);

        consumer.resume(consumer.assignment());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(50), r -> handled.incrementAndGet());
            assertThat(handled).hasValue(6);
            assertThat(consumerSide.metrics().value("consumer_lag", labels)).isZero();
            assertThat(consumerSide.metrics().find("consumer_lag", labels)).isPresent();
        });
    }

    @Test
    void failingTelemetryNeverBreaksProducingOrConsuming() throws Exception {
        String topic = "orders-broken-telemetry";
        broker.createTopics(topic);
        // Trace propagation that throws on every inject and extract, on the runtimes' real SDKs.
        VigilKafka producing = VigilKafka.builder(
                        withThrowingPropagator(producerSide.runtime().openTelemetry()))
                .loggerFactory(producerSide.runtime().loggerFactory())
                .build();
        VigilKafka consuming = VigilKafka.builder(
                        withThrowingPropagator(consumerSide.runtime().openTelemetry()))
                .loggerFactory(consumerSide.runtime().loggerFactory())
                .build();
        Producer<String, String> producer = producing.producer(stringProducer());
        for (int i = 0; i < 3; i++) {
            producer.send(new ProducerRecord<>(topic, "k", "v" + i)).get(10, TimeUnit.SECONDS);
        }
        // Lag of a broker that is not there: read in the background, never in the poll loop's way.
        closing(consuming.lagMonitor(Map.of("bootstrap.servers", "127.0.0.1:1"), "g-broken", Duration.ofMillis(100)));

        RecordProcessor<String, String> processor =
                consuming.processor(stringConsumer("g-broken", topic)).build();
        AtomicInteger handled = new AtomicInteger();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            processor.pollAndProcess(Duration.ofMillis(100), r -> handled.incrementAndGet());
            assertThat(handled).hasValue(3);
        });

        assertThat(producerSide
                        .metrics()
                        .value("producer_messages_sent_total", Map.of("topic", topic, "status", "success")))
                .isEqualTo(3);
        assertThat(consumerSide
                        .metrics()
                        .value(
                                "consumer_messages_processed_total",
                                Map.of("topic", topic, "group", "g-broken", "status", "success")))
                .isEqualTo(3);
        // The unreadable lag is counted and said once, in the background.
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(consumerSide
                                .metrics()
                                .value("consumer_lag_refresh_errors_total", Map.of("group", "g-broken")))
                        .isGreaterThanOrEqualTo(2));
        assertThat(consumerSide.logs().stream().filter(e -> e.message().startsWith("consumer_lag cannot be read")))
                .hasSize(1);
        // Said once per VigilKafka, however many records met the broken part.
        assertThat(producerSide.logs().stream().filter(e -> e.message().startsWith("Kafka telemetry failed")))
                .hasSize(1);
        assertThat(consumerSide.logs().stream().filter(e -> e.message().startsWith("Kafka telemetry failed")))
                .hasSize(1);
    }

    @Test
    void aFailedSendIsCountedAndItsSpanSaysError() {
        String topic = "orders-too-large";
        Map<String, Object> config = broker.producerConfig();
        config.put(org.apache.kafka.clients.producer.ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1024);
        Producer<String, String> producer = VigilKafka.create(producerSide.runtime())
                .producer(closing(new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())));
        List<Exception> callbacks = new CopyOnWriteArrayList<>();

        var sent = producer.send(new ProducerRecord<>(topic, "k", "x".repeat(4096)), (m, e) -> callbacks.add(e));

        assertThat(sent).failsWithin(Duration.ofSeconds(10));
        assertThat(callbacks)
                .singleElement()
                .isInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
        assertThat(producerSide
                        .metrics()
                        .value(
                                "producer_errors_total",
                                Map.of("topic", topic, "error_type", "RecordTooLargeException")))
                .isEqualTo(1);
        assertThat(producerSide
                        .metrics()
                        .value("producer_messages_sent_total", Map.of("topic", topic, "status", "error")))
                .isEqualTo(1);
        assertThat(single(producerSide.spans(), SpanKind.PRODUCER).getStatus().getStatusCode())
                .isEqualTo(io.opentelemetry.api.trace.StatusCode.ERROR);
    }

    @Test
    void itsConsumerMetricsShareTheExpositionWithTheMessageConsumptionKind() {
        // A service may observe some consumption through the operation API and some through here.
        consumerSide.operations().run(io.vigil.core.MessageConsumption.of("legacy_queue"), op -> {});
        RecordProcessor<String, String> processor = VigilKafka.create(consumerSide.runtime())
                .processor(stringConsumer("g-both", "unused"))
                .build();
        processor.process(new ConsumerRecord<>("orders-both", 0, 7L, "k", "v"), r -> {});

        var metrics = consumerSide.metrics();
        assertThat(metrics.value(
                        "consumer_messages_processed_total",
                        Map.of("topic", "orders-both", "group", "g-both", "status", "success")))
                .isEqualTo(1);
        assertThat(metrics.named("consumer_messages_processed_total")).hasSize(2);
        assertThat(metrics.named("consumer_processing_duration_seconds_count")).hasSize(2);
    }

    @Test
    void sinkInsertsAreTimedWhetherTheyWorkOrThrow() {
        VigilKafka kafka = VigilKafka.create(consumerSide.runtime());
        assertThat(kafka.sinkInsert("postgres", () -> 42)).isEqualTo(42);
        try {
            kafka.sinkInsert("postgres", () -> {
                throw new java.io.IOException("down");
            });
        } catch (java.io.IOException expected) {
            // the caller sees its own exception
        }
        assertThat(consumerSide
                        .metrics()
                        .value("consumer_sink_insert_duration_seconds_count", Map.of("sink", "postgres")))
                .isEqualTo(2);
    }

    @Test
    void theCatalogueNamesEveryInstrumentOnce() {
        List<String> names = KafkaCatalogue.instruments().stream()
                .map(KafkaCatalogue.Instrument::name)
                .toList();
        assertThat(names).doesNotHaveDuplicates().allSatisfy(n -> assertThat(n).doesNotStartWith("vigil_"));
        assertThat(names)
                .contains(
                        "consumer_messages_consumed_total",
                        "consumer_messages_processed_total",
                        "consumer_processing_duration_seconds",
                        "consumer_errors_total",
                        "consumer_sink_insert_duration_seconds",
                        "consumer_lag");
        assertThat(KafkaCatalogue.LAG.labels()).containsExactly("topic", "partition", "group");
    }

    // --- helpers

    private Producer<String, String> stringProducer() {
        return closing(new KafkaProducer<>(broker.producerConfig(), new StringSerializer(), new StringSerializer()));
    }

    private KafkaConsumer<String, String> stringConsumer(String group, String topic) {
        KafkaConsumer<String, String> c = closing(
                new KafkaConsumer<>(broker.consumerConfig(group), new StringDeserializer(), new StringDeserializer()));
        c.subscribe(List.of(topic));
        return c;
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> out = new CopyOnWriteArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                broker.consumerConfig("reader-" + topic), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
                assertThat(out).hasSize(expected);
            });
        }
        return out;
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        closeAfter.add(closeable);
        return closeable;
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        var h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static SpanData single(List<SpanData> spans, SpanKind kind) {
        List<SpanData> of = spans.stream().filter(s -> s.getKind() == kind).toList();
        assertThat(of).as("%s spans in %s", kind, spans).hasSize(1);
        return of.getFirst();
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        Map<String, String> m = new java.util.HashMap<>(labels);
        m.put(key, value);
        return m;
    }

    private static OpenTelemetry withThrowingPropagator(OpenTelemetry real) {
        TextMapPropagator throwing = new TextMapPropagator() {
            @Override
            public Collection<String> fields() {
                return List.of("traceparent");
            }

            @Override
            public <C> void inject(Context context, C carrier, TextMapSetter<C> setter) {
                throw new IllegalStateException("broken propagator");
            }

            @Override
            public <C> Context extract(Context context, C carrier, TextMapGetter<C> getter) {
                throw new IllegalStateException("broken propagator");
            }
        };
        return new OpenTelemetry() {
            @Override
            public TracerProvider getTracerProvider() {
                return real.getTracerProvider();
            }

            @Override
            public MeterProvider getMeterProvider() {
                return real.getMeterProvider();
            }

            @Override
            public ContextPropagators getPropagators() {
                return ContextPropagators.create(throwing);
            }
        };
    }
}
