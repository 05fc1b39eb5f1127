package io.vigil.pipeline;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.vigil.core.Operation;
import io.vigil.core.OperationScope;
import io.vigil.core.Vigil;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.javalin.AllowedMethods;
import io.vigil.http.javalin.PortBinding;
import io.vigil.http.javalin.VigilJavalinPlugin;
import io.vigil.kafka.VigilKafka;
import io.vigil.pipeline.internal.Database;
import io.vigil.pipeline.internal.EventStore;
import io.vigil.pipeline.internal.SingleFlight;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;

/**
 * The ingest API: {@code POST /api/v1/events} (a JSON event, at most {@code MAX_EVENT_BYTES}; an
 * optional {@code Idempotency-Key} whose repetition returns the first answer) runs the operation
 * {@code ingest_event} — the raw event stored ({@code minio_upload}), recorded in the {@code
 * events} table together with its {@code event_outbox} entry in one transaction ({@code
 * postgres_insert}), then published to the pipeline topic through {@link VigilKafka#producer}
 * ({@code kafka_publish}, with the {@code PRODUCER} span under it) — and answers 202 with the event
 * id. An event is published if and only if it was recorded: a database that fails answers 503 and
 * publishes nothing; a broker that fails still answers 202 (the event is recorded) and the {@link
 * OutboxRelay} publishes it once the broker is back. {@code GET /health} probes the database, the broker and the store, each in a span,
 * and sets the gauges {@code postgres_status}, {@code kafka_status}, {@code minio_status} (1 up, 0
 * down); a round of the same probes runs every {@link #PROBE_INTERVAL} in the background too, so
 * the gauges follow an outage with nothing polling {@code /health}. Every error is an RFC 9457 problem+json body. Thread-safe; close it to stop.
 */
public final class IngestApi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The request body's reader: a repeated member is refused, as a parser that keeps the first one (the stored raw
     * event's readers) would read another event than the one validated and published here, which keeps the last.
     */
    private static final ObjectMapper STRICT_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Pattern EVENT_TYPE = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final Set<String> FIELDS = Set.of("event_type", "source", "occurred_at", "payload");
    private static final long PUBLISH_TIMEOUT_SECONDS = 10;
    /** The first instant an event's time may be: RFC 3339's years are 0001 to 9999 (0000 too, which is kept out). */
    static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    /** The last instant an event's time may be. */
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private final Vigil vigil;
    private final PipelineConfig config;
    private final Database database;
    private final EventStore store;
    private final Producer<String, String> producer;
    private final Admin admin;
    private final OutboxRelay relay;
    private final Logger log;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Requests being handled: close() waits for them (bounded) after the listener is closed. */
    private final AtomicInteger requests = new AtomicInteger();

    private volatile boolean stopping;
    // A burst of health requests shares one round of probes in flight (each holds a connection and may wait 2 s on an
    // unreachable broker): an unauthenticated endpoint must not multiply the load on the dependencies it reports on.
    private final SingleFlight<Map<String, String>> probes = new SingleFlight<>(this::probeAll);
    private final Map<String, AtomicInteger> status = new LinkedHashMap<>();
    private final Javalin app;

    IngestApi(Vigil vigil, PipelineConfig config, Database database, EventStore store) {
        this.vigil = vigil;
        this.config = config;
        this.database = database;
        this.store = store;
        this.log = vigil.loggerFactory().getLogger(IngestApi.class.getName());
        Map<String, Object> producerConfig = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0,
                // A broker that is down fails the request within the publish timeout, not after a minute.
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        this.producer = VigilKafka.create(vigil)
                .producer(new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer()));
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000));
        this.relay = new OutboxRelay(vigil, database, producer, config.topic(), config.outboxPoll());
        Meter meter = vigil.openTelemetry().getMeter("io.vigil.pipeline");
        for (String gauge : EventPipeline.STATUS_GAUGES) {
            AtomicInteger value = new AtomicInteger(0);
            status.put(gauge, value);
            meter.gaugeBuilder(gauge)
                    .setDescription("Whether the dependency answered the last health probe (1) or not (0)")
                    .ofLongs()
                    .buildWithCallback(m -> m.record(value.get()));
        }
        Javalin app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.port = config.port();
            // Each request on a virtual thread of its own, as identity-service's: a client that sends its headers and
            // holds the body back keeps its request's thread, and 300 of them took every thread of Jetty's pool (250),
            // so /health and every ingest waited until they gave up.
            cfg.concurrency.useVirtualThreads = true;
            cfg.http.prefer405over404 = true;
            cfg.registerPlugin(new VigilJavalinPlugin(HttpServerTelemetry.create(vigil)).refuseCodedBodies());
            AllowedMethods resources = new AllowedMethods()
                    .route(cfg, HandlerType.POST, "/api/v1/events", counted(this::ingest))
                    .route(cfg, HandlerType.GET, "/health", counted(this::health));
            cfg.routes.exception(Problem.class, (e, ctx) -> e.write(ctx));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.atError().setCause(e).log("Unhandled error");
                new Problem(500, "internal-error", "An unexpected error occurred").write(ctx);
            });
            // The 405's Allow: the methods of the resource the path names (RFC 9110 §15.5.6).
            Problem.unrouted(cfg.routes, resources::allow);
        });
        try {
            PortBinding.start(app, "PORT", config.port());
        } catch (RuntimeException e) {
            relay.close();
            producer.close(java.time.Duration.ZERO);
            admin.close(java.time.Duration.ZERO);
            throw e;
        }
        this.app = app;
        probeAll(); // the status gauges start from a real answer
        // The gauges were set only by GET /health, so an outage reached the metrics only if something polled it. A
        // round every PROBE_INTERVAL on one daemon thread, through the health endpoint's single flight (a request
        // arriving meanwhile shares the round, it does not start another).
        this.prober = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("pipeline-health-probe").daemon().factory());
        prober.scheduleWithFixedDelay(
                this::probeInBackground, PROBE_INTERVAL.toMillis(), PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How often the dependencies are probed in the background (the status gauges' freshness). */
    static final java.time.Duration PROBE_INTERVAL = java.time.Duration.ofSeconds(15);

    private final java.util.concurrent.ScheduledExecutorService prober;

    private void probeInBackground() {
        try {
            probes.get();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again; each probe records its own failure already.
            log.debug("background health probe failed: {}", e.toString());
        }
    }

    /** The API port. */
    public int port() {
        return app.port();
    }

    // --- POST /api/v1/events ---------------------------------------------------------------------

    private void ingest(Context ctx) throws Exception {
        String contentType = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(java.util.Locale.ROOT);
        String mediaType = contentType.split(";", 2)[0].strip();
        if (!mediaType.equals("application/json") && !mediaType.endsWith("+json")) {
            throw new Problem(415, "unsupported-media-type", "Send the event as application/json");
        }
        byte[] body = readLimited(ctx);
        // One key per request (the IETF draft's Idempotency-Key is an Item, not a List): with two, which one the
        // request is to be deduplicated by is the client's guess; the first was taken silently.
        List<String> keys = java.util.Collections.list(ctx.req().getHeaders("Idempotency-Key"));
        if (keys.size() > 1) {
            throw new Problem(400, "invalid-idempotency-key", "Idempotency-Key must be given once");
        }
        String key = keys.isEmpty() ? null : keys.getFirst();
        if (key != null && !IDEMPOTENCY_KEY.matcher(key).matches()) {
            throw new Problem(400, "invalid-idempotency-key", "Idempotency-Key must be 1-255 visible ASCII characters");
        }
        Event event = parse(body);
        String hash = sha256(body);
        Accepted accepted = vigil.operations().observe(PipelineOperation.INGEST_EVENT, op -> {
            op.attribute("pipeline.event_type", event.type());
            return key == null ? accept(event, body, hash, null, op) : acceptOnce(event, body, hash, key, op);
        });
        if (accepted.replayed()) {
            ctx.header("Idempotent-Replayed", "true");
        }
        ctx.status(202).contentType("application/json").result(JSON.writeValueAsString(accepted.body()));
    }

    private Accepted acceptOnce(Event event, byte[] body, String hash, String key, OperationScope op) throws Exception {
        Accepted first = previous(key, hash, op);
        if (first != null) {
            return first;
        }
        if (!inFlight.add(key)) {
            op.failure("in_progress");
            throw new Problem(
                    409, "request-in-progress", "A request with this Idempotency-Key is still being processed");
        }
        try {
            return accept(event, body, hash, key, op);
        } catch (Duplicate d) {
            // Another instance recorded the key between our lookup and insert: its answer is the answer.
            Accepted winner = previous(key, hash, op);
            if (winner == null) {
                throw new IllegalStateException("idempotency key vanished", d);
            }
            return winner;
        } finally {
            inFlight.remove(key);
        }
    }

    private Accepted previous(String key, String hash, OperationScope op) throws Problem {
        try (Connection c = database.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT event_id, request_hash, received_at FROM events WHERE idempotency_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                if (!rs.getString(2).equals(hash)) {
                    op.failure("idempotency_key_reused");
                    throw new Problem(
                            422,
                            "idempotency-key-reused",
                            "This Idempotency-Key was used with a different request body");
                }
                op.attribute("pipeline.idempotent_replay", true);
                return new Accepted(rs.getString(1), rs.getTimestamp(3).toInstant(), true);
            }
        } catch (SQLException e) {
            throw unavailable("database", e);
        }
    }

    private Accepted accept(Event event, byte[] body, String hash, String key, OperationScope op) throws Exception {
        String eventId = UUID.randomUUID().toString();
        // Millisecond precision: what every database keeps, so a replayed answer equals the first.
        Instant receivedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        op.attribute("pipeline.event_id", eventId);
        String storageKey = step(PipelineOperation.STORE, store.backend(), "storage", () -> store.put(eventId, body));
        ObjectNode message = JSON.createObjectNode()
                .put("event_id", eventId)
                .put("event_type", event.type())
                .put("source", event.source())
                .put(
                        "occurred_at",
                        event.occurredAt() == null ? null : event.occurredAt().toString())
                .put("received_at", receivedAt.toString())
                .put("payload_bytes", body.length)
                .put("storage_key", storageKey);
        String json = JSON.writeValueAsString(message);
        String traceparent = traceparent(); // the ingest_event span: the relay's late publication continues it
        boolean inline = !relay.backlogged();
        // The row and its outbox entry in one transaction: nothing is published that was not recorded.
        try {
            recordEvent(eventId, key, hash, event, receivedAt, storageKey, json, traceparent, inline);
        } catch (Problem | Duplicate | RuntimeException e) {
            // Stored before the transaction, which did not commit: a raw event no row names (a 503 during a database
            // outage left one file per refused request), removed. A duplicate's answer is the first request's, whose
            // raw event is its own.
            discard(storageKey);
            throw e;
        }
        if (inline) {
            publishNow(eventId, json);
        } else {
            op.attribute("pipeline.publish_deferred", true);
            relay.wake();
        }
        return new Accepted(eventId, receivedAt, false);
    }

    /** The {@code events} row and its outbox entry, in one transaction ({@code postgres_insert}). */
    private void recordEvent(
            String eventId,
            String key,
            String hash,
            Event event,
            Instant receivedAt,
            String storageKey,
            String json,
            String traceparent,
            boolean inline)
            throws Problem, Duplicate {
        step(PipelineOperation.INSERT, database.backend(), "database", () -> {
            try (Connection c = database.dataSource().getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement row = c.prepareStatement(
                                "INSERT INTO events (event_id, idempotency_key,"
                                        + " request_hash, event_type, source, received_at, storage_key) VALUES (?, ?, ?, ?, ?, ?, ?)");
                        PreparedStatement outbox = c.prepareStatement("INSERT INTO event_outbox (event_id, message,"
                                + " traceparent, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 0, ?)")) {
                    row.setString(1, eventId);
                    row.setString(2, key);
                    row.setString(3, hash);
                    row.setString(4, event.type());
                    row.setString(5, event.source());
                    row.setTimestamp(6, Timestamp.from(receivedAt));
                    row.setString(7, storageKey);
                    row.executeUpdate();
                    outbox.setString(1, eventId);
                    outbox.setString(2, json);
                    outbox.setString(3, traceparent);
                    outbox.setTimestamp(4, Timestamp.from(receivedAt));
                    // Published inline: the relay keeps off it for a lease; left to the relay: due now.
                    outbox.setTimestamp(5, Timestamp.from(inline ? receivedAt.plus(OutboxRelay.LEASE) : receivedAt));
                    outbox.executeUpdate();
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    rollback(c);
                    throw e;
                }
            } catch (SQLException e) {
                if (key != null && Database.isDuplicate(e)) {
                    throw new Duplicate(e);
                }
                throw e;
            }
            return null;
        });
    }

    /**
     * Removes a raw event that was stored but not recorded; best effort. A store that fails this too (during an
     * outage of both) is logged once, and again once a removal succeeds; the files left are named in no row.
     */
    private void discard(String storageKey) {
        try {
            store.delete(storageKey);
            if (discardFailing.compareAndSet(true, false)) {
                log.info("raw events of refused requests are removed again");
            }
        } catch (IOException | RuntimeException e) {
            if (discardFailing.compareAndSet(false, true)) {
                log.warn(
                        "raw event {} of a refused request not removed ({}); further failures are not logged until"
                                + " a removal succeeds",
                        storageKey,
                        e.toString());
            }
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean discardFailing =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Publishes a recorded event and closes its outbox entry. A broker that fails leaves the entry to
     * the relay (the request still succeeds: the event is recorded and will be published); an entry
     * that cannot be deleted is published once more by the relay, which the consumer ignores.
     */
    private void publishNow(String eventId, String json) {
        try {
            step(
                    PipelineOperation.PUBLISH,
                    "kafka",
                    "kafka",
                    () -> producer.send(new ProducerRecord<>(config.topic(), eventId, json))
                            .get(PUBLISH_TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } catch (Problem | Duplicate e) {
            outbox(eventId, "UPDATE event_outbox SET next_attempt_at = ? WHERE event_id = ?");
            relay.wake();
            return;
        }
        outbox(eventId, "DELETE FROM event_outbox WHERE event_id = ?");
    }

    /** Outbox bookkeeping on the bare pool, best effort: the relay's lease covers a failure. */
    private void outbox(String eventId, String sql) {
        try (Connection c = database.bareDataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (sql.startsWith("UPDATE")) {
                ps.setTimestamp(i++, Timestamp.from(Instant.now()));
            }
            ps.setString(i, eventId);
            ps.executeUpdate();
        } catch (SQLException e) {
            log.warn("outbox entry of {} not updated ({}); the relay takes it after its lease", eventId, e.toString());
        }
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            // the connection is broken: nothing was committed
        }
    }

    private static String traceparent() {
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(io.opentelemetry.context.Context.current(), carrier, Map::put);
        return carrier.get("traceparent");
    }

    @FunctionalInterface
    private interface Step<T> {
        T run() throws Exception;
    }

    /** One child operation; a dependency's failure becomes a 503 naming it. */
    private <T> T step(Operation operation, String backend, String dependency, Step<T> body) throws Problem, Duplicate {
        try {
            T result = vigil.operations().observe(operation, scope -> {
                scope.attribute("pipeline.backend", backend);
                try {
                    return body.run();
                } catch (Duplicate | Problem e) {
                    throw e;
                } catch (Exception e) {
                    // Answered 503 below: the dependency is unavailable, an expected failure while it is down. The span
                    // is still ERROR and the step counts as failure (unavailable), but its log line carries no stack
                    // trace (6.9 KB of the pool's frames on every refused request of an outage).
                    scope.attribute("pipeline.dependency.error", e.toString());
                    scope.failure("unavailable");
                    throw e;
                }
            });
            available(dependency);
            return result;
        } catch (Duplicate | Problem e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(dependency, e);
        } catch (Exception e) {
            throw unavailable(dependency, e);
        }
    }

    /** The dependencies whose last step failed: logged once when one goes down, once when it answers again. */
    private final Set<String> down = ConcurrentHashMap.newKeySet();

    private void available(String dependency) {
        if (down.remove(dependency)) {
            log.info("{} available again", dependency);
        }
    }

    private Problem unavailable(String dependency, Exception cause) {
        // Once per outage, the cause's class and message without a stack trace: a line per request repeated the same
        // for as long as the dependency was down (a client's every retry). The step's span and pipeline_steps_total
        // count every failure; /health and the status gauges say the rest.
        if (down.add(dependency)) {
            log.warn(
                    "{} unavailable: {}; logged again once it answers (each failed request is counted in"
                            + " pipeline_steps_total)",
                    dependency,
                    cause.toString());
        } else {
            log.debug("{} unavailable: {}", dependency, cause.toString());
        }
        return new Problem(503, dependency + "-unavailable", "The " + dependency + " is unavailable; retry later")
                .retryAfter(5);
    }

    private byte[] readLimited(Context ctx) throws IOException, Problem {
        long declared = ctx.req().getContentLengthLong();
        if (declared > config.maxEventBytes()) {
            throw tooLarge();
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes(config.maxEventBytes() + 1);
            if (body.length > config.maxEventBytes()) {
                throw tooLarge();
            }
            return body;
        }
    }

    private Problem tooLarge() {
        return new Problem(413, "payload-too-large", "An event may have at most " + config.maxEventBytes() + " bytes");
    }

    private static Event parse(byte[] body) throws Problem {
        String notUtf8 = notUtf8(body);
        if (notUtf8 != null) {
            throw new Problem(400, "malformed-json", "The body is not UTF-8 JSON text (RFC 8259 §8.1): " + notUtf8);
        }
        JsonNode root;
        try (JsonParser parser = STRICT_JSON.createParser(body)) {
            root = STRICT_JSON.readTree(parser);
            // One value: {"a":1}x and {"a":1}{"b":2} were accepted and stored whole, where a reader of the stored
            // event finds no JSON, or (keeping the last value) another event than the one validated here.
            if (root != null && parser.nextToken() != null) {
                throw new Problem(
                        400, "malformed-json", "The body is not JSON: it goes on after the event's JSON value");
            }
        } catch (JsonProcessingException e) {
            throw new Problem(400, "malformed-json", "The body is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new Problem(400, "malformed-json", "The body could not be read");
        }
        if (root == null || root.isMissingNode()) {
            // No JSON value at all (an empty or blank body) is not JSON, as README says: 400, not the 422 of a value
            // that is not an object.
            throw new Problem(400, "malformed-json", "The body is empty: an event is one JSON object");
        }
        if (!root.isObject()) {
            throw new Problem(422, "invalid-event", "The event must be a JSON object")
                    .errors(List.of("body: must be an object"));
        }
        List<String> errors = new ArrayList<>();
        root.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                errors.add(f + ": unknown field");
            }
        });
        JsonNode type = root.path("event_type");
        if (!type.isTextual() || !EVENT_TYPE.matcher(type.asText()).matches()) {
            errors.add("event_type: required, lower-case [a-z0-9_.-], at most 64 characters");
        }
        JsonNode source = root.path("source");
        if (!source.isTextual() || source.asText().isBlank() || source.asText().length() > 64) {
            errors.add("source: required, 1-64 characters");
        } else if (!printable(source.asText())) {
            errors.add("source: no control, format or unpaired surrogate characters");
        }
        Instant occurredAt = null;
        JsonNode occurred = root.path("occurred_at");
        if (!occurred.isMissingNode() && !occurred.isNull()) {
            try {
                occurredAt = OffsetDateTime.parse(occurred.asText()).toInstant();
                if (occurredAt.isBefore(EARLIEST) || occurredAt.isAfter(LATEST)) {
                    // RFC 3339 years have four digits; Java reads up to nine, which no database column holds.
                    occurredAt = null;
                    errors.add("occurred_at: an RFC 3339 timestamp");
                }
            } catch (DateTimeParseException e) {
                errors.add("occurred_at: an RFC 3339 timestamp");
            }
        }
        JsonNode payload = root.path("payload");
        if (!payload.isMissingNode() && !payload.isObject()) {
            errors.add("payload: must be an object");
        }
        if (!errors.isEmpty()) {
            throw new Problem(422, "invalid-event", "The event is not valid").errors(errors);
        }
        return new Event(type.asText(), source.asText(), occurredAt);
    }

    /**
     * Why {@code body} is no UTF-8 text, or null when it is. Jackson reads UTF-16 and UTF-32 as well (it guesses the
     * encoding from the first bytes) and passes malformed UTF-8 such as an overlong {@code C0 AF}: such a body was
     * accepted and stored as sent, for readers of the stored event that expect UTF-8. A NUL byte is no JSON text's in
     * UTF-8 (it is escaped in strings and is no whitespace), but in every UTF-16 or UTF-32 one.
     */
    private static String notUtf8(byte[] body) {
        for (byte b : body) {
            if (b == 0) {
                return "it holds a NUL byte (UTF-16 or UTF-32?)";
            }
        }
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body));
            return null;
        } catch (CharacterCodingException e) {
            return "it holds a byte sequence that is not UTF-8";
        }
    }

    /**
     * Whether a short label holds only printable text. A NUL is refused by PostgreSQL's text columns (the insert fails,
     * which would be answered and counted as the database being down), an unpaired surrogate is stored as {@code ?},
     * and bidirectional overrides or zero-width characters make one source look like another wherever it is shown.
     */
    private static boolean printable(String s) {
        // By code point: a pair is one character, an unpaired surrogate is its own (of type SURROGATE).
        return s.codePoints().allMatch(c -> switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE -> false;
            default -> true;
        });
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- GET /health ----------------------------------------------------------------------------

    private io.javalin.http.Handler counted(io.javalin.http.Handler handler) {
        return ctx -> {
            requests.incrementAndGet();
            try {
                handler.handle(ctx);
            } finally {
                if (requests.decrementAndGet() == 0) {
                    synchronized (requests) {
                        requests.notifyAll(); // close() may be waiting for the last one
                    }
                }
            }
        };
    }

    private void health(Context ctx) throws Exception {
        if (stopping) {
            // Readiness first: the orchestrator sends no more traffic while the requests in flight finish.
            ObjectNode body = JSON.createObjectNode();
            body.put("type", Problem.TYPE_PREFIX + "stopping");
            body.put("title", "Service Unavailable");
            body.put("status", 503);
            body.put("detail", "The pipeline is stopping");
            ctx.status(503).contentType(Problem.MEDIA_TYPE).result(JSON.writeValueAsBytes(body));
            return;
        }
        Map<String, String> checks = probes.get();
        boolean healthy = !checks.containsValue("down");
        ObjectNode body = JSON.createObjectNode();
        body.put("status", healthy ? "healthy" : "unhealthy");
        checks.forEach(body.putObject("checks")::put);
        if (healthy) {
            ctx.status(200).contentType("application/json").result(JSON.writeValueAsString(body));
        } else {
            // An RFC 9457 body with the per-dependency statuses as an extension member.
            body.put("type", Problem.TYPE_PREFIX + "unhealthy");
            body.put("title", "Service Unavailable");
            body.put("status", 503);
            body.put("detail", "A dependency is down");
            ctx.status(503).contentType(Problem.MEDIA_TYPE).result(JSON.writeValueAsBytes(body));
        }
    }

    /** Probes every dependency; updates the status gauges; returns {@code dependency → up|down}. */
    Map<String, String> probeAll() {
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("database", probe(PipelineOperation.DATABASE_CHECK, "postgres_status", database::probe));
        checks.put(
                "kafka",
                probe(
                        PipelineOperation.KAFKA_CHECK,
                        "kafka_status",
                        () -> admin.describeCluster().nodes().get(2, TimeUnit.SECONDS)));
        checks.put("storage", probe(PipelineOperation.STORAGE_CHECK, "minio_status", store::probe));
        return checks;
    }

    @FunctionalInterface
    private interface Probe {
        void run() throws Exception;
    }

    private String probe(Operation operation, String gauge, Probe probe) {
        boolean up = vigil.operations().observe(operation, op -> {
            try {
                probe.run();
                return true;
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                op.attribute("pipeline.dependency.error", e.toString());
                op.failure("unavailable");
                return false;
            }
        });
        status.get(gauge).set(up ? 1 : 0);
        return up ? "up" : "down";
    }

    /**
     * Stops in order, one line per step: health answers 503; the listener closes (new connections are refused); the
     * requests in flight finish (at most {@code SHUTDOWN_TIMEOUT}); the HTTP server stops; the outbox relay stops (what it has
     * not published stays in {@code event_outbox} for the next start); the producer sends what it holds (bounded);
     * the admin client closes. Idempotent.
     */
    @Override
    public void close() {
        if (stopping) {
            return;
        }
        stopping = true;
        prober.shutdownNow();
        log.info("Shutdown: health answers 503");
        long start = System.nanoTime();
        PortBinding.stopAccepting(app); // a request still receiving its body keeps its idle timeout
        log.info(
                "Shutdown: API no longer accepting connections; waiting up to {} ms for {} requests in flight",
                config.shutdownTimeout().toMillis(),
                requests.get());
        long deadline = start + config.shutdownTimeout().toNanos();
        synchronized (requests) {
            long left;
            while (requests.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(requests, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        int cut = requests.get();
        app.stop();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (cut == 0) {
            log.info("Shutdown: requests in flight finished; API stopped after {} ms", tookMs);
        } else {
            log.warn("Shutdown: {} requests still running after {} ms were cut off", cut, tookMs);
        }
        relay.close();
        log.info("Shutdown: outbox relay stopped");
        producer.close(java.time.Duration.ofSeconds(5));
        admin.close(java.time.Duration.ofSeconds(2));
        log.info("Shutdown: Kafka producer closed");
    }

    private record Event(String type, String source, Instant occurredAt) {}

    private record Accepted(String eventId, Instant receivedAt, boolean replayed) {
        Map<String, Object> body() {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("event_id", eventId);
            b.put("status", "accepted");
            b.put("received_at", receivedAt.toString());
            return b;
        }
    }

    /** The idempotency key was recorded concurrently elsewhere. */
    private static final class Duplicate extends Exception {
        Duplicate(SQLException cause) {
            super(cause);
        }
    }

    /** An RFC 9457 answer, thrown to end a request. */
    static final class Problem extends Exception {
        static final String MEDIA_TYPE = "application/problem+json";
        static final String TYPE_PREFIX = "urn:vigil:event-pipeline:problem:";
        private final int status;
        private final String type;
        private List<String> errors = List.of();
        private int retryAfter = -1;

        Problem(int status, String type, String detail) {
            super(detail, null, false, false);
            this.status = status;
            this.type = type;
        }

        Problem errors(List<String> errors) {
            this.errors = List.copyOf(errors);
            return this;
        }

        Problem retryAfter(int seconds) {
            this.retryAfter = seconds;
            return this;
        }

        /**
         * Javalin's own 404 (no route for the path) and 405 (a route with another method) as problem documents, on
         * the API and the metrics port alike; {@code allow} gives the 405's {@code Allow} header for the request's path
         * (none where it answers null). A 404 or 405 that a handler answered with a problem document of its own is left
         * as it is.
         */
        static void unrouted(RoutesConfig routes, Function<String, String> allow) {
            routes.error(404, ctx -> {
                if (!isProblem(ctx)) {
                    new Problem(404, "not-found", "No such resource: " + ctx.path()).write(ctx);
                }
            });
            routes.error(405, ctx -> {
                if (!isProblem(ctx)) {
                    String methods = allow.apply(ctx.path());
                    if (methods != null) {
                        ctx.header("Allow", methods);
                    }
                    new Problem(
                                    405,
                                    "method-not-allowed",
                                    AllowedMethods.notAllowedDetail(ctx.method().name(), ctx.path()))
                            .write(ctx);
                }
            });
        }

        private static boolean isProblem(Context ctx) {
            String type = ctx.res().getContentType();
            return type != null && type.startsWith(MEDIA_TYPE);
        }

        void write(Context ctx) {
            ObjectNode body = JSON.createObjectNode();
            body.put("type", TYPE_PREFIX + type);
            body.put("title", io.javalin.http.HttpStatus.forStatus(status).getMessage());
            body.put("status", status);
            body.put("detail", getMessage());
            body.put("instance", ctx.path());
            if (!errors.isEmpty()) {
                errors.forEach(body.putArray("errors")::add);
            }
            if (retryAfter >= 0) {
                ctx.header("Retry-After", Integer.toString(retryAfter));
            }
            try {
                // Bytes: a String result is encoded in Jetty's default for this media type, ISO-8859-1, not UTF-8.
                ctx.status(status).contentType(MEDIA_TYPE).result(JSON.writeValueAsBytes(body));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
