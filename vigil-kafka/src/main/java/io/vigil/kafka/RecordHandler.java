package io.vigil.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Application code processing one consumed record. Called on the poll thread, inside the record's
 * {@code CONSUMER} span and with the record's MDC fields bound. A thrown exception makes the record
 * a poison record: it is counted, logged (rate-bounded) and dead-lettered when configured, and
 * processing moves on — it is never retried by Vigil.
 */
@FunctionalInterface
public interface RecordHandler<K, V> {
    /** Processes {@code record}. */
    void handle(ConsumerRecord<K, V> record) throws Exception;
}
