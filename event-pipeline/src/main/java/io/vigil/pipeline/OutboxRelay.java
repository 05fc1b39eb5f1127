package io.vigil.pipeline;

import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.vigil.core.Vigil;
import io.vigil.pipeline.internal.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;

/**
 * The outbox's publisher of last resort. The ingest API writes an event's row and its outbox row in
 * one transaction, then publishes it at once and deletes the outbox row; whatever that did not
 * publish (the broker down, the process stopped in between) stays in {@code event_outbox} and is
 * published here, so an event is published if and only if it was recorded (at least once: a
 * redelivery is ignored by the consumer's idempotent insert).
 *
 * <p>One thread polls the rows that are due ({@code next_attempt_at}) every {@code
 * OUTBOX_POLL_MS} or at once when {@link #wake woken}, claims each by moving its {@code
 * next_attempt_at} on (so two API instances on one database never publish a row at the same
 * time), publishes it as a {@code kafka_publish} operation whose parent is the request's {@code
 * ingest_event} span (the trace goes on from the request to the consumer, later), deletes it when
 * the broker acknowledged it, and backs off (0.5 s doubling to {@link #MAX_BACKOFF}) when it did
 * not. While rows wait, {@link #backlogged()} tells the API to leave new events to this relay rather
 * than wait on a broker that is down. Gauge {@code pipeline_outbox_pending}: rows not yet published
 * at the last poll.
 */
final class OutboxRelay implements AutoCloseable {
    /** How long a row's publication may take before another attempt may claim it. */
    static final Duration LEASE = Duration.ofSeconds(30);

    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final int BATCH = 100;
    private static final long PUBLISH_TIMEOUT_SECONDS = 10;
    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Vigil vigil;
    private final Database database;
    private final Producer<String, String> producer;
    private final String topic;
    private final Duration poll;
    private final Logger log;
    private final AtomicLong pending = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeUp = lock.newCondition();
    private final Thread thread;
    private boolean woken;
    private volatile boolean backlogged;
    private boolean unreadable; // the relay thread's own
    private boolean unpublishable; // the relay thread's own: a publish failed, none has succeeded since
    private volatile boolean running = true;

    OutboxRelay(Vigil vigil, Database database, Producer<String, String> producer, String topic, Duration poll) {
        this.vigil = vigil;
        this.database = database;
        this.producer = producer;
        this.topic = topic;
        this.poll = poll;
        this.log = vigil.loggerFactory().getLogger(OutboxRelay.class.getName());
        Meter meter = vigil.openTelemetry().getMeter("io.vigil.pipeline");
        meter.gaugeBuilder("pipeline_outbox_pending")
                .setDescription("Accepted events not yet published to Kafka (event_outbox rows at the last poll)")
                .ofLongs()
                .buildWithCallback(m -> m.record(pending.get()));
        this.thread = Thread.ofPlatform().name("outbox-relay").daemon().start(this::run);
    }

    /** Whether events wait in the outbox (the broker failed lately): new events are left to the relay. */
    boolean backlogged() {
        return backlogged;
    }

    /** An event was left in the outbox: poll now, and hold new events back until it is published. */
    void wake() {
        if (backlogged) {
            return; // already known: the relay's own polls and backoff pace the retries
        }
        backlogged = true;
        lock.lock();
        try {
            woken = true;
            wakeUp.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (running) {
            boolean more = false;
            try {
                more = relayDue();
                if (unreadable) {
                    unreadable = false;
                    log.info("outbox readable again");
                }
            } catch (SQLException | RuntimeException e) {
                if (!unreadable) { // once per outage: /health and postgres_status say the rest
                    unreadable = true;
                    log.warn("outbox not read ({}); retrying every {} ms", e.toString(), poll.toMillis());
                }
            }
            if (!more) {
                await(poll);
            }
        }
    }

    private void await(Duration d) {
        lock.lock();
        try {
            long left = d.toNanos();
            while (running && !woken && left > 0) {
                left = wakeUp.awaitNanos(left);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    private record Row(String eventId, String message, String traceparent, int attempts, Timestamp due) {}

    /** One round; true when a full batch was published (more may be due at once). */
    private boolean relayDue() throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        List<Row> due = new ArrayList<>();
        try (Connection c = database.bareDataSource().getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM event_outbox");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                pending.set(rs.getLong(1));
            }
            if (pending.get() == 0) {
                backlogged = false;
                return false;
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT event_id, message, traceparent, attempts, next_attempt_at FROM event_outbox"
                            + " WHERE next_attempt_at <= ? ORDER BY created_at FETCH FIRST " + BATCH + " ROWS ONLY")) {
                ps.setTimestamp(1, now);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(new Row(
                                rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getTimestamp(5)));
                    }
                }
            }
            int published = 0;
            for (Row row : due) {
                if (!running || !claim(c, row)) {
                    continue;
                }
                if (publish(row)) {
                    delete(c, row.eventId());
                    published++;
                } else {
                    // The broker failed: this row (and the rest, untouched) come again after the backoff.
                    retryLater(c, row);
                    backlogged = true;
                    return false;
                }
            }
            if (published > 0) {
                log.info("outbox: {} event(s) published late", published);
            }
            return due.size() == BATCH;
        }
    }

    private boolean claim(Connection c, Row row) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE event_outbox SET attempts = attempts + 1,"
                + " next_attempt_at = ? WHERE event_id = ? AND attempts = ?")) {
            ps.setTimestamp(1, Timestamp.from(Instant.now().plus(LEASE)));
            ps.setString(2, row.eventId());
            ps.setInt(3, row.attempts());
            return ps.executeUpdate() == 1;
        }
    }

    private boolean publish(Row row) {
        Context parent = row.traceparent() == null
                ? Context.root()
                : W3CTraceContextPropagator.getInstance()
                        .extract(Context.root(), Map.of("traceparent", row.traceparent()), GETTER);
        try (Scope ignored = parent.makeCurrent()) {
            return vigil.operations().observe(PipelineOperation.PUBLISH, op -> {
                op.attribute("pipeline.backend", "kafka");
                op.attribute("pipeline.event_id", row.eventId());
                op.attribute("pipeline.outbox.attempt", row.attempts() + 1);
                try {
                    producer.send(new ProducerRecord<>(topic, row.eventId(), row.message()))
                            .get(PUBLISH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    if (unpublishable) {
                        unpublishable = false;
                        log.info("outbox: publishing again");
                    }
                    return true;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    op.error(e);
                    return false;
                } catch (Exception e) {
                    // An unavailable broker is expected while it is down: the span's status is ERROR and the step
                    // counts as failure (unavailable), but its log line has no stack trace (5.5 KB every few seconds
                    // for as long as the outage lasted), and this one is written once per outage.
                    op.attribute("pipeline.dependency.error", e.toString());
                    op.failure("unavailable");
                    if (!unpublishable) {
                        unpublishable = true;
                        log.warn(
                                "outbox: event {} not published ({}); retrying with backoff, logged again once"
                                        + " publishing succeeds",
                                row.eventId(),
                                e.toString());
                    }
                    return false;
                }
            });
        }
    }

    private static void delete(Connection c, String eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM event_outbox WHERE event_id = ?")) {
            ps.setString(1, eventId);
            ps.executeUpdate();
        }
    }

    private static void retryLater(Connection c, Row row) throws SQLException {
        long backoff = Math.min(MAX_BACKOFF.toMillis(), 500L << Math.min(row.attempts(), 10));
        try (PreparedStatement ps =
                c.prepareStatement("UPDATE event_outbox SET next_attempt_at = ? WHERE event_id = ?")) {
            ps.setTimestamp(1, Timestamp.from(Instant.now().plusMillis(backoff)));
            ps.setString(2, row.eventId());
            ps.executeUpdate();
        }
    }

    /** Stops the thread (a row it was publishing stays claimed until its lease ends, then comes again). */
    @Override
    public void close() {
        running = false;
        lock.lock();
        try {
            wakeUp.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(Duration.ofSeconds(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
