package io.vigil.identity.internal.feed;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bus of one process (H2): events go to this instance's feed on a thread of their own. */
final class InProcessFeedBus implements FeedBus {
    private static final Logger log = LoggerFactory.getLogger(InProcessFeedBus.class);

    private final Consumer<FeedEvent> deliver;
    private final ThreadPoolExecutor executor = FeedThreads.single("security-feed");

    InProcessFeedBus(Consumer<FeedEvent> deliver) {
        this.deliver = deliver;
    }

    @Override
    public void publish(FeedEvent event) {
        try {
            executor.execute(() -> deliver.accept(event));
        } catch (RejectedExecutionException e) {
            log.debug("Security feed event {} dropped: queue full or closed", event.type());
        }
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
