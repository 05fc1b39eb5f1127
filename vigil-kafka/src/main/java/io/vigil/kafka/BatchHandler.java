package io.vigil.kafka;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Application code processing the records of one poll together (e.g. one batch insert). Called on
 * the poll thread inside one {@code CONSUMER} span linked to every record's producer span. A thrown
 * exception fails the whole batch: every record of it is counted as an error and dead-lettered
 * when configured; Vigil never retries it.
 */
@FunctionalInterface
public interface BatchHandler<K, V> {
    /** Processes {@code records} (non-empty, in poll order). */
    void handle(List<ConsumerRecord<K, V>> records) throws Exception;
}
