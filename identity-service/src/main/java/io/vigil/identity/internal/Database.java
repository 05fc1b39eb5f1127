package io.vigil.identity.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.vigil.identity.IdentityConfig;
import io.vigil.jdbc.VigilJdbc;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection pool (HikariCP), schema migrations (Flyway) and transactions. The pool is wrapped
 * by vigil-jdbc: every statement is a database span and a {@code database_operation}, and the pool
 * has its {@code db_connections_*{pool="identity"}} gauges.
 */
public final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final HikariDataSource pool;
    private final DataSource dataSource;
    private final AtomicReference<CompletableFuture<Boolean>> readinessCheck = new AtomicReference<>();

    /** Work done on one connection inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    public Database(IdentityConfig config, VigilJdbc telemetry) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.databaseUrl());
        config.databaseUser().ifPresent(hc::setUsername);
        config.databasePassword().ifPresent(hc::setPassword);
        hc.setMaximumPoolSize(config.databasePoolSize());
        hc.setPoolName("identity");
        // Fail fast rather than queue forever: a request waiting this long for a connection gets a 503.
        hc.setConnectionTimeout(config.databaseConnectionTimeout().toMillis());
        hc.setAutoCommit(true);
        try {
            this.pool = new HikariDataSource(hc);
        } catch (HikariPool.PoolInitializationException e) {
            // The first connection failed: a setting or a dependency (host, port, credentials, database name), which
            // the operator fixes from one line; the pool's stack trace says nothing more to them.
            throw new UnreachableAtStartException(location(config.databaseUrl()), e);
        }
        try {
            Flyway.configure()
                    .dataSource(pool)
                    .locations("classpath:db/migration/common")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        this.dataSource = telemetry.wrap(pool);
    }

    /**
     * The instrumented data source; with observability off the pool itself (so a Java agent's JDBC
     * instrumentation sees the driver's statements, see {@code VigilJdbc#wrap}).
     */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
     * The exception that surfaces is always the one that made the transaction fail; failures of the
     * clean-up that follows (rollback, auto-commit reset, close on a connection the database already
     * dropped) are attached to it as suppressed, never thrown in its place. Once the commit has
     * succeeded, the result is returned even if that clean-up fails: the work is durable, and an
     * error would make the client retry something that already happened.
     */
    public <T> T tx(Work<T> work) {
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
        Throwable failure = null;
        try {
            c.setAutoCommit(false);
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException e) {
            DataAccessException thrown = rollback(c, new DataAccessException(e));
            failure = thrown;
            throw thrown;
        } catch (RuntimeException | Error e) {
            failure = rollback(c, e);
            throw e;
        } finally {
            release(c, failure);
        }
    }

    private static <X extends Throwable> X rollback(Connection c, X failure) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException suppressed) {
            failure.addSuppressed(suppressed);
        }
        return failure;
    }

    // Hands the connection back. HikariCP resets auto-commit itself and evicts a broken connection,
    // so a failure here cannot harm the next borrower; it is attached to the transaction's failure
    // when there is one, and otherwise (a committed transaction) only logged.
    private static void release(Connection c, Throwable failure) {
        for (SqlAction step : new SqlAction[] {() -> c.setAutoCommit(true), c::close}) {
            try {
                step.run();
            } catch (SQLException | RuntimeException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                } else {
                    log.debug("Releasing a committed transaction's connection failed: {}", e.getMessage());
                }
            }
        }
    }

    @FunctionalInterface
    private interface SqlAction {
        void run() throws SQLException;
    }

    /** Runs {@code work} on one connection in auto-commit mode (single statements, reads). */
    public <T> T read(Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    /**
     * {@link #read} without statement spans or metrics: for the service's own bookkeeping (gauge callbacks on
     * every scrape), which would otherwise fill the trace store with one-span root traces.
     */
    public <T> T readUntraced(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    /**
     * The pool without statement spans or metrics, for background bookkeeping that runs on a timer
     * (the job scheduler's polls, the backlog count): traced, each poll would be a one-span root trace.
     */
    public DataSource untracedDataSource() {
        return pool;
    }

    /**
     * Whether the database answers within {@code bound}: for the readiness check, which must answer
     * before the orchestrator's probe gives up (1 s by default), whereas a connection from the pool may
     * take {@code DATABASE_CONNECTION_TIMEOUT} (5 s) while the database is gone. The check runs on a
     * thread of its own (the pool's own connection, no statement span: probes are not traffic) and the
     * caller waits for it at most {@code bound}; while one check is still waiting for the pool, later
     * probes wait for that one rather than starting another, so an outage holds one thread, not one
     * per probe.
     */
    public boolean answersWithin(Duration bound) {
        CompletableFuture<Boolean> check = readinessCheck.get();
        if (check == null || check.isDone()) {
            CompletableFuture<Boolean> next = new CompletableFuture<>();
            if (readinessCheck.compareAndSet(check, next)) {
                int seconds = (int) Math.max(1, (bound.toMillis() + 999) / 1000);
                Thread.ofVirtual().name("readiness-check").start(() -> next.complete(validConnection(seconds)));
                check = next;
            } else {
                check = readinessCheck.get();
            }
        }
        try {
            return check.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // Connection.isValid bounds the round trip on a connection the database has stopped answering.
    private boolean validConnection(int timeoutSeconds) {
        try (Connection c = pool.getConnection()) {
            return c.isValid(timeoutSeconds);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    /**
     * Where {@code jdbcUrl} points, without credentials or parameters: {@code host:port/database} for PostgreSQL,
     * {@code h2:file:path} for H2. The URL itself may carry a password ({@code ?password=…}).
     */
    static String location(String jdbcUrl) {
        String url = jdbcUrl.startsWith("jdbc:") ? jdbcUrl.substring(5) : jdbcUrl;
        int end = url.length();
        for (char c : new char[] {'?', ';'}) {
            int at = url.indexOf(c);
            if (at >= 0) {
                end = Math.min(end, at);
            }
        }
        url = url.substring(0, end);
        int authority = url.indexOf("//");
        if (authority < 0) {
            return url; // h2:file:./data/identity
        }
        String rest = url.substring(authority + 2);
        int slash = rest.indexOf('/');
        int userInfo = rest.lastIndexOf('@', slash < 0 ? rest.length() : slash);
        return rest.substring(userInfo + 1);
    }

    /**
     * The database could not be reached when the service started: no pool, no service. The message is the whole
     * report (where, and the driver's reason), for one log line without a stack trace.
     */
    public static final class UnreachableAtStartException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnreachableAtStartException(String location, Throwable cause) {
            super("no connection to the database at " + location + " (DATABASE_URL): " + reason(cause), cause);
        }

        // The innermost cause is the precise one (Connection refused, password authentication failed, database "x"
        // does not exist); the driver's own wrappers add advice the operator does not need in this line.
        private static String reason(Throwable e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String message = root.getMessage() == null || root.getMessage().isBlank()
                    ? root.getClass().getSimpleName()
                    : root.getMessage();
            return root instanceof UnknownHostException ? "unknown host " + message : message;
        }
    }

    /** A database failure; the HTTP layer answers 503 and the transaction has been rolled back. */
    public static final class DataAccessException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public DataAccessException(SQLException cause) {
            super(cause.getMessage(), cause);
        }

        /** Whether the failure is a unique-constraint violation (SQLSTATE 23505). */
        public boolean isUniqueViolation() {
            return getCause() instanceof SQLException s && "23505".equals(s.getSQLState());
        }
    }
}
