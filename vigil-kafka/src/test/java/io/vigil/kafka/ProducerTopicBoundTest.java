package io.vigil.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.vigil.test.MetricSamples;
import io.vigil.test.VigilExtension;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The producer metrics' {@code topic} label is bounded as vigil-http bounds {@code endpoint}: past {@code maxTopics}
 * distinct topics a send is recorded as {@code topic="other"} and counted in {@code vigil_kafka_topic_overflow_total}
 * — it was bounded only by the SDK's cardinality cap, which then drops the metric's further series. A mock producer:
 * no broker is needed to see the labels.
 */
class ProducerTopicBoundTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create(b -> b.serviceName("producer"));

    @Test
    void topicsPastTheBoundAreRecordedAsOtherAndCountedOncePerSend() throws Exception {
        Producer<String, String> producer = VigilKafka.builder(telemetry.runtime())
                .maxTopics(2)
                .build()
                .producer(new MockProducer<>(true, null, new StringSerializer(), new StringSerializer()));
        String[] topics = {"t-a", "t-b", "t-c", "t-d", "t-a", "t-c"};
        for (String topic : topics) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get();
        }

        MetricSamples m = telemetry.metrics();
        assertThat(m.require("producer_messages_sent_total", Map.of("topic", "t-a", "status", "success")))
                .isEqualTo(2.0);
        assertThat(m.require("producer_messages_sent_total", Map.of("topic", "t-b", "status", "success")))
                .isEqualTo(1.0);
        assertThat(m.require("producer_messages_sent_total", Map.of("topic", "other", "status", "success")))
                .isEqualTo(3.0);
        assertThat(m.require("producer_send_duration_seconds_count", Map.of("topic", "other")))
                .isEqualTo(3.0);
        assertThat(m.named("producer_messages_sent_total"))
                .extracting(s -> s.labels().get("topic"))
                .containsExactlyInAnyOrder("t-a", "t-b", "other");
        // Each send past the bound once (its callback records it once).
        assertThat(m.require("vigil_kafka_topic_overflow_total", Map.of())).isEqualTo(3.0);
        // One line says so, whatever the number of sends.
        assertThat(telemetry.logs())
                .filteredOn(e -> e.message().startsWith("More than 2 distinct Kafka topics"))
                .singleElement()
                .satisfies(e -> assertThat(e.level()).isEqualTo("WARN"));
        // The spans keep the real topic: only the metric label is bounded.
        assertThat(telemetry.spans())
                .extracting(s -> s.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")))
                .contains("t-c", "t-d");
    }

    @Test
    void withinTheBoundNothingOverflows() throws Exception {
        Producer<String, String> producer = VigilKafka.create(telemetry.runtime())
                .producer(new MockProducer<>(true, null, new StringSerializer(), new StringSerializer()));
        for (int i = 0; i < VigilKafka.DEFAULT_MAX_TOPICS; i++) {
            producer.send(new ProducerRecord<>("topic-" + i, "k", "v")).get();
        }

        MetricSamples m = telemetry.metrics();
        assertThat(m.named("producer_messages_sent_total")).hasSize(VigilKafka.DEFAULT_MAX_TOPICS);
        assertThat(m.find("producer_messages_sent_total", Map.of("topic", "other", "status", "success")))
                .isEmpty();
        assertThat(m.named("vigil_kafka_topic_overflow_total")).isEmpty();
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThatThrownBy(() -> VigilKafka.builder(telemetry.runtime()).maxTopics(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxTopics");
    }
}
