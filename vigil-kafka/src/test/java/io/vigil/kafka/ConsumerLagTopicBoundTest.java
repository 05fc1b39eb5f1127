package io.vigil.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.kafka.embedded.KRaftBroker;
import io.vigil.test.MetricSamples;
import io.vigil.test.VigilExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code consumer_lag}'s {@code topic} label is bounded as the consumer metrics' ({@link ConsumerTopicBoundTest}), by
 * the same bound: a group following a pattern subscription commits offsets on topics as they are created, and each
 * was a series per partition of the lag, whatever {@code maxTopics} said. A real broker: the lag monitor reads the
 * committed and end offsets through an Admin client of its own.
 */
class ConsumerLagTopicBoundTest {
    private static KRaftBroker broker;

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create(b -> b.serviceName("consumer"));

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

    @Test
    void lagOfTopicsPastTheBoundIsRecordedAsOtherSummedPerPartitionAndCounted() throws Exception {
        String group = "g-lag-bound";
        List<String> topics = List.of("lag-a", "lag-b", "lag-c", "lag-d");
        broker.createTopics(topics.toArray(String[]::new));
        // Five records on each topic; the group's committed offsets leave a lag of 1, 2, 3 and 4.
        Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        try (Producer<String, String> producer =
                new KafkaProducer<>(broker.producerConfig(), new StringSerializer(), new StringSerializer())) {
            for (int t = 0; t < topics.size(); t++) {
                for (int r = 0; r < 5; r++) {
                    producer.send(new ProducerRecord<>(topics.get(t), "k", "v" + r))
                            .get(10, TimeUnit.SECONDS);
                }
                committed.put(new TopicPartition(topics.get(t), 0), new OffsetAndMetadata(4 - t));
            }
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.alterConsumerGroupOffsets(group, committed).all().get(30, TimeUnit.SECONDS);
        }

        VigilKafka kafka = VigilKafka.builder(telemetry.runtime()).maxTopics(2).build();
        // The consumer side has already met lag-c: the lag names it as the consumer metrics do.
        MockConsumer<String, String> consumer = new MockConsumer<>("earliest");
        TopicPartition c0 = new TopicPartition("lag-c", 0);
        consumer.assign(List.of(c0));
        consumer.updateBeginningOffsets(Map.of(c0, 0L));
        consumer.addRecord(new ConsumerRecord<>("lag-c", 0, 0, "k", "c0"));
        assertThat(kafka.processor(consumer).build().pollAndProcess(Duration.ofMillis(10), r -> {}))
                .isEqualTo(1);

        // One refresh at start, the next an hour later: the overflow count below is that of one refresh.
        try (ConsumerLagMonitor lag = kafka.lagMonitor(broker.consumerConfig(group), group, Duration.ofHours(1))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> lag.lags().size() == 4);

            // The monitor itself keeps the real topics.
            assertThat(lag.lags())
                    .containsEntry(new TopicPartition("lag-a", 0), 1L)
                    .containsEntry(new TopicPartition("lag-b", 0), 2L)
                    .containsEntry(new TopicPartition("lag-c", 0), 3L)
                    .containsEntry(new TopicPartition("lag-d", 0), 4L);
            MetricSamples m = telemetry.metrics();
            // lag-c (met first) and lag-a (the first in topic order) fill the bound of 2; lag-b and lag-d are other.
            assertThat(m.named("consumer_lag"))
                    .extracting(s -> s.labels().get("topic"))
                    .containsExactlyInAnyOrder("lag-a", "lag-c", "other");
            assertThat(m.require("consumer_lag", Map.of("topic", "lag-a", "partition", "0", "group", group)))
                    .isEqualTo(1.0);
            assertThat(m.require("consumer_lag", Map.of("topic", "lag-c", "partition", "0", "group", group)))
                    .isEqualTo(3.0);
            // One value per label set: the two other topics' partition 0 add up, so the group's total stays right.
            assertThat(m.require("consumer_lag", Map.of("topic", "other", "partition", "0", "group", group)))
                    .isEqualTo(6.0);
            assertThat(m.named("consumer_lag").stream()
                            .mapToDouble(MetricSamples.Sample::value)
                            .sum())
                    .isEqualTo(10.0);
            // Each reading past the bound once (two partitions, one refresh), not once per scrape.
            assertThat(m.require("vigil_kafka_topic_overflow_total", Map.of())).isEqualTo(2.0);
            assertThat(telemetry.metrics().require("vigil_kafka_topic_overflow_total", Map.of()))
                    .isEqualTo(2.0);
            assertThat(telemetry.logs())
                    .filteredOn(e -> e.message().startsWith("More than 2 distinct Kafka topics consumed from"))
                    .singleElement()
                    .satisfies(e -> assertThat(e.level()).isEqualTo("WARN"));
        }
    }
}
