package io.vigil.kafka;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import io.vigil.kafka.internal.KafkaInstruments;
import java.time.Duration;
import java.util.Comparator;
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
 * on, the partition's end offset minus that committed offset. Its {@code topic} is bounded as the
 * consumer metrics' ({@link VigilKafka.Builder#maxTopics}): past the bound, readings are recorded
 * as {@code topic="other"}, summed per partition number, and counted in {@code
 * vigil_kafka_topic_overflow_total}; {@link #lags()} keeps the real topics. An Admin client of its own reads both
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
    private final Attributes groupLabel;
    private volatile Map<TopicPartition, Long> lags = Map.of();
    /** What the gauge reports: {@link #lags} under bounded topic labels, labelled at refresh, not at each collection. */
    private volatile Map<Attributes, Long> series = Map.of();

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
        this.groupLabel = Attributes.of(KafkaInstruments.GROUP, group);
        this.gauge = instruments
                .meter
                .gaugeBuilder(KafkaCatalogue.LAG.name())
                .setDescription(KafkaCatalogue.LAG.description())
                .ofLongs()
                .buildWithCallback(m -> series.forEach((labels, lag) -> m.record(lag, labels)));
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
            series = Map.of();
            return;
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                admin.listOffsets(request).all().get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> fresh = new HashMap<>();
        ends.forEach((tp, end) ->
                fresh.put(tp, Math.max(0, end.offset() - committed.get(tp).offset())));
        series = labelled(fresh);
        lags = Map.copyOf(fresh); // last: a caller that sees these lags sees the gauge's series too
    }

    /**
     * {@code lags} as gauge series: the topic bounded as the consumer metrics' ({@link KafkaInstruments#lagTopic}).
     * Readings of topics past the bound add up per partition number under {@code topic="other"} (a gauge records one
     * value per label set), so summing {@code consumer_lag} over a group still gives its whole lag. In topic order, so
     * which of several new topics keep their names does not depend on the order the broker answered in.
     */
    private Map<Attributes, Long> labelled(Map<TopicPartition, Long> lags) {
        Map<Attributes, Long> out = new HashMap<>();
        lags.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(
                        Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition)))
                .forEach(e -> out.merge(
                        groupLabel.toBuilder()
                                .put(
                                        KafkaInstruments.TOPIC,
                                        instruments.lagTopic(e.getKey().topic()))
                                .put(
                                        KafkaInstruments.PARTITION,
                                        Integer.toString(e.getKey().partition()))
                                .build(),
                        e.getValue(),
                        Long::sum));
        return Map.copyOf(out);
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
