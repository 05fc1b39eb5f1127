package io.vigil.test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pace of a slow client — a body trickled a few bytes at a time, a request held back — for tests of what a
 * server does with one. The steps run on a scheduler of their own, so the test thread is free to wait for the
 * server's answer (never for time to pass).
 */
public final class SlowClient {
    /** One step of a slow client, e.g. writing the next piece of a body to its socket. */
    @FunctionalInterface
    public interface Step {
        /** Runs step {@code index} (0, 1, …). */
        void run(int index) throws IOException;
    }

    private SlowClient() {}

    /**
     * Runs {@code step} {@code times} times, one every {@code gap} (the first after one gap). The future is done
     * as the last step returns, failed with the first step's failure (no step runs after it); cancelling it stops the
     * steps.
     */
    public static CompletableFuture<Void> paced(Duration gap, int times, Step step) {
        ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "slow-client");
            t.setDaemon(true); // a test that fails before the last step does not keep the JVM alive
            return t;
        });
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicInteger next = new AtomicInteger();
        pace.scheduleAtFixedRate(
                () -> {
                    if (done.isDone()) {
                        return;
                    }
                    int i = next.getAndIncrement();
                    if (i >= times) {
                        done.complete(null); // zero steps
                        return;
                    }
                    try {
                        step.run(i);
                        if (i == times - 1) {
                            done.complete(null);
                        }
                    } catch (IOException | RuntimeException e) {
                        done.completeExceptionally(e);
                    }
                },
                gap.toMillis(),
                gap.toMillis(),
                TimeUnit.MILLISECONDS);
        done.whenComplete((ignored, failure) -> pace.shutdownNow());
        return done;
    }
}
