package io.vigil.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A slow client's pace: every step once, in order, then done; the first failure ends it; cancelling stops it. */
class SlowClientTest {
    @Test
    void runsEveryStepInOrderThenCompletes() throws Exception {
        List<Integer> ran = new CopyOnWriteArrayList<>();
        SlowClient.paced(Duration.ofMillis(5), 4, ran::add).get(10, TimeUnit.SECONDS);
        assertThat(ran).containsExactly(0, 1, 2, 3);
    }

    @Test
    void isDoneAsTheLastStepReturnsNotAGapLater() throws Exception {
        Duration gap = Duration.ofSeconds(2);
        AtomicLong lastStepReturned = new AtomicLong();
        CompletableFuture<Long> completedAt = SlowClient.paced(gap, 1, i -> lastStepReturned.set(System.nanoTime()))
                .thenApply(ignored -> System.nanoTime());
        long lag = completedAt.get(30, TimeUnit.SECONDS) - lastStepReturned.get();
        assertThat(Duration.ofNanos(lag)).isLessThan(gap.dividedBy(2));
    }

    @Test
    void theFirstFailureFailsItAndNoStepRunsAfter() throws Exception {
        List<Integer> ran = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> steps = SlowClient.paced(Duration.ofMillis(5), 10, i -> {
            ran.add(i);
            if (i == 2) {
                throw new IOException("connection reset");
            }
        });
        assertThatThrownBy(() -> steps.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCauseMessage("connection reset");
        assertThat(ran).containsExactly(0, 1, 2);
    }

    @Test
    void cancellingStopsTheSteps() throws Exception {
        CountDownLatch second = new CountDownLatch(1);
        AtomicReference<Thread> pacer = new AtomicReference<>();
        List<Integer> ran = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> steps = SlowClient.paced(Duration.ofMillis(5), 100_000, i -> {
            pacer.set(Thread.currentThread());
            ran.add(i);
            if (i == 1) {
                second.countDown();
            }
        });
        assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
        steps.cancel(true);
        // The steps' only thread ends once cancelled: no step can run after that.
        pacer.get().join(Duration.ofSeconds(10));
        assertThat(pacer.get().isAlive()).isFalse();
        assertThat(steps).isCancelled();
        assertThat(ran).hasSizeLessThan(100_000);
    }
}
