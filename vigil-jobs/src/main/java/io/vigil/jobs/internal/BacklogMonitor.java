package io.vigil.jobs.internal;

import io.vigil.core.internal.FirstSeenValues;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;

/**
 * Counts, every period on a thread of its own, the jobs that are due and not picked, per task, and
 * the age of the oldest one, into an atomic snapshot that the gauges serve: a scrape never waits
 * for the database. A failing count is logged once per outage and counted; the last snapshot stays.
 * Thread-safe.
 */
public final class BacklogMonitor implements AutoCloseable {
    private final Logger log;
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    /** One task's backlog: due, unpicked jobs and the oldest one's wait in seconds (0 when none). */
    public record Backlog(long due, double oldestWaitSeconds) {}

    private final DataSource dataSource;
    private final String sql;
    private final FirstSeenValues taskNames;
    private final AtomicReference<Map<String, Backlog>> latest = new AtomicReference<>(Map.of());
    // Tasks the application declared: their gauges exist at 0 from the first count, not only once a count happened to
    // find one of their jobs due (a task whose jobs are picked at once never had a series, its panel said "No data").
    private final Set<String> declared;
    private final AtomicBoolean failing = new AtomicBoolean();
    private final LongAdder failures = new LongAdder();
    // One count at a time: two overlapping counts (the thread's and a caller's refresh()) could store the older
    // snapshot last, and the one that did not log an outage's warning would return before the other had logged it.
    // A separate lock from start/close, so close() does not wait for a slow count.
    private final ReentrantLock counting = new ReentrantLock();
    private ScheduledExecutorService executor;

    /**
     * Counts {@code table} (db-scheduler's) through {@code dataSource}; the name is checked, it is put into SQL. The
     * {@code declared} task labels report 0 while none of their jobs is due.
     */
    public BacklogMonitor(
            DataSource dataSource, String table, FirstSeenValues taskNames, Set<String> declared, Logger log) {
        this.declared = Objects.requireNonNull(declared, "declared"); // a thread-safe set the caller keeps adding to
        this.log = log;
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("not a table name: " + table);
        }
        this.taskNames = taskNames;
        // db-scheduler's own index on execution_time serves the range; the group is per task name.
        this.sql = "SELECT task_name, COUNT(*), MIN(execution_time) FROM " + table
                + " WHERE picked = ? AND execution_time <= ? GROUP BY task_name";
    }

    /** Starts counting every {@code period} on a daemon thread, the first count at once. */
    public synchronized void start(Duration period) {
        if (executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vigil-jobs-backlog");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::refresh, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Counts now, on the calling thread, after any count in progress; never throws. */
    public void refresh() {
        counting.lock();
        try {
            count();
        } finally {
            counting.unlock();
        }
    }

    private void count() {
        Instant now = Instant.now();
        Map<String, Backlog> counted = new HashMap<>();
        // Tasks declared, and tasks seen before and drained since, report 0, not a missing series.
        declared.forEach(task -> counted.put(task, new Backlog(0, 0)));
        latest.get().keySet().forEach(task -> counted.put(task, new Backlog(0, 0)));
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(sql)) {
            s.setBoolean(1, false);
            s.setTimestamp(2, Timestamp.from(now));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String task = taskNames.bound(rs.getString(1));
                    long due = rs.getLong(2);
                    Timestamp oldest = rs.getTimestamp(3);
                    double wait = oldest == null
                            ? 0
                            : Math.max(
                                    0, Duration.between(oldest.toInstant(), now).toNanos() / 1e9);
                    counted.merge(
                            task,
                            new Backlog(due, wait),
                            (a, b) -> new Backlog(
                                    a.due() + b.due(), Math.max(a.oldestWaitSeconds(), b.oldestWaitSeconds())));
                }
            }
            latest.set(Map.copyOf(counted));
            if (failing.compareAndSet(true, false)) {
                log.info("job backlog count works again");
            }
        } catch (SQLException | RuntimeException e) {
            failures.increment();
            if (failing.compareAndSet(false, true)) {
                log.warn("cannot count the job backlog; the gauges keep their last values until it works again", e);
            }
        }
    }

    /** The last snapshot, task label → backlog. */
    public Map<String, Backlog> latest() {
        return latest.get();
    }

    /** Failed counts so far. */
    public long failures() {
        return failures.sum();
    }

    @Override
    public synchronized void close() {
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }
}
