package io.vigil.identity.internal;

import io.vigil.audit.JdbcAuditSink;
import io.vigil.core.Vigil;
import io.vigil.identity.IdentityConfig;
import io.vigil.kafka.VigilKafka;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The audit trail and where its entries go: vigil-audit's {@code audit_log} table and log event
 * and, with {@code KAFKA_BOOTSTRAP_SERVERS}, the {@link EventOutbox} that {@link OutboxPublisher}
 * publishes to {@code AUDIT_TOPIC}. Start after the service listens; close before the pool.
 */
public final class AuditEvents implements AutoCloseable {
    private final io.vigil.audit.AuditLog trail;
    private final AuditLog auditLog;
    private final OutboxPublisher publisher; // null without Kafka

    public AuditEvents(IdentityConfig config, Vigil vigil, Database db, AuditLog.Notifier notifier, Clock clock) {
        this.trail = io.vigil.audit.AuditLog.builder(vigil)
                .sink(JdbcAuditSink.create(db.dataSource()))
                .clock(clock)
                .build();
        var propagator = vigil.openTelemetry().getPropagators().getTextMapPropagator();
        if (config.kafkaBootstrapServers().isPresent()) {
            String servers = config.kafkaBootstrapServers().get();
            this.auditLog = new AuditLog(trail, notifier, new EventOutbox(config.auditTopic(), propagator, clock));
            this.publisher = new OutboxPublisher(
                    db.untracedDataSource(),
                    () -> new KafkaProducer<>(producerConfig(servers), new StringSerializer(), new StringSerializer()),
                    VigilKafka.create(vigil),
                    propagator,
                    config.outboxPollInterval(),
                    clock);
        } else {
            this.auditLog = new AuditLog(trail, notifier, AuditLog.Listener.NONE);
            this.publisher = null;
        }
    }

    /** The producer's settings: every send bounded in time, acknowledged by all replicas, in order. */
    static Map<String, Object> producerConfig(String bootstrapServers) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "identity-service-audit");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        // Kafka down: send() gives up waiting for metadata after this, and an accepted record after
        // the delivery timeout; the rows stay in the outbox for the next attempt.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return p;
    }

    /** The audit log the services record through. */
    public AuditLog auditLog() {
        return auditLog;
    }

    /** Starts publishing the outbox (with Kafka). */
    public void start() {
        if (publisher != null) {
            publisher.start();
        }
    }

    /** Stops publishing (pending events stay in the outbox) and the trail's failure counter. */
    @Override
    public void close() {
        try {
            if (publisher != null) {
                publisher.close();
            }
        } finally {
            trail.close();
        }
    }
}
