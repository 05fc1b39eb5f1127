package io.vigil.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One broker per data directory: a second one is refused before it touches the running broker's files. */
class KRaftBrokerTest {

    @Test
    void aSecondBrokerOnADirectoryInUseIsRefusedAndTheFirstRunsAndStopsUnharmed(@TempDir Path dir) throws Exception {
        KRaftBroker first = KRaftBroker.start(dir);
        try {
            Path quorumState =
                    dir.resolve("log").resolve("__cluster_metadata-0").resolve("quorum-state");
            String stateBefore = Files.readString(quorumState);

            assertThatThrownBy(() -> KRaftBroker.builder()
                            .dataDir(dir)
                            .startTimeout(Duration.ofSeconds(10))
                            .start())
                    .isInstanceOf(KRaftBroker.DirectoryInUseException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining("in use");

            // A second controller on the same metadata log took the leadership (a new epoch in quorum-state) and
            // appended to the log the first one was writing.
            assertThat(Files.readString(quorumState)).isEqualTo(stateBefore);
            first.createTopics("still-served");
        } finally {
            // Its stop hung until the process gave up on it (the pipeline's 60 s bound).
            CompletableFuture.runAsync(first::close).get(30, TimeUnit.SECONDS);
        }
        try (KRaftBroker again = KRaftBroker.start(dir)) { // the lock went with the first broker
            again.createTopics("after-restart");
        }
    }
}
