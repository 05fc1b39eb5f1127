package io.vigil.identity.internal.feed;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The feed's background threads: daemons, named, with a bounded queue (a full one drops). */
final class FeedThreads {
    private FeedThreads() {}

    static ThreadPoolExecutor single(String name) {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1000), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * One daemon thread running timers; a cancelled timer leaves the queue at once, so timers of
     * connections that closed early do not pile up.
     */
    static ScheduledThreadPoolExecutor timers(String name) {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
        timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return timers;
    }
}
