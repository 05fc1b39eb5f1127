package io.vigil.identity.internal.feed;

import io.vigil.identity.IdentityConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bus of instances sharing one PostgreSQL schema: {@code pg_notify} on a pool connection
 * publishes (on a thread of its own, so a request never waits for it), and one connection of its
 * own per instance, outside the pool, {@code LISTEN}s and hands each payload to the feed. That
 * connection is reopened after a failure (1 s, doubling up to 30 s); events sent while it is down
 * are missed — the feed is live, the audit table is the record. The channel is named after the
 * schema, so services on other schemas of the same database do not hear each other.
 */
final class PostgresFeedBus implements FeedBus {
    private static final Logger log = LoggerFactory.getLogger(PostgresFeedBus.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration START_WAIT = Duration.ofSeconds(10);

    private final IdentityConfig config;
    private final DataSource pool;
    private final Consumer<FeedEvent> deliver;
    private final String channel;
    private final ThreadPoolExecutor publisher = FeedThreads.single("security-feed-notify");
    private final Thread listener;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch listening = new CountDownLatch(1);

    PostgresFeedBus(IdentityConfig config, DataSource pool, Consumer<FeedEvent> deliver) {
        this.config = config;
        this.pool = pool;
        this.deliver = deliver;
        this.channel = channel(pool);
        this.listener =
                Thread.ofPlatform().name("security-feed-listen").daemon(true).start(this::listen);
    }

    /** Waits until the listening connection is open (tests; at most {@code timeout}). */
    boolean awaitListening(Duration timeout) throws InterruptedException {
        return listening.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String channel(DataSource pool) {
        String schema = "public";
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_schema()")) {
            if (rs.next() && rs.getString(1) != null) {
                schema = rs.getString(1);
            }
        } catch (SQLException e) {
            log.warn("Security feed: current schema unknown ({}); using public", e.getMessage());
        }
        String name = "security_events." + schema;
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    @Override
    public void publish(FeedEvent event) {
        String payload = event.toJson();
        try {
            publisher.execute(() -> notify(payload));
        } catch (RejectedExecutionException e) {
            log.debug("Security feed event {} dropped: queue full or closed", event.type());
        }
    }

    private void notify(String payload) {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, channel);
            ps.setString(2, payload);
            ps.execute();
        } catch (SQLException | RuntimeException e) {
            log.warn("Security feed: NOTIFY failed, the event reaches no feed: {}", e.getMessage());
        }
    }

    private void listen() {
        long backoff = 1000;
        while (closed.getCount() > 0) {
            try (Connection c = DriverManager.getConnection(
                    config.databaseUrl(),
                    config.databaseUser().orElse(null),
                    config.databasePassword().orElse(null))) {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN \"" + channel.replace("\"", "\"\"") + "\"");
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                if (backoff > 1000) {
                    log.info("Security feed: listening again on PostgreSQL");
                }
                backoff = 1000;
                listening.countDown();
                while (closed.getCount() > 0) {
                    PGNotification[] received = pg.getNotifications((int) POLL.toMillis());
                    if (received == null) {
                        continue;
                    }
                    for (PGNotification n : received) {
                        receive(n.getParameter());
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed.getCount() == 0) {
                    return;
                }
                log.warn(
                        "Security feed: the LISTEN connection failed ({}); reconnecting in {} ms",
                        e.getMessage(),
                        backoff);
                try {
                    if (closed.await(backoff, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF.toMillis());
            }
        }
    }

    private void receive(String payload) {
        FeedEvent event;
        try {
            event = FeedEvent.fromJson(payload);
        } catch (RuntimeException e) {
            log.warn("Security feed: unreadable notification ignored: {}", e.getMessage());
            return;
        }
        try {
            deliver.accept(event);
        } catch (RuntimeException e) {
            log.warn("Security feed: delivering an event failed", e);
        }
    }

    @Override
    public void close() {
        closed.countDown();
        publisher.shutdown();
        try {
            publisher.awaitTermination(2, TimeUnit.SECONDS);
            listener.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
