package io.vigil.http.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * At most {@code perSecond} log events a second (a fixed one-second window), so a flood of refused
 * or broken messages cannot flood the logs; what was left out is counted and reported with the
 * next event that passes.
 */
public final class LogBudget {
    private final int perSecond;
    private final AtomicLong window = new AtomicLong();
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    public LogBudget(int perSecond) {
        this.perSecond = perSecond;
    }

    /**
     * Takes one event from this second's budget.
     *
     * @return the number of events suppressed since the last one that passed (≥ 0), or -1 when this
     *     one must be suppressed too
     */
    public long take() {
        long second = System.nanoTime() / 1_000_000_000L;
        long w = window.get();
        if (w != second && window.compareAndSet(w, second)) {
            used.set(0);
        }
        if (used.incrementAndGet() > perSecond) {
            suppressed.incrementAndGet();
            return -1;
        }
        return suppressed.getAndSet(0);
    }
}
