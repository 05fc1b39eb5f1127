package io.vigil.pipeline.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SingleFlightTest {
    @Test
    void callersArrivingDuringARunShareItsResult() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SingleFlight<Integer> flight = new SingleFlight<>(() -> {
            int run = runs.incrementAndGet();
            started.countDown();
            try {
                assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return run;
        });
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Future<Integer> first = pool.submit(flight::get);
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            // Seven more callers while the first run is in progress; each is inside get() once it has
            // counted down, and none may start a run of its own.
            CountDownLatch entered = new CountDownLatch(7);
            Future<?>[] others = new Future<?>[7];
            for (int i = 0; i < others.length; i++) {
                others[i] = pool.submit(() -> {
                    entered.countDown();
                    return flight.get();
                });
            }
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            for (Future<?> other : others) {
                // Either shared the first run or, having reached get() after it ended, ran the next one.
                assertThat((Integer) other.get(10, TimeUnit.SECONDS)).isBetween(1, 2);
            }
            assertThat(runs.get()).isLessThanOrEqualTo(2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theNextCallerAfterARunEndsRunsAfresh() {
        AtomicInteger runs = new AtomicInteger();
        SingleFlight<Integer> flight = new SingleFlight<>(runs::incrementAndGet);
        assertThat(flight.get()).isEqualTo(1);
        assertThat(flight.get()).isEqualTo(2);
    }

    @Test
    void aFailedRunFailsItsCallersAndTheNextRunsAgain() {
        AtomicInteger runs = new AtomicInteger();
        SingleFlight<Integer> flight = new SingleFlight<>(() -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("probe failed");
            }
            return runs.get();
        });
        assertThatThrownBy(flight::get)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("probe failed");
        assertThat(flight.get()).isEqualTo(2);
    }
}
