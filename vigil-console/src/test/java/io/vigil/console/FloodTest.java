package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.console.internal.StoreTestAccess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Many senders at once, far more than the bound: every request is answered at once, and the bound holds. */
class FloodTest {
    @Test
    void concurrentSendersGetOkOrRetryableAndTheStoreStaysWithinItsBound() throws Exception {
        long max = 2L * 1024 * 1024;
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).maxBytes(max).start()) {
            String url = console.httpEndpoint() + "/v1/traces";
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger retryable = new AtomicInteger();
            AtomicInteger other = new AtomicInteger();
            ExecutorService senders = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int sender = t;
                    done.add(senders.submit(() -> {
                        for (int b = 0; b < 60; b++) {
                            byte[] body = StoreTestAccess.spans(sender * 1000L + b);
                            HttpResponse<byte[]> r = ApiClient.post(url, "application/x-protobuf", body, null);
                            switch (r.statusCode()) {
                                case 200 -> ok.incrementAndGet();
                                case 503 -> retryable.incrementAndGet();
                                default -> other.incrementAndGet();
                            }
                        }
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                senders.shutdownNow();
            }
            assertThat(console.flush(Duration.ofSeconds(30))).isTrue();

            ConsoleStats stats = console.stats();
            assertThat(other.get()).isZero();
            assertThat(ok.get() + retryable.get()).isEqualTo(240);
            assertThat(stats.acceptedRequests()).isEqualTo(ok.get());
            assertThat(stats.droppedRequests()).isEqualTo(retryable.get());
            assertThat(stats.storedBytes()).isLessThanOrEqualTo(max);
            assertThat(stats.evicted()).isPositive();
            assertThat(stats.spans()).isPositive();
        }
    }
}
