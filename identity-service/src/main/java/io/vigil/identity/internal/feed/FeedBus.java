package io.vigil.identity.internal.feed;

import io.vigil.identity.IdentityConfig;
import io.vigil.identity.internal.Database;
import java.util.function.Consumer;

/**
 * Carries security events to every instance's feed: in-process on the embedded H2 database (one
 * process owns it), PostgreSQL {@code LISTEN/NOTIFY} otherwise. {@link #publish} never blocks the
 * caller on the database and never throws.
 */
public interface FeedBus extends AutoCloseable {
    /** Hands {@code event} to every instance's feed (this one's included), asynchronously. */
    void publish(FeedEvent event);

    /** Stops delivering; idempotent. */
    @Override
    void close();

    /** The bus for {@code config}'s database, delivering to {@code deliver} on a thread of its own. */
    static FeedBus create(IdentityConfig config, Database db, Consumer<FeedEvent> deliver) {
        return config.embeddedDatabase()
                ? new InProcessFeedBus(deliver)
                : new PostgresFeedBus(config, db.untracedDataSource(), deliver);
    }
}
