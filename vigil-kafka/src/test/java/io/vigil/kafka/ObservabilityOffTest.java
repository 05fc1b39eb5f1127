package io.vigil.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * With {@code ENABLE_OBSERVABILITY=false} the producer is returned as it is: a no-op wrapper would still put a
 * producer span key into each send's context, and another Kafka instrumentation underneath (the OpenTelemetry Java
 * agent's) would take the send as nested and make no span of its own. With observability on, it is wrapped.
 */
class ObservabilityOffTest {
    @Test
    void offReturnsTheProducerItselfAndOnWrapsIt() throws Exception {
        MockProducer<String, String> producer =
                new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
        try (Vigil off = Vigil.builder()
                .config(VigilConfig.builder().enabled(false).build())
                .build()) {
            assertThat(VigilKafka.create(off).producer(producer)).isSameAs(producer);
        }
        try (Vigil on = Vigil.builder()
                .config(VigilConfig.builder().build())
                .runtimeMetrics(false)
                .build()) {
            var wrapped = VigilKafka.create(on).producer(producer);
            assertThat(wrapped).isNotSameAs(producer);
            wrapped.send(new ProducerRecord<>("t", "k", "v")).get();
            assertThat(producer.history()).hasSize(1);
        }
    }
}
