package io.vigil.identity.internal.feed;

import java.util.concurrent.ArrayBlockingQueue;
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
}
