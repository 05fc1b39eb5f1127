package io.vigil.identity.internal;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerBuilder;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.jdbc.DefaultJdbcCustomization;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import io.vigil.core.Vigil;
import io.vigil.http.HttpClientTelemetry;
import io.vigil.identity.IdentityConfig;
import io.vigil.identity.internal.http.Json;
import io.vigil.jobs.JobData;
import io.vigil.jobs.RetryPolicy;
import io.vigil.jobs.VigilJobs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serial;
import java.io.Serializable;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;

/**
 * The service's background work, run as db-scheduler jobs on its own database and observed by
 * vigil-jobs: the expired-token purge as a recurring job, and security notifications (an account
 * locked, a password changed) as queued jobs, enqueued in the transaction of the change they report
 * and delivered to {@code NOTIFY_WEBHOOK_URL} or the {@code notification_outbox} table, with retries
 * and backoff, then dead. Jobs live in {@code scheduled_tasks}: they survive a restart, and every
 * instance polls the table, each job picked by exactly one of them. Thread-safe.
 */
public final class BackgroundJobs implements AutoCloseable {
    /** The recurring purge of expired tokens and revocations. */
    public static final String PURGE_TASK = "purge_expired_tokens";
    /** A security notification's delivery. */
    public static final String NOTIFY_TASK = "security_notification";
    /** How long after one purge the next runs. */
    public static final Duration PURGE_PERIOD = Duration.ofMinutes(10);

    private static final org.slf4j.Logger log = LoggerFactory.getLogger(BackgroundJobs.class);
    /** What db-scheduler's autodetection picks for H2 (instants as local timestamps), without its warning. */
    private static final DefaultJdbcCustomization H2_TIMESTAMPS = new DefaultJdbcCustomization(false);

    private final Database db;
    private final VigilJobs jobs;
    private final OneTimeTask<JobData<SecurityNotification>> notify;
    private final Scheduler scheduler;
    private final SchedulerClient inTransaction;
    private final ThreadLocal<Connection> transaction = new ThreadLocal<>();
    private final URI webhook;
    private final HttpClient http;

    /**
     * What a security notification reports; stored with its job (Java serialization).
     *
     * @param event {@code account_locked} or {@code password_changed}
     * @param userId the account's id
     * @param occurredAt when the change was made
     */
    public record SecurityNotification(String event, String userId, Instant occurredAt) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        public SecurityNotification {
            Objects.requireNonNull(event, "event");
            Objects.requireNonNull(userId, "userId");
            Objects.requireNonNull(occurredAt, "occurredAt");
        }
    }

    /** Builds the scheduler on {@code db}'s pool; nothing runs before {@link #start()}. */
    public BackgroundJobs(IdentityConfig config, Vigil vigil, Database db, TokenStore tokens) {
        this.db = db;
        this.webhook = config.notifyWebhookUrl().orElse(null);
        // Instrumented: each delivery is a CLIENT span under the job's (status, duration, the webhook's answer) and
        // carries that span's context, so the receiver's span is the call's child, not the job's.
        this.http = webhook == null
                ? null
                : HttpClientTelemetry.create(vigil)
                        .wrap(HttpClient.newBuilder()
                                .connectTimeout(Duration.ofSeconds(5))
                                .build());
        this.jobs = VigilJobs.builder(vigil).build();
        this.notify = Tasks.oneTime(NOTIFY_TASK, JobData.<SecurityNotification>type())
                .onFailure(jobs.retries(new RetryPolicy(config.notifyRetryDelay(), 2.0, config.notifyMaxRetries())))
                .execute((job, ctx) -> deliver(job));
        RecurringTask<JobData<Void>> purge = Tasks.recurring(
                        PURGE_TASK, FixedDelay.of(PURGE_PERIOD), JobData.<Void>type())
                .execute((job, ctx) -> {
                    int purged = db.tx(c -> tokens.purgeExpired(c, Instant.now()));
                    log.debug("Purged {} expired tokens and revocations", purged);
                });
        // The scheduler's own statements (polls every JOB_POLL_INTERVAL, heartbeats, marking jobs done)
        // are untraced bookkeeping; what a job does runs in its span, on the traced data source.
        this.scheduler = jobs.instrument(jdbc(
                        Scheduler.create(db.untracedDataSource(), List.of(notify))
                                .startTasks(purge),
                        config))
                // Two threads: jobs share the request pool's connections and must not starve requests.
                .threads(2)
                .pollingInterval(config.jobPollInterval())
                // Unique per instance (the default, the host name, is the same for two on one host):
                // a dead instance's picked jobs are recognised by it.
                .schedulerName(new SchedulerName.Fixed(
                        hostName() + "-" + UUID.randomUUID().toString().substring(0, 8)))
                .shutdownMaxWait(config.shutdownTimeout())
                .build();
        // Their task series at 0 from the first scrape, so rate() sees a first failure or dead job.
        jobs.declare(notify, purge);
        // A second client for enqueueing inside a request's transaction: its data source hands out
        // that transaction's connection, and db-scheduler neither commits nor closes it (auto-commit
        // is off and commitWhenAutocommitDisabled is false), so the job commits or rolls back with
        // the change it reports.
        SchedulerClient.Builder client =
                SchedulerClient.Builder.create(new TransactionDataSource(db.dataSource()), notify);
        this.inTransaction = (config.embeddedDatabase() ? client.jdbcCustomization(H2_TIMESTAMPS) : client).build();
    }

    /**
     * On H2, db-scheduler's autodetection falls back to its default customization and logs a WARN, once per scheduler
     * and client, that it assumes {@code TIMESTAMP WITH TIME ZONE} columns: two WARN lines on every default start. The
     * assumption holds ({@code V4__background_jobs.sql} declares every time column so), so it is said here instead;
     * PostgreSQL keeps the autodetected customization.
     */
    private static SchedulerBuilder jdbc(SchedulerBuilder builder, IdentityConfig config) {
        return config.embeddedDatabase() ? builder.jdbcCustomization(H2_TIMESTAMPS) : builder;
    }

    private static String hostName() {
        String name = new SchedulerName.Hostname().getName();
        return name.length() > 40 ? name.substring(0, 40) : name;
    }

    /** Starts polling for due jobs and counting the backlog. */
    public void start() {
        scheduler.start();
        jobs.monitorBacklog(db.untracedDataSource());
    }

    /**
     * Enqueues a security notification on {@code c}, the connection of the transaction that makes
     * the change it reports: committed with it, or never sent. Carries the current trace context.
     */
    public void notify(Connection c, String event, String userId) {
        transaction.set(c);
        try {
            jobs.enqueue(
                    inTransaction,
                    notify,
                    UUID.randomUUID().toString(),
                    new SecurityNotification(event, userId, Instant.now()));
        } finally {
            transaction.remove();
        }
    }

    private void deliver(TaskInstance<JobData<SecurityNotification>> job) {
        SecurityNotification n = job.getData().data();
        String requestId = job.getData().requestId();
        if (webhook != null) {
            post(job.getId(), n, requestId);
            return;
        }
        try {
            db.tx(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO notification_outbox (id, event, user_id,"
                        + " occurred_at, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, job.getId());
                    ps.setString(2, n.event());
                    ps.setString(3, n.userId());
                    UserStore.setTime(ps, 4, n.occurredAt());
                    ps.setString(5, requestId);
                    UserStore.setTime(ps, 6, Instant.now());
                    return ps.executeUpdate();
                }
            });
        } catch (Database.DataAccessException e) {
            if (!e.isUniqueViolation()) {
                throw e;
            }
            // Written by an earlier run of this job that did not get to mark itself done.
            log.debug("Notification {} was already in the outbox", job.getId());
        }
    }

    private void post(String id, SecurityNotification n, String requestId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("event", n.event());
        body.put("user_id", n.userId());
        body.put("occurred_at", n.occurredAt().toString());
        body.put("request_id", requestId);
        HttpRequest.Builder request = HttpRequest.newBuilder(webhook)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                // The receiver can drop a second delivery of one notification (a retry after a lost answer).
                .header("Idempotency-Key", id)
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
        HttpResponse<Void> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new NotificationFailed("webhook unreachable: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotificationFailed("interrupted");
        }
        if (response.statusCode() / 100 != 2) {
            throw new NotificationFailed("webhook answered " + response.statusCode());
        }
    }

    /** A notification that was not delivered; the job is retried, then dead. */
    static final class NotificationFailed extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        NotificationFailed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Stops polling, waits for the jobs running here (at most {@code SHUTDOWN_TIMEOUT}; an unfinished
     * one is picked again by another instance once this one's heartbeat is missed), stops the backlog
     * count. Before the pool closes.
     */
    @Override
    public void close() {
        try {
            scheduler.stop();
        } finally {
            jobs.close();
        }
    }

    // Hands out the connection of the transaction that is enqueueing on this thread, with close()
    // a no-op (the transaction's owner closes it); any other time, the pool's.
    private final class TransactionDataSource implements DataSource {
        private final DataSource pool;

        TransactionDataSource(DataSource pool) {
            this.pool = pool;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = transaction.get();
            if (c == null) {
                return pool.getConnection();
            }
            return (Connection) Proxy.newProxyInstance(
                    Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            return null;
                        }
                        if (method.getName().equals("isClosed")) {
                            return c.isClosed();
                        }
                        try {
                            return method.invoke(c, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return pool.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            pool.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            pool.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return pool.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return pool.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return pool.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return pool.isWrapperFor(iface);
        }
    }
}
