package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.kafka.embedded.KRaftBroker;
import io.vigil.test.MetricSamples;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline as it runs: the API on its embedded default (a real KRaft broker started by the
 * application, H2), the analytics consumer in a second Vigil runtime as another process would run
 * it. One broker for the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventPipelineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final String GROUP = "analytics-test";

    @TempDir
    static Path dataDir;

    private final InMemorySpanExporter apiSpans = InMemorySpanExporter.create();
    private final InMemorySpanExporter consumerSpans = InMemorySpanExporter.create();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String h2 = "jdbc:h2:mem:pipeline-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    private Vigil apiVigil;
    private Vigil consumerVigil;
    private EventPipeline pipeline;
    private AutoCloseable consumer;

    @BeforeAll
    void start() throws Exception {
        apiVigil = runtime("event-pipeline", apiSpans);
        consumerVigil = runtime("event-pipeline-consumer", consumerSpans);
        Map<String, String> env = new HashMap<>();
        env.put("DATA_DIR", dataDir.toString());
        env.put("DATABASE_URL", h2);
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.put("CONSUMER_ENABLED", "false"); // the consumer runs in its own runtime below
        env.put("MAX_EVENT_BYTES", "2048");
        // No KAFKA_BOOTSTRAP_SERVERS: the application starts its embedded broker.
        pipeline = EventPipeline.start(apiVigil, env);
        consumer = startConsumer(Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (consumer != null) {
            consumer.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        consumerVigil.close();
        apiVigil.close();
    }

    /** A runtime named {@code service} whose spans also go, one by one, to {@code spans}. */
    static Vigil runtime(String service, InMemorySpanExporter spans) {
        return Vigil.builder()
                .config(VigilConfig.builder().serviceName(service).build())
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                .build();
    }

    private AutoCloseable startConsumer(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.put("DATA_DIR", dataDir.toString());
        env.put("DATABASE_URL", h2);
        env.put("KAFKA_BOOTSTRAP_SERVERS", pipeline.kafkaBootstrapServers());
        env.put("CONSUMER_GROUP", GROUP);
        return EventPipeline.startConsumer(consumerVigil, env);
    }

    @Test
    void aPostMakesOneTraceFromTheApiThroughTheBrokerToTheConsumer() throws Exception {
        HttpResponse<String> accepted = post(event("page_view"), Map.of());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String eventId = JSON.readTree(accepted.body()).path("event_id").asText();

        SpanData ingest = await().until(
                        () -> apiSpans.getFinishedSpanItems().stream()
                                .filter(s -> s.getName().equals("ingest_event")
                                        && eventId.equals(
                                                s.getAttributes().get(AttributeKey.stringKey("pipeline.event_id"))))
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
        String traceId = ingest.getTraceId();
        List<SpanData> trace = await().until(
                        () -> inTrace(apiSpans, traceId),
                        t -> t.stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));
        SpanData server = only(trace, s -> s.getKind() == SpanKind.SERVER);
        assertThat(ingest.getParentSpanId()).isEqualTo(server.getSpanId());
        SpanData store = only(trace, s -> s.getName().equals("minio_upload"));
        SpanData publish = only(trace, s -> s.getName().equals("kafka_publish"));
        SpanData insert = only(trace, s -> s.getName().equals("postgres_insert"));
        assertThat(List.of(store, publish, insert))
                .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(ingest.getSpanId()));
        // Stored, recorded (row and outbox entry in one transaction), then published: never published unrecorded.
        assertThat(store.getEndEpochNanos()).isLessThanOrEqualTo(insert.getStartEpochNanos());
        assertThat(insert.getEndEpochNanos()).isLessThanOrEqualTo(publish.getStartEpochNanos());
        SpanData producer = only(trace, s -> s.getKind() == SpanKind.PRODUCER);
        assertThat(producer.getParentSpanId()).isEqualTo(publish.getSpanId());
        assertThat(producer.getName()).isEqualTo("events publish");

        // The consumer, in another runtime, continues the same trace: its span's parent is the producer span.
        List<SpanData> consumed = await().until(
                        () -> inTrace(consumerSpans, traceId),
                        t -> t.stream().anyMatch(s -> s.getKind() == SpanKind.CONSUMER));
        SpanData process = only(consumed, s -> s.getKind() == SpanKind.CONSUMER);
        assertThat(process.getParentSpanId()).isEqualTo(producer.getSpanId());
        assertThat(process.getName()).isEqualTo("events process");
        assertThat(process.getResource().getAttribute(AttributeKey.stringKey("service.name")))
                .isEqualTo("event-pipeline-consumer");

        await().until(() -> count("SELECT count(*) FROM analytics_events WHERE event_id = '" + eventId + "'") == 1);
        await().untilAsserted(() -> assertThat(consumerMetrics()
                        .require("consumer_sink_insert_duration_seconds_count", Map.of("sink", "analytics")))
                .isGreaterThanOrEqualTo(1));
        assertThat(consumerSpans.getFinishedSpanItems())
                .anySatisfy(s -> assertThat(s.getName()).isEqualTo("analytics_insert"));
        assertThat(apiMetrics().require("events_ingested_total", Map.of("status", "success")))
                .isGreaterThanOrEqualTo(1);
        // Every kind the catalogue lists (for dashboards) is one the runtime really emitted.
        assertThat(apiVigil.operations().catalogue()).containsAll(new PipelineCatalogue().get());
        // The raw event is where the storage key says.
        try (var files = Files.walk(dataDir.resolve("raw"))) {
            assertThat(files.map(Path::getFileName).map(Path::toString)).contains(eventId + ".json");
        }
    }

    @Test
    void aRepeatedIdempotencyKeyReturnsTheFirstAnswer() throws Exception {
        String key = "key-" + UUID.randomUUID();
        String body = event("signup");
        HttpResponse<String> first = post(body, Map.of("Idempotency-Key", key));
        HttpResponse<String> again = post(body, Map.of("Idempotency-Key", key));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(count("SELECT count(*) FROM events WHERE idempotency_key = '" + key + "'"))
                .isEqualTo(1);

        HttpResponse<String> other = post(event("other_body"), Map.of("Idempotency-Key", key));
        assertProblem(other, 422, "idempotency-key-reused");
        // The client's misuse is a refusal with its reason, not a fault: no exception on the span (nor an ERROR log).
        SpanData refused = await().until(
                        () -> apiSpans.getFinishedSpanItems().stream()
                                .filter(s -> s.getName().equals("ingest_event")
                                        && "idempotency_key_reused"
                                                .equals(s.getAttributes()
                                                        .get(AttributeKey.stringKey("pipeline.ingest.failure_reason"))))
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
        assertThat(refused.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(refused.getEvents()).noneMatch(e -> e.getName().equals("exception"));
    }

    /**
     * Clients that send an event's headers and hold its body back each keep their request's thread, and there is
     * no bound on them: 300 such connections took every thread of the server's pool (250), so /health and every
     * ingest waited until they gave up.
     */
    @Test
    void clientsStalledInTheirBodyDoNotStopTheApi() throws Exception {
        int stalled = 300;
        List<java.net.Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < stalled; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", pipeline.port());
                sockets.add(socket);
                socket.getOutputStream()
                        .write(("POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            // Until every stalled request is in its handler (the pool would have stopped short of them all).
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (apiMetrics()
                                    .value(
                                            "http_requests_in_progress",
                                            Map.of("method", "POST", "endpoint", "/api/v1/events"))
                            < stalled
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.port() + "/health"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            assertThat(post(event("while_stalled"), Map.of()).statusCode()).isEqualTo(202);
        } finally {
            for (java.net.Socket socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void aPoisonMessageGoesToTheDeadLetterTopic() throws Exception {
        String key = "poison-" + UUID.randomUUID();
        String farKey = "far-" + UUID.randomUUID();
        String farId = UUID.randomUUID().toString();
        String longKey = "long-" + UUID.randomUUID();
        String longId = UUID.randomUUID().toString();
        String okId = UUID.randomUUID().toString();
        try (var producer = new KafkaProducer<>(
                Map.<String, Object>of("bootstrap.servers", pipeline.kafkaBootstrapServers()),
                new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>("events", key, "{not json")).get();
            // Well-formed, but its time is past year 9999: the insert failed, and the batch was read again for ever.
            producer.send(new ProducerRecord<>("events", farKey, message(farId, "+999999999-12-31T23:59:59Z")))
                    .get();
            // An event type longer than its column (64): the same, the insert failed for ever.
            producer.send(new ProducerRecord<>(
                            "events",
                            longKey,
                            message(longId, "2026-11-29T10:00:00Z").replace("\"x\"", "\"" + "t".repeat(65) + "\"")))
                    .get();
            producer.send(new ProducerRecord<>("events", okId, message(okId, "2026-11-29T10:00:00Z")))
                    .get();
        }
        try (var dlt = new KafkaConsumer<>(
                Map.<String, Object>of(
                        "bootstrap.servers",
                        pipeline.kafkaBootstrapServers(),
                        "group.id",
                        "dlt-reader-" + UUID.randomUUID(),
                        "auto.offset.reset",
                        "earliest"),
                new StringDeserializer(),
                new StringDeserializer())) {
            dlt.subscribe(List.of("events.dlt"));
            List<ConsumerRecord<String, String>> seen = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                dlt.poll(Duration.ofMillis(200)).forEach(seen::add);
                return seen.stream().anyMatch(r -> key.equals(r.key()))
                        && seen.stream().anyMatch(r -> farKey.equals(r.key()))
                        && seen.stream().anyMatch(r -> longKey.equals(r.key()));
            });
            assertThat(seen.stream()
                            .filter(r -> key.equals(r.key()))
                            .findFirst()
                            .orElseThrow()
                            .value())
                    .isEqualTo("{not json");
        }
        await().untilAsserted(() -> assertThat(consumerMetrics()
                        .require("consumer_errors_total", Map.of("error_type", "InvalidMessageException")))
                .isGreaterThanOrEqualTo(3));
        // The record behind the poison is written: the consumer is not stuck on it.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> count("SELECT count(*) FROM analytics_events WHERE event_id = '" + okId + "'") == 1);
        assertThat(count("SELECT count(*) FROM analytics_events WHERE event_id = '" + farId + "'"))
                .isZero();
        assertThat(count("SELECT count(*) FROM analytics_events WHERE event_id = '" + longId + "'"))
                .isZero();
    }

    /**
     * A record whose value is not UTF-8 is poison, and its dead-lettered copy holds the bytes written: the consumer
     * read values as Strings (U+FFFD for every byte that was not UTF-8) and wrote them to the dead-letter topic
     * re-encoded, so the copy was not the record; and such bytes inside a JSON string were read as U+FFFD and written.
     */
    @Test
    void aRecordThatIsNotUtf8IsDeadLetteredAsItWasWritten() throws Exception {
        String key = "bytes-" + UUID.randomUUID();
        String insideId = UUID.randomUUID().toString();
        byte[] garbage = {(byte) 0xFF, '{', (byte) 0xC0};
        byte[] inside = message(insideId, "2026-11-29T10:00:00Z")
                .replace("\"web\"", "\"w\u00ffb\"")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1); // a lone 0xFF inside the source's string
        try (var producer = new KafkaProducer<>(
                Map.<String, Object>of("bootstrap.servers", pipeline.kafkaBootstrapServers()),
                new org.apache.kafka.common.serialization.ByteArraySerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(
                            "events", key.getBytes(java.nio.charset.StandardCharsets.UTF_8), garbage))
                    .get();
            producer.send(new ProducerRecord<>(
                            "events", (key + "-inside").getBytes(java.nio.charset.StandardCharsets.UTF_8), inside))
                    .get();
        }
        try (var dlt = new KafkaConsumer<>(
                Map.<String, Object>of(
                        "bootstrap.servers",
                        pipeline.kafkaBootstrapServers(),
                        "group.id",
                        "dlt-bytes-" + UUID.randomUUID(),
                        "auto.offset.reset",
                        "earliest"),
                new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            dlt.subscribe(List.of("events.dlt"));
            Map<String, byte[]> seen = new HashMap<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                dlt.poll(Duration.ofMillis(200)).forEach(r -> seen.put(r.key(), r.value()));
                return seen.containsKey(key) && seen.containsKey(key + "-inside");
            });
            assertThat(seen.get(key)).isEqualTo(garbage);
            assertThat(seen.get(key + "-inside")).isEqualTo(inside);
        }
        assertThat(count("SELECT count(*) FROM analytics_events WHERE event_id = '" + insideId + "'"))
                .isZero();
    }

    /** A pipeline message as the ingest API publishes it. */
    private static String message(String eventId, String occurredAt) {
        return "{\"event_id\":\"" + eventId + "\",\"event_type\":\"x\",\"source\":\"web\",\"occurred_at\":\""
                + occurredAt + "\",\"received_at\":\"2026-11-29T10:00:01Z\",\"payload_bytes\":2,"
                + "\"storage_key\":\"raw/" + eventId + ".json\"}";
    }

    @Test
    void aConsumerStoppedMidwayAndRestartedLosesAndDuplicatesNothing() throws Exception {
        consumer.close();
        consumer = null;
        try {
            for (int i = 0; i < 40; i++) {
                assertThat(post(event("bulk"), Map.of()).statusCode()).isEqualTo(202);
            }
            long before = count("SELECT count(*) FROM analytics_events");
            // Five records a batch, stopped as soon as one batch is in: mid-way through the backlog (or
            // just after it, on a fast machine; the rewind below makes the redelivery certain either way).
            AutoCloseable slow = startConsumer(Map.of("CONSUMER_MAX_POLL_RECORDS", "5"));
            await().until(() -> count("SELECT count(*) FROM analytics_events") > before);
            slow.close();

            // As a crash before the commit would: the group's offsets go back, so written events come again.
            TopicPartition events = new TopicPartition("events", 0);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", pipeline.kafkaBootstrapServers()))) {
                admin.alterConsumerGroupOffsets(GROUP, Map.of(events, new OffsetAndMetadata(0)))
                        .all()
                        .get();
                consumer = startConsumer(Map.of());
                long end = admin.listOffsets(Map.of(events, OffsetSpec.latest()))
                        .all()
                        .get()
                        .get(events)
                        .offset();
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    OffsetAndMetadata committed = admin.listConsumerGroupOffsets(GROUP)
                            .partitionsToOffsetAndMetadata()
                            .get()
                            .get(events);
                    return committed != null && committed.offset() >= end;
                });
            }
            assertThat(count("SELECT count(*) FROM analytics_events")).isEqualTo(count("SELECT count(*) FROM events"));
            assertThat(count("SELECT count(*) FROM events e WHERE NOT EXISTS"
                            + " (SELECT 1 FROM analytics_events a WHERE a.event_id = e.event_id)"))
                    .isZero();
            // Every redelivered record was processed without error: the inserts ignored what was there.
            assertThat(consumerMetrics()
                            .require(
                                    "consumer_messages_processed_total",
                                    Map.of("topic", "events", "status", "success")))
                    .isGreaterThan(count("SELECT count(*) FROM events"));
        } finally {
            if (consumer == null) {
                consumer = startConsumer(Map.of());
            }
        }
    }

    @Test
    void healthProbesEachDependencyAndAnswers503WhenTheDatabaseIsDown() throws Exception {
        HttpResponse<String> healthy = get(pipeline.port(), "/health");
        assertThat(healthy.statusCode()).as(healthy.body()).isEqualTo(200);
        JsonNode checks = JSON.readTree(healthy.body()).path("checks");
        assertThat(checks.path("database").asText()).isEqualTo("up");
        assertThat(checks.path("kafka").asText()).isEqualTo("up");
        assertThat(checks.path("storage").asText()).isEqualTo("up");
        MetricSamples metrics = apiMetrics();
        for (String gauge : EventPipeline.STATUS_GAUGES) {
            assertThat(metrics.require(gauge, Map.of())).as(gauge).isEqualTo(1);
        }
        String traceId = await().until(
                        () -> apiSpans.getFinishedSpanItems().stream()
                                // the request's probes, not the start-up ones (roots of their own)
                                .filter(s -> s.getName().equals("postgres_check")
                                        && s.getParentSpanContext().isValid())
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow()
                .getTraceId();
        assertThat(await().until(() -> inTrace(apiSpans, traceId), t -> t.size() >= 4))
                .extracting(SpanData::getName)
                .contains("postgres_check", "kafka_check", "minio_check");

        // The same service whose database does not answer: it starts, and says so.
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (Vigil vigil = runtime("event-pipeline", spans);
                EventPipeline down = EventPipeline.start(
                        vigil,
                        Map.of(
                                "DATA_DIR", dataDir.resolve("down").toString(),
                                "DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/test",
                                "DATABASE_TIMEOUT_MS", "250",
                                "KAFKA_BOOTSTRAP_SERVERS", pipeline.kafkaBootstrapServers(),
                                "PIPELINE_TOPIC", "events-down",
                                "CONSUMER_ENABLED", "false",
                                "PORT", "0",
                                "METRICS_PORT", "0"))) {
            HttpResponse<String> unhealthy = get(down.port(), "/health");
            JsonNode body = assertProblem(unhealthy, 503, "unhealthy");
            assertThat(body.path("checks").path("database").asText()).isEqualTo("down");
            assertThat(body.path("checks").path("kafka").asText()).isEqualTo("up");
            MetricSamples downMetrics = MetricSamples.parse(
                    vigil.metricsEndpoint().scrape("text/plain").text());
            assertThat(downMetrics.require("postgres_status", Map.of())).isZero();
            assertThat(downMetrics.require("kafka_status", Map.of())).isEqualTo(1);
            // One WARN line per outage, naming the cause, without a stack trace: a line per request (with Hikari's
            // frames) came with each, a client's every retry writing one to stdout.
            ch.qos.logback.classic.Logger apiLog =
                    (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(IngestApi.class.getName());
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                    new ch.qos.logback.core.read.ListAppender<>();
            lines.start();
            apiLog.addAppender(lines);
            try {
                assertProblem(
                        post(down.port(), event("x"), Map.of("Idempotency-Key", "k1")), 503, "database-unavailable");
                // Without an idempotency key too: not recorded, so not published.
                assertProblem(post(down.port(), event("x"), Map.of()), 503, "database-unavailable");
            } finally {
                apiLog.detachAppender(lines);
            }
            assertThat(lines.list)
                    .filteredOn(e -> e.getFormattedMessage().startsWith("database unavailable: "))
                    .hasSize(1)
                    .allSatisfy(e -> {
                        assertThat(e.getFormattedMessage()).contains("SQLTransientConnectionException");
                        assertThat(e.getThrowableProxy()).as("no stack trace").isNull();
                    });
            assertThat(endOffset(pipeline.kafkaBootstrapServers(), "events-down"))
                    .isZero();
            assertThat(spans.getFinishedSpanItems())
                    .noneMatch(s -> s.getName().equals("kafka_publish") || s.getKind() == SpanKind.PRODUCER);
        }
    }

    @Test
    void withKafkaDownAnEventIsAcceptedKeptInTheOutboxAndPublishedWhenKafkaIsBack() throws Exception {
        int port = freePort(); // where the broker will be: nothing listens there yet
        String h2Down = "jdbc:h2:mem:kafka-down-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> relayLines =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> stepLines =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Logger relayLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(OutboxRelay.class.getName());
        ch.qos.logback.classic.Logger stepLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("vigil.operation.pipeline_step");
        relayLines.start();
        stepLines.start();
        relayLog.addAppender(relayLines);
        stepLog.addAppender(stepLines);
        try (Vigil vigil = runtime("event-pipeline", spans);
                EventPipeline down = EventPipeline.start(
                        vigil,
                        Map.of(
                                "DATA_DIR",
                                dataDir.resolve("kafka-down").toString(),
                                "DATABASE_URL",
                                h2Down,
                                "KAFKA_BOOTSTRAP_SERVERS",
                                "127.0.0.1:" + port,
                                "OUTBOX_POLL_MS",
                                "200",
                                "PORT",
                                "0",
                                "METRICS_PORT",
                                "0"))) {
            HttpResponse<String> first = post(down.port(), event("while_down"), Map.of());
            HttpResponse<String> second = post(down.port(), event("while_down"), Map.of("Idempotency-Key", "kd-1"));
            // Recorded, so accepted: the outbox publishes it later (nothing lost, no retry asked of the client).
            assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
            assertThat(second.statusCode()).as(second.body()).isEqualTo(202);
            String firstId = JSON.readTree(first.body()).path("event_id").asText();
            String secondId = JSON.readTree(second.body()).path("event_id").asText();
            MetricSamples waiting = MetricSamples.parse(
                    vigil.metricsEndpoint().scrape("text/plain").text());
            await().untilAsserted(() -> assertThat(MetricSamples.parse(
                                    vigil.metricsEndpoint().scrape("text/plain").text())
                            .require("pipeline_outbox_pending", Map.of()))
                    .isEqualTo(2));
            assertThat(waiting.require("events_ingested_total", Map.of("status", "success")))
                    .isEqualTo(2);
            assertThat(count(h2Down, "SELECT count(*) FROM events")).isEqualTo(2);
            assertThat(count(h2Down, "SELECT count(*) FROM analytics_events")).isZero();
            // The relay tries again (and again) while the broker is away: each attempt an ERROR span and a failed
            // step, but one WARN line for the outage, and no stack trace (5.5 KB per attempt before).
            await().atMost(Duration.ofSeconds(90))
                    .until(
                            () -> spans.getFinishedSpanItems().stream()
                                    .filter(s -> s.getName().equals("kafka_publish")
                                            && s.getStatus().getStatusCode() == StatusCode.ERROR
                                            && s.getAttributes().asMap().keySet().stream()
                                                    .anyMatch(k -> k.getKey().equals("pipeline.outbox.attempt")))
                                    .count(),
                            n -> n >= 2);

            try (KRaftBroker broker = KRaftBroker.builder()
                    .dataDir(dataDir.resolve("late-broker"))
                    .port(port)
                    .start()) {
                // The relay publishes both; the pipeline's own consumer writes them.
                await().atMost(Duration.ofSeconds(90))
                        .until(() -> count(
                                        h2Down,
                                        "SELECT count(*) FROM analytics_events WHERE event_id IN ('" + firstId + "', '"
                                                + secondId + "')")
                                == 2);
                await().untilAsserted(() -> assertThat(MetricSamples.parse(vigil.metricsEndpoint()
                                        .scrape("text/plain")
                                        .text())
                                .require("pipeline_outbox_pending", Map.of()))
                        .isZero());
                assertThat(count(h2Down, "SELECT count(*) FROM event_outbox")).isZero();
                // The late publication continues the request's trace: its parent is the ingest_event span.
                SpanData ingest = only(
                        spans.getFinishedSpanItems(),
                        s -> s.getName().equals("ingest_event")
                                && firstId.equals(s.getAttributes().get(AttributeKey.stringKey("pipeline.event_id"))));
                List<SpanData> trace = await().until(
                                () -> inTrace(spans, ingest.getTraceId()),
                                t -> t.stream().anyMatch(s -> s.getKind() == SpanKind.CONSUMER));
                assertThat(trace).anySatisfy(s -> {
                    assertThat(s.getName()).isEqualTo("kafka_publish");
                    assertThat(s.getParentSpanId()).isEqualTo(ingest.getSpanId());
                    assertThat(s.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
                });
                await().untilAsserted(() -> assertThat(relayLines.list)
                        .extracting(e -> e.getFormattedMessage())
                        .contains("outbox: publishing again"));
                assertThat(MetricSamples.parse(vigil.metricsEndpoint()
                                        .scrape("text/plain")
                                        .text())
                                .require("pipeline_steps_total", Map.of("step", "publish", "status", "failure")))
                        .as("the first request's own attempt (the second went to the relay) and the relay's")
                        .isGreaterThanOrEqualTo(3);
            }
        } finally {
            relayLog.detachAppender(relayLines);
            stepLog.detachAppender(stepLines);
        }
        assertThat(relayLines.list)
                .filteredOn(e -> e.getFormattedMessage().startsWith("outbox: event "))
                .singleElement()
                .satisfies(e -> assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN));
        assertThat(relayLines.list)
                .allSatisfy(e -> assertThat(e.getThrowableProxy())
                        .as(e.getFormattedMessage())
                        .isNull());
        assertThat(stepLines.list)
                .filteredOn(e -> e.getFormattedMessage().startsWith("kafka_publish"))
                .hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(e -> assertThat(e.getThrowableProxy())
                        .as(e.getFormattedMessage())
                        .isNull());
    }

    @Test
    void withS3EndpointRawEventsGoToS3CompatibleStorageAndItsHealthIsProbed() throws Exception {
        String h2S3 = "jdbc:h2:mem:s3-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        S3rver s3 = S3rver.start(dataDir.resolve("s3rver"));
        try (Vigil vigil = runtime("event-pipeline", spans);
                EventPipeline onS3 = EventPipeline.start(
                        vigil,
                        Map.ofEntries(
                                Map.entry("DATA_DIR", dataDir.resolve("s3").toString()),
                                Map.entry("DATABASE_URL", h2S3),
                                Map.entry("KAFKA_BOOTSTRAP_SERVERS", pipeline.kafkaBootstrapServers()),
                                Map.entry("PIPELINE_TOPIC", "events-s3"),
                                Map.entry("CONSUMER_ENABLED", "false"),
                                Map.entry("S3_ENDPOINT", s3.endpoint()),
                                Map.entry("S3_BUCKET", "raw-events-test"),
                                Map.entry("S3_ACCESS_KEY", S3rver.KEY),
                                Map.entry("S3_SECRET_KEY", S3rver.KEY),
                                Map.entry("PORT", "0"),
                                Map.entry("METRICS_PORT", "0")))) {
            String body = event("stored_in_s3");
            HttpResponse<String> accepted = post(onS3.port(), body, Map.of());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String eventId = JSON.readTree(accepted.body()).path("event_id").asText();
            String key;
            try (Connection c = DriverManager.getConnection(h2S3);
                    Statement st = c.createStatement();
                    ResultSet rs =
                            st.executeQuery("SELECT storage_key FROM events WHERE event_id = '" + eventId + "'")) {
                assertThat(rs.next()).isTrue();
                key = rs.getString(1);
            }
            // The object is in the bucket, byte for byte, read back through the S3 API.
            try (var reader =
                    new io.vigil.pipeline.internal.S3EventStore(onS3.config().s3())) {
                assertThat(new String(reader.get(key), java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo(body);
            }
            SpanData upload = await().until(
                            () -> spans.getFinishedSpanItems().stream()
                                    .filter(s -> s.getName().equals("minio_upload"))
                                    .findFirst(),
                            java.util.Optional::isPresent)
                    .orElseThrow();
            assertThat(upload.getAttributes().get(AttributeKey.stringKey("pipeline.backend")))
                    .isEqualTo("s3");
            assertThat(upload.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
            HttpResponse<String> healthy = get(onS3.port(), "/health");
            assertThat(healthy.statusCode()).as(healthy.body()).isEqualTo(200);
            assertThat(MetricSamples.parse(
                                    vigil.metricsEndpoint().scrape("text/plain").text())
                            .require("minio_status", Map.of()))
                    .isEqualTo(1);

            // The server stops: health says so, and an event is refused (503) before anything is recorded.
            s3.close();
            JsonNode unhealthy = assertProblem(get(onS3.port(), "/health"), 503, "unhealthy");
            assertThat(unhealthy.path("checks").path("storage").asText()).isEqualTo("down");
            assertThat(MetricSamples.parse(
                                    vigil.metricsEndpoint().scrape("text/plain").text())
                            .require("minio_status", Map.of()))
                    .isZero();
            assertProblem(post(onS3.port(), event("x"), Map.of()), 503, "storage-unavailable");
            assertThat(count(h2S3, "SELECT count(*) FROM events")).isEqualTo(1);
        } finally {
            s3.close();
        }
    }

    @Test
    void badInputIsAnsweredWithProblemJson() throws Exception {
        assertProblem(send("POST", "/api/v1/events", "text/plain", "hello", Map.of()), 415, "unsupported-media-type");
        assertProblem(
                post("{\"event_type\":\"x\",\"source\":\"" + "a".repeat(3000) + "\"}", Map.of()),
                413,
                "payload-too-large");
        assertProblem(post("{\"event_type\":", Map.of()), 400, "malformed-json");
        // No value at all is not JSON either (it was 422 "must be a JSON object"); a value that is no object is 422.
        for (String empty : new String[] {"", " \r\n\t"}) {
            assertThat(assertProblem(post(empty, Map.of()), 400, "malformed-json")
                            .path("detail")
                            .asText())
                    .isEqualTo("The body is empty: an event is one JSON object");
        }
        assertProblem(post("[1]", Map.of()), 422, "invalid-event");
        assertThat(assertProblem(
                                post(
                                        "{\"event_type\":\"x\",\"source\":\"web\",\"occurred_at\":\"+999999999-12-31T23:59:59Z\"}",
                                        Map.of()),
                                422,
                                "invalid-event")
                        .path("errors")
                        .toString())
                .contains("occurred_at");
        JsonNode invalid =
                assertProblem(post("{\"event_type\":\"Not Valid\",\"payload\":[1]}", Map.of()), 422, "invalid-event");
        assertThat(invalid.path("errors").toString()).contains("event_type", "source", "payload");
        JsonNode unknown = assertProblem(
                post("{\"event_type\":\"x\",\"source\":\"web\",\"payload\":{},\"gr\u00f6\u00dfe\":1}", Map.of()),
                422,
                "invalid-event");
        assertThat(unknown.path("errors").toString())
                .as("a problem document is UTF-8: the field it names comes back as sent")
                .contains("gr\u00f6\u00dfe: unknown field");
        assertProblem(
                post(event("x"), Map.of("Idempotency-Key", "bad key with spaces")), 400, "invalid-idempotency-key");
        // Two keys: which one deduplicates the request would be a guess (the first was taken silently).
        HttpResponse<String> twoKeys = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.port() + "/api/v1/events"))
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", "key-one")
                        .header("Idempotency-Key", "key-two")
                        .POST(HttpRequest.BodyPublishers.ofString(event("x")))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(assertProblem(twoKeys, 400, "invalid-idempotency-key")
                        .path("detail")
                        .asText())
                .contains("once");
        HttpResponse<String> get = send("GET", "/api/v1/events", null, null, Map.of());
        assertProblem(get, 405, "method-not-allowed");
        assertThat(get.headers().allValues("Allow")).as("RFC 9110 §15.5.6").containsExactly("POST");
        HttpResponse<String> postHealth = send("POST", "/health", "application/json", "{}", Map.of());
        assertProblem(postHealth, 405, "method-not-allowed");
        assertThat(postHealth.headers().allValues("Allow")).containsExactly("GET, HEAD");
        HttpResponse<String> nowhere = send("GET", "/nowhere", null, null, Map.of());
        assertProblem(nowhere, 404, "not-found");
        assertThat(nowhere.headers().firstValue("Allow")).isEmpty();
    }

    @Test
    void aSourceWithControlOrFormatCharactersOrARepeatedMemberIsRefusedBeforeAnyStep() throws Exception {
        // A NUL reached PostgreSQL's insert, which refused it: the client got 503 database-unavailable and the
        // service counted a database failure (pipeline_steps_total{step="insert",status="error"}, a WARN line).
        String marker = "src" + UUID.randomUUID().toString().substring(0, 8);
        for (String source :
                List.of(marker + "\\u0000x", marker + "\\u202ex", marker + "\\u200b", marker + "\\ud800")) {
            JsonNode refused = assertProblem(
                    post("{\"event_type\":\"x\",\"source\":\"" + source + "\"}", Map.of()), 422, "invalid-event");
            assertThat(refused.path("errors").toString()).as(source).contains("source: no control");
        }
        // One member twice: a reader keeping the first would see another event than the one validated (the last).
        JsonNode twice = assertProblem(
                post("{\"event_type\":\"x\",\"source\":\"" + marker + "\",\"event_type\":\"y\"}", Map.of()),
                400,
                "malformed-json");
        assertThat(twice.path("detail").asText()).contains("Duplicate field 'event_type'");
        // A source in another script, and one with a pair of surrogates (an emoji), are still text.
        assertThat(post("{\"event_type\":\"x\",\"source\":\"\u0432\u0435\u0431-\uD83D\uDE80\"}", Map.of())
                        .statusCode())
                .isEqualTo(202);
        assertThat(count("SELECT count(*) FROM events WHERE source LIKE '" + marker + "%'"))
                .isZero();
        assertThat(apiSpans.getFinishedSpanItems())
                .as("no step ran for a refused event")
                .noneSatisfy(s -> assertThat(s.getAttributes().toString()).contains(marker));
    }

    @Test
    void runsOnPostgresqlByEnvironment() throws Exception {
        String schema =
                "pipeline_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(PG, "postgres", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            if (Boolean.getBoolean("vigil.require.servers")) {
                Assertions.fail("PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage());
            }
            Assumptions.abort("PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage());
        }
        String url = PG + "?currentSchema=" + schema;
        try (Vigil vigil = runtime("event-pipeline", InMemorySpanExporter.create());
                EventPipeline onPostgres = EventPipeline.start(
                        vigil,
                        Map.of(
                                "DATA_DIR", dataDir.resolve("pg").toString(),
                                "DATABASE_URL", url,
                                "DATABASE_USER", "postgres",
                                "KAFKA_BOOTSTRAP_SERVERS", pipeline.kafkaBootstrapServers(),
                                "PIPELINE_TOPIC", "events-pg",
                                "CONSUMER_GROUP", "analytics-pg",
                                "PORT", "0",
                                "METRICS_PORT", "0"))) {
            // PostgreSQL refuses a NUL in text: refused as the client's error, never a "database unavailable" 503.
            assertProblem(
                    post(onPostgres.port(), "{\"event_type\":\"x\",\"source\":\"a\\u0000b\"}", Map.of()),
                    422,
                    "invalid-event");
            // A message whose source holds a NUL, on the topic: PostgreSQL refused the batch's insert, which was read
            // again for ever and held back the event below. It is poison now, dead-lettered.
            String nulId = UUID.randomUUID().toString();
            try (var producer = new KafkaProducer<>(
                    Map.<String, Object>of("bootstrap.servers", pipeline.kafkaBootstrapServers()),
                    new StringSerializer(),
                    new StringSerializer())) {
                producer.send(new ProducerRecord<>(
                                "events-pg",
                                nulId,
                                message(nulId, "2026-11-29T10:00:00Z").replace("\"web\"", "\"w\\u0000b\"")))
                        .get();
            }
            String key = "pg-" + UUID.randomUUID();
            HttpResponse<String> first = post(onPostgres.port(), event("on_postgres"), Map.of("Idempotency-Key", key));
            assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
            assertThat(post(onPostgres.port(), event("on_postgres"), Map.of("Idempotency-Key", key))
                            .body())
                    .isEqualTo(first.body());
            String eventId = JSON.readTree(first.body()).path("event_id").asText();
            await().until(() -> {
                try (Connection c = DriverManager.getConnection(url, "postgres", "");
                        Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery(
                                "SELECT count(*) FROM analytics_events WHERE event_id = '" + eventId + "'")) {
                    rs.next();
                    return rs.getLong(1) == 1;
                }
            });
        } finally {
            try (Connection c = DriverManager.getConnection(PG, "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    /**
     * A gzip-coded event was read as text and answered 400 {@code malformed-json}. It is 415 with {@code
     * Accept-Encoding: identity} (vigil-http's Javalin plugin, shared with identity-service) before the body is read:
     * no event is recorded.
     */
    @Test
    void aCodedEventIs415BeforeItIsReadAndNothingIsRecorded() throws Exception {
        long events = count("SELECT count(*) FROM events");
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(zipped)) {
            z.write(event("coded").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        for (String coding : List.of("gzip", "deflate", "br", "identity, gzip")) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.port() + "/api/v1/events"))
                            .header("Content-Type", "application/json")
                            .header("Content-Encoding", coding)
                            .header("Idempotency-Key", "coded-" + UUID.randomUUID())
                            .POST(HttpRequest.BodyPublishers.ofByteArray(zipped.toByteArray()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("%s: %s", coding, r.body()).isEqualTo(415);
            assertThat(r.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
            assertThat(r.headers().firstValue("Accept-Encoding")).hasValue("identity");
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.path("status").asInt()).isEqualTo(415);
            assertThat(body.path("title").asText()).isEqualTo("Unsupported Media Type");
            assertThat(body.path("detail").asText()).contains("Content-Encoding");
        }
        assertThat(count("SELECT count(*) FROM events")).isEqualTo(events);
        assertThat(post(event("plain"), Map.of("Content-Encoding", "identity")).statusCode())
                .isEqualTo(202);
    }

    /**
     * An event over {@code MAX_EVENT_BYTES} is refused on its declared length before any of it is read (or, without a
     * length, once past the limit). A client without {@code Expect: 100-continue} writes the whole body before it reads
     * the answer, and Jetty discarded 8 KiB of what was left and closed: the client's write failed with a broken pipe
     * or a reset and it never saw the 413 (5 MB in 64 KiB writes, as a client uploads a file).
     */
    @Test
    void anOversizedEventIsAnswered413WhileItsClientIsStillWritingIt() throws Exception {
        int size = 5 * 1024 * 1024;
        for (String framing : List.of("Content-Length: " + size, "Transfer-Encoding: chunked")) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", pipeline.port())) {
                socket.setSoTimeout(15_000);
                java.io.OutputStream out = socket.getOutputStream();
                out.write(("POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + framing + "\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                boolean chunked = framing.startsWith("Transfer-Encoding");
                byte[] chunk = new byte[64 * 1024];
                java.util.Arrays.fill(chunk, (byte) ' ');
                int sent = 0;
                try {
                    for (; sent < size; sent += chunk.length) {
                        if (chunked) {
                            out.write((Integer.toHexString(chunk.length) + "\r\n")
                                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        }
                        out.write(chunk);
                        if (chunked) {
                            out.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        }
                    }
                    if (chunked) {
                        out.write("0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    }
                    out.flush();
                } catch (java.io.IOException e) {
                    throw new AssertionError(framing + ": the connection was cut after " + sent + " bytes: " + e, e);
                }
                io.vigil.test.RawHttp.Response answer = readResponse(socket.getInputStream());
                assertThat(answer.status()).as(framing).isEqualTo(413);
                assertThat(answer.header("Content-Type")).startsWith("application/problem+json");
                JsonNode problem = JSON.readTree(answer.body());
                assertThat(problem.path("type").asText())
                        .isEqualTo("urn:vigil:event-pipeline:problem:payload-too-large");
                assertThat(problem.path("detail").asText()).isEqualTo("An event may have at most 2048 bytes");
            }
        }
    }

    /**
     * A body must be one JSON value in UTF-8 (RFC 8259 §2, §8.1). Jackson stopped at the end of the first value, so
     * {@code {…}x} and {@code {…}{…}} were accepted and stored whole; and it reads UTF-16 and UTF-32 (guessing from the
     * first bytes) and passes an overlong UTF-8 sequence, so such bodies were accepted and stored as sent too.
     */
    @Test
    void aBodyThatIsNotOneJsonValueInUtf8IsRefusedAndNothingIsRecorded() throws Exception {
        long events = count("SELECT count(*) FROM events");
        String event = event("one_value");
        Map<String, byte[]> refused = new java.util.LinkedHashMap<>();
        refused.put("trailing garbage", (event + "x").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        refused.put("two objects", (event + event).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        refused.put("UTF-16", event.getBytes(java.nio.charset.StandardCharsets.UTF_16LE));
        refused.put("UTF-16 with its BOM", event.getBytes(java.nio.charset.StandardCharsets.UTF_16));
        refused.put("UTF-32", event.getBytes(java.nio.charset.Charset.forName("UTF-32BE")));
        // '/' as the overlong two-byte sequence C0 AF, which no UTF-8 decoder may accept.
        java.io.ByteArrayOutputStream overlong = new java.io.ByteArrayOutputStream();
        overlong.writeBytes("{\"event_type\":\"x\",\"source\":\"web\",\"payload\":{\"path\":\""
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        overlong.writeBytes(new byte[] {(byte) 0xC0, (byte) 0xAF});
        overlong.writeBytes("\"}}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        refused.put("an overlong UTF-8 sequence", overlong.toByteArray());
        for (var c : refused.entrySet()) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.port() + "/api/v1/events"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(c.getValue()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            String detail =
                    assertProblem(r, 400, "malformed-json").path("detail").asText();
            assertThat(detail)
                    .as(c.getKey())
                    .matches(
                            c.getKey().startsWith("t")
                                    ? "The body is not JSON: .*"
                                    : "The body is not UTF-8 JSON text \\(RFC 8259 §8\\.1\\): it holds .*");
        }
        assertThat(count("SELECT count(*) FROM events")).isEqualTo(events);
        // One value in UTF-8, with whitespace after it or a UTF-8 byte order mark before it (RFC 8259 §8.1: MAY
        // ignore), is still an event.
        assertThat(post(event + " \r\n", Map.of()).statusCode()).isEqualTo(202);
        assertThat(post("\uFEFF" + event, Map.of()).statusCode()).isEqualTo(202);
    }

    // --- helpers -----------------------------------------------------------------------------

    /** One response read from {@code in}: its head, then as many body bytes as its Content-Length says. */
    private static io.vigil.test.RawHttp.Response readResponse(java.io.InputStream in) throws java.io.IOException {
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        while (!head.toString(java.nio.charset.StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("closed after: " + head);
            }
            head.write(b);
        }
        String[] lines =
                head.toString(java.nio.charset.StandardCharsets.ISO_8859_1).split("\r\n");
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(
                    lines[i].substring(0, colon).toLowerCase(java.util.Locale.ROOT),
                    lines[i].substring(colon + 1).strip());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new io.vigil.test.RawHttp.Response(
                Integer.parseInt(lines[0].substring(9, 12)),
                headers,
                new String(in.readNBytes(length), java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String event(String type) {
        return "{\"event_type\":\"" + type + "\",\"source\":\"web\",\"occurred_at\":\"2026-11-29T10:00:00Z\","
                + "\"payload\":{\"path\":\"/pricing\"}}";
    }

    private HttpResponse<String> post(String body, Map<String, String> headers) throws Exception {
        return post(pipeline.port(), body, headers);
    }

    private HttpResponse<String> post(int port, String body, Map<String, String> headers) throws Exception {
        return send(port, "POST", "/api/v1/events", "application/json", body, headers);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return send(port, "GET", path, null, null, Map.of());
    }

    private HttpResponse<String> send(String method, String path, String type, String body, Map<String, String> headers)
            throws Exception {
        return send(pipeline.port(), method, path, type, body, headers);
    }

    private HttpResponse<String> send(
            int port, String method, String path, String type, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode assertProblem(HttpResponse<String> response, int status, String type) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("type").asText()).isEqualTo("urn:vigil:event-pipeline:problem:" + type);
        assertThat(body.path("status").asInt()).isEqualTo(status);
        assertThat(body.path("title").asText()).isNotBlank();
        return body;
    }

    private static List<SpanData> inTrace(InMemorySpanExporter spans, String traceId) {
        return spans.getFinishedSpanItems().stream()
                .filter(s -> s.getTraceId().equals(traceId))
                .toList();
    }

    private static SpanData only(List<SpanData> spans, java.util.function.Predicate<SpanData> which) {
        List<SpanData> found = spans.stream().filter(which).toList();
        assertThat(found).as("spans: %s", spans).hasSize(1);
        return found.get(0);
    }

    private long count(String sql) throws SQLException {
        return count(h2, sql);
    }

    private static long count(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long endOffset(String bootstrap, String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest()))
                    .all()
                    .get()
                    .get(tp)
                    .offset();
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private MetricSamples apiMetrics() {
        return MetricSamples.parse(
                apiVigil.metricsEndpoint().scrape("text/plain").text());
    }

    private MetricSamples consumerMetrics() {
        return MetricSamples.parse(
                consumerVigil.metricsEndpoint().scrape("text/plain").text());
    }
}
