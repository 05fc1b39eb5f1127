package io.vigil.pipeline.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Runs a piece of work at most once at a time: a caller that arrives while it runs waits for that run's result
 * instead of starting another. The health endpoint probes the database, the broker and the store through one, so
 * that a burst of unauthenticated {@code GET /health} requests makes one round of probes in flight, not one per
 * request (each round holds a connection and waits up to seconds on an unreachable broker). Nothing is kept after a
 * run ends: the next caller probes afresh, so a dependency that went down is seen by the next request.
 *
 * @param <T> the result
 */
public final class SingleFlight<T> {
    private final Supplier<T> work;
    private final Object lock = new Object();
    private CompletableFuture<T> running; // guarded by lock

    /** Shares the runs of {@code work} between concurrent callers. */
    public SingleFlight(Supplier<T> work) {
        this.work = work;
    }

    /**
     * The result of the run in progress, or of a new run when none is.
     *
     * @throws RuntimeException what the run threw (the same exception for every caller that shared it)
     */
    public T get() {
        CompletableFuture<T> run;
        boolean mine = false;
        synchronized (lock) {
            if (running == null) {
                running = new CompletableFuture<>();
                mine = true;
            }
            run = running;
        }
        if (mine) {
            try {
                run.complete(work.get());
            } catch (RuntimeException | Error e) {
                run.completeExceptionally(e);
            } finally {
                synchronized (lock) {
                    running = null;
                }
            }
        }
        try {
            return run.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }
}
