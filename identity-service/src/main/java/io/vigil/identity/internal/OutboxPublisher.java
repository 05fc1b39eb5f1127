package io.vigil.identity.internal;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.vigil.kafka.KafkaHeaders;
import io.vigil.kafka.VigilKafka;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes {@code event_outbox} to Kafka on a thread of its own: every {@code OUTBOX_POLL_INTERVAL}
 * it takes the oldest unpublished rows (up to {@value #BATCH}) in id order, locked ({@code SELECT …
 * FOR UPDATE}: with several instances, one publishes at a time, so one key's events reach the topic
 * in the order they committed), sends them through vigil-kafka's producer with each row's request
 * trace context current (the {@code PRODUCER} span continues the request's trace and its context
 * goes into the headers, with {@code message_id} = the event id and {@code request_id}), waits for
 * the broker's acknowledgements and marks the acknowledged prefix published in the same
 * transaction. Delivery is at least once: a crash between the acknowledgement and the commit sends
 * a row again (the same {@code message_id}).
 *
 * <p>While Kafka is unreachable nothing else waits: requests keep committing rows, the publisher
 * retries with a backoff (the poll interval, doubled up to {@value #MAX_BACKOFF_SECONDS}s) and
 * logs one WARN per outage and one INFO when it ends. The producer is created lazily on this
 * thread (an unresolvable broker name does not fail start-up) and created again after a failure.
 * Published rows are deleted after a day.
 *
 * <p>Why a thread and not a db-scheduler job: events should reach the topic within about a second,
 * where a recurring job runs at most every {@code JOB_POLL_INTERVAL} (10 s) with a span and task
 * metrics per run, and an outage would hold one of the two job threads that deliver security
 * notifications for each failed attempt. The row locks give what the job's single pick would.
 */
public final class OutboxPublisher implements AutoCloseable {
    static final int BATCH = 100;
    static final long MAX_BACKOFF_SECONDS = 30;
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration RETENTION = Duration.ofDays(1);
    private static final Logger log = LoggerFactory.getLogger(OutboxPublisher.class);
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

    private final DataSource dataSource;
    private final Supplier<Producer<String, String>> producers;
    private final TextMapPropagator propagator;
    private final Duration pollInterval;
    private final Clock clock;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    private volatile Producer<String, String> producer;
    private Instant nextPurge = Instant.MIN;

    /**
     * A publisher reading {@code dataSource} (untraced: the polls are bookkeeping) and sending with
     * producers from {@code producers} (raw; wrapped here by {@code kafka}). Nothing runs before {@link #start()}.
     */
    public OutboxPublisher(
            DataSource dataSource,
            Supplier<Producer<String, String>> producers,
            VigilKafka kafka,
            TextMapPropagator propagator,
            Duration pollInterval,
            Clock clock) {
        this.dataSource = dataSource;
        this.producers = () -> kafka.producer(producers.get());
        this.propagator = propagator;
        this.pollInterval = pollInterval;
        this.clock = clock;
        this.thread = Thread.ofPlatform()
                .name("identity-outbox-publisher")
                .daemon(true)
                .unstarted(this::run);
    }

    /** Starts publishing. */
    public void start() {
        thread.start();
    }

    private void run() {
        int failuresInARow = 0;
        while (stop.getCount() > 0) {
            Duration wait = pollInterval;
            try {
                int published = publishBatch();
                if (failuresInARow > 0) {
                    log.info("Publishing audit events to Kafka recovered after {} failed attempts", failuresInARow);
                    failuresInARow = 0;
                }
                purgePublished();
                if (published == BATCH) {
                    wait = Duration.ZERO; // more are waiting
                }
            } catch (Exception | LinkageError e) {
                if (failuresInARow++ == 0) {
                    log.warn(
                            "Publishing audit events to Kafka is failing ({}); they wait in event_outbox and"
                                    + " are retried with backoff, the service goes on",
                            withRootCause(e));
                }
                closeProducer(Duration.ZERO);
                long factor = 1L << Math.min(failuresInARow - 1, 10);
                wait = min(pollInterval.multipliedBy(factor), Duration.ofSeconds(MAX_BACKOFF_SECONDS));
            }
            try {
                if (!wait.isZero() && stop.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                break;
            }
        }
        closeProducer(Duration.ofSeconds(5));
    }

    /**
     * {@code e} and, when it has one, its root cause: the producer's "Failed to construct kafka producer" says nothing
     * of why (no resolvable bootstrap address, a bad setting); the root cause does.
     */
    private static String withRootCause(Throwable e) {
        Throwable root = e;
        for (int i = 0; i < 10 && root.getCause() != null && root.getCause() != root; i++) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e + "; caused by " + root;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private record Row(
            long id,
            String eventId,
            String topic,
            String key,
            String payload,
            String requestId,
            String traceparent,
            String tracestate) {}

    /** Publishes the oldest pending rows; returns how many were marked published. */
    int publishBatch() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<Row> rows = pending(c);
                if (rows.isEmpty()) {
                    c.commit();
                    return 0;
                }
                Producer<String, String> p = producer();
                List<Future<RecordMetadata>> sent = new ArrayList<>(rows.size());
                Exception failure = null;
                for (Row row : rows) {
                    try {
                        sent.add(send(p, row));
                    } catch (RuntimeException e) {
                        failure = e; // nothing after it is sent: the order of one key holds
                        break;
                    }
                }
                long deadline = System.nanoTime() + SEND_TIMEOUT.toNanos();
                int acknowledged = 0;
                for (Future<RecordMetadata> f : sent) {
                    try {
                        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                        acknowledged++;
                    } catch (ExecutionException e) {
                        failure = e.getCause() instanceof Exception x ? x : e;
                        break;
                    } catch (TimeoutException e) {
                        failure = e;
                        break;
                    }
                }
                markPublished(c, rows.subList(0, acknowledged));
                if (failure != null) {
                    markFailed(c, rows.get(acknowledged), failure);
                }
                c.commit();
                if (failure != null) {
                    throw failure;
                }
                return acknowledged;
            } catch (Exception | Error e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    private static List<Row> pending(Connection c) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, event_id, topic, event_key, payload, request_id,"
                        + " traceparent, tracestate FROM event_outbox WHERE published_at IS NULL ORDER BY id"
                        + " FETCH FIRST " + BATCH + " ROWS ONLY FOR UPDATE");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new Row(
                        rs.getLong(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getString(6),
                        rs.getString(7),
                        rs.getString(8)));
            }
        }
        return rows;
    }

    private Future<RecordMetadata> send(Producer<String, String> p, Row row) {
        Map<String, String> carrier = new HashMap<>();
        if (row.traceparent() != null) {
            carrier.put("traceparent", row.traceparent());
        }
        if (row.tracestate() != null) {
            carrier.put("tracestate", row.tracestate());
        }
        Context origin = propagator.extract(Context.root(), carrier, GETTER);
        ProducerRecord<String, String> record = new ProducerRecord<>(row.topic(), row.key(), row.payload());
        record.headers().add(KafkaHeaders.MESSAGE_ID, row.eventId().getBytes(StandardCharsets.UTF_8));
        if (row.requestId() != null) {
            record.headers().add(KafkaHeaders.REQUEST_ID, row.requestId().getBytes(StandardCharsets.UTF_8));
        }
        try (Scope ignored = origin.makeCurrent()) {
            return p.send(record);
        }
    }

    private void markPublished(Connection c, List<Row> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        try (PreparedStatement ps =
                c.prepareStatement("UPDATE event_outbox SET published_at = ?, attempts = attempts + 1 WHERE id = ?")) {
            for (Row row : rows) {
                UserStore.setTime(ps, 1, clock.instant());
                ps.setLong(2, row.id());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void markFailed(Connection c, Row row, Exception failure) throws SQLException {
        String error = failure.toString();
        try (PreparedStatement ps =
                c.prepareStatement("UPDATE event_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?")) {
            ps.setString(1, error.length() > 256 ? error.substring(0, 256) : error);
            ps.setLong(2, row.id());
            ps.executeUpdate();
        }
    }

    private void purgePublished() throws SQLException {
        Instant now = clock.instant();
        if (now.isBefore(nextPurge)) {
            return;
        }
        nextPurge = now.plus(Duration.ofMinutes(10));
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "DELETE FROM event_outbox WHERE published_at IS NOT NULL AND published_at < ?")) {
            UserStore.setTime(ps, 1, now.minus(RETENTION));
            int deleted = ps.executeUpdate();
            log.debug("Deleted {} published audit events from event_outbox", deleted);
        }
    }

    private Producer<String, String> producer() {
        Producer<String, String> p = producer;
        if (p == null) {
            p = producers.get();
            producer = p;
        }
        return p;
    }

    private void closeProducer(Duration timeout) {
        Producer<String, String> p = producer;
        producer = null;
        if (p != null) {
            try {
                p.close(timeout);
            } catch (RuntimeException e) {
                log.debug("Closing the Kafka producer failed: {}", e.toString());
            }
        }
    }

    /** Pending events (not yet published). */
    public static long pending(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT COUNT(*) FROM event_outbox WHERE published_at IS NULL");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Stops publishing: the batch in progress ends (bounded by the send timeout; after {@code
     * timeout} the producer is closed under it, and its rows stay pending), then the producer closes.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    void close(Duration timeout) {
        stop.countDown();
        if (!thread.isAlive()) {
            closeProducer(Duration.ZERO);
            return;
        }
        try {
            if (!thread.join(timeout)) {
                closeProducer(Duration.ZERO);
                thread.join(timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
