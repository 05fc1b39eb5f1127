package io.vigil.kafka;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import io.vigil.kafka.internal.KafkaInstruments;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;

/**
 * {@code consumer_lag{topic,partition,group}}: for each partition the group has committed an offset
 * on, the partition's end offset minus that committed offset. An Admin client of its own reads both
 * on a daemon thread of its own every {@code interval}, so the poll loop never waits for it; the
 * gauge serves the last values read. A failed refresh keeps the last values, is counted in {@code
 * consumer_lag_refresh_errors_total} and logged once per outage.
 *
 * <p>Created by {@link VigilKafka#lagMonitor}; {@link #close()} stops the thread, the Admin client
 * and the gauge. Thread-safe.
 */
public final class ConsumerLagMonitor implements AutoCloseable {
    private final String group;
    private final Admin admin;
    private final Duration interval;
    private final ScheduledExecutorService executor;
    private final ObservableLongGauge gauge;
    private final KafkaInstruments instruments;
    private final Logger logger;
    private final AtomicBoolean failing = new AtomicBoolean();
    private volatile Map<TopicPartition, Long> lags = Map.of();

    ConsumerLagMonitor(
            KafkaInstruments instruments,
            Logger logger,
            Map<String, Object> adminConfig,
            String group,
            Duration interval) {
        this.group = group;
        this.interval = interval;
        this.instruments = instruments;
        this.logger = logger;
        Admin created = null;
        try {
            // Only the Admin client's own keys: the consumer's properties may be passed as they are.
            Map<String, Object> config = new HashMap<>();
            adminConfig.forEach((k, v) -> {
                if (AdminClientConfig.configNames().contains(k)) {
                    config.put(k, v);
                }
            });
            config.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "vigil-lag-" + group);
            created = Admin.create(config);
        } catch (RuntimeException e) {
            // A configuration the Admin client refuses (e.g. an unresolvable bootstrap address):
            // the service runs on without lag, said once.
            logger.atWarn()
                    .setMessage("consumer_lag disabled: the Kafka Admin client cannot be created")
                    .addKeyValue("group", group)
                    .setCause(e)
                    .log();
        }
        this.admin = created;
        Attributes groupLabel = Attributes.of(KafkaInstruments.GROUP, group);
        this.gauge = instruments
                .meter
                .gaugeBuilder(KafkaCatalogue.LAG.name())
                .setDescription(KafkaCatalogue.LAG.description())
                .ofLongs()
                .buildWithCallback(m -> lags.forEach((tp, lag) -> m.record(
                        lag,
                        groupLabel.toBuilder()
                                .put(KafkaInstruments.TOPIC, tp.topic())
                                .put(KafkaInstruments.PARTITION, Integer.toString(tp.partition()))
                                .build())));
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vigil-kafka-lag-" + group);
            t.setDaemon(true);
            return t;
        });
        if (admin != null) {
            executor.scheduleWithFixedDelay(this::refreshQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The last lag read per partition (empty before the first successful refresh). */
    public Map<TopicPartition, Long> lags() {
        return lags;
    }

    private void refreshQuietly() {
        try {
            refresh();
            if (failing.compareAndSet(true, false)) {
                logger.atInfo()
                        .setMessage("consumer_lag readable again")
                        .addKeyValue("group", group)
                        .log();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            instruments.lagErrors.add(1, Attributes.of(KafkaInstruments.GROUP, group));
            if (failing.compareAndSet(false, true)) {
                logger.atWarn()
                        .setMessage("consumer_lag cannot be read; keeping the last values")
                        .addKeyValue("group", group)
                        .setCause(e)
                        .log();
            }
        }
    }

    private void refresh() throws Exception {
        long timeoutMs = Math.max(1000, interval.toMillis());
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        committed.forEach((tp, offset) -> {
            if (offset != null) {
                request.put(tp, OffsetSpec.latest());
            }
        });
        if (request.isEmpty()) {
            lags = Map.of();
            return;
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                admin.listOffsets(request).all().get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> fresh = new HashMap<>();
        ends.forEach((tp, end) ->
                fresh.put(tp, Math.max(0, end.offset() - committed.get(tp).offset())));
        lags = Map.copyOf(fresh);
    }

    /** Stops refreshing and removes the gauge; waits at most a second for the Admin client. */
    @Override
    public void close() {
        executor.shutdownNow();
        gauge.close();
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
        }
    }
}
