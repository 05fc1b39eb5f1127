package io.vigil.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.MetricSamples;
import io.vigil.test.VigilExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The consumer metrics' {@code topic} label is bounded as the producer's: a pattern subscription follows topics as they
 * are created, and each used to be a series of every consumer metric. Past {@code maxTopics} distinct topics a record
 * is recorded as {@code topic="other"} and counted once in {@code vigil_kafka_topic_overflow_total}. A mock consumer:
 * no broker is needed to see the labels.
 */
class ConsumerTopicBoundTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create(b -> b.serviceName("consumer"));

    private static final List<String> TOPICS = List.of("t-a", "t-b", "t-c", "t-d");

    @Test
    void topicsPastTheBoundAreRecordedAsOtherAndCountedOncePerRecord() {
        MockConsumer<String, String> consumer = new MockConsumer<>("earliest");
        List<TopicPartition> partitions =
                TOPICS.stream().map(t -> new TopicPartition(t, 0)).toList();
        consumer.assign(partitions);
        consumer.updateBeginningOffsets(
                Map.of(partitions.get(0), 0L, partitions.get(1), 0L, partitions.get(2), 0L, partitions.get(3), 0L));
        RecordProcessor<String, String> processor = VigilKafka.builder(telemetry.runtime())
                .maxTopics(2)
                .build()
                .processor(consumer)
                .build();
        List<String> handled = new CopyOnWriteArrayList<>();

        // The first two topics are seen first; then two more, one of them twice.
        consumer.addRecord(new ConsumerRecord<>("t-a", 0, 0, "k", "a0"));
        consumer.addRecord(new ConsumerRecord<>("t-a", 0, 1, "k", "a1"));
        consumer.addRecord(new ConsumerRecord<>("t-b", 0, 0, "k", "b0"));
        assertThat(processor.pollAndProcess(Duration.ofMillis(10), r -> handled.add(r.value())))
                .isEqualTo(3);
        consumer.addRecord(new ConsumerRecord<>("t-c", 0, 0, "k", "c0"));
        consumer.addRecord(new ConsumerRecord<>("t-c", 0, 1, "k", "c1"));
        consumer.addRecord(new ConsumerRecord<>("t-d", 0, 0, "k", "d0"));
        assertThat(processor.pollAndProcess(Duration.ofMillis(10), r -> handled.add(r.value())))
                .isEqualTo(3);
        assertThat(handled).hasSize(6);

        MetricSamples m = telemetry.metrics();
        assertThat(m.named("consumer_messages_consumed_total"))
                .extracting(s -> s.labels().get("topic"))
                .containsExactlyInAnyOrder("t-a", "t-b", "other");
        assertThat(m.require("consumer_messages_consumed_total", Map.of("topic", "t-a")))
                .isEqualTo(2.0);
        assertThat(m.require("consumer_messages_consumed_total", Map.of("topic", "other")))
                .isEqualTo(3.0);
        assertThat(m.require("consumer_messages_processed_total", Map.of("topic", "other", "status", "success")))
                .isEqualTo(3.0);
        assertThat(m.require("consumer_processing_duration_seconds_count", Map.of("topic", "other")))
                .isEqualTo(3.0);
        assertThat(m.named("consumer_processing_duration_seconds_count"))
                .extracting(s -> s.labels().get("topic"))
                .containsExactlyInAnyOrder("t-a", "t-b", "other");
        // Each consumed record past the bound once, not once per metric it is recorded in.
        assertThat(m.require("vigil_kafka_topic_overflow_total", Map.of())).isEqualTo(3.0);
        assertThat(telemetry.logs())
                .filteredOn(e -> e.message().startsWith("More than 2 distinct Kafka topics consumed from"))
                .singleElement()
                .satisfies(e -> assertThat(e.level()).isEqualTo("WARN"));
    }
}
