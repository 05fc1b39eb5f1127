package io.vigil.pipeline.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.vigil.core.Vigil;
import io.vigil.jdbc.VigilJdbc;
import io.vigil.pipeline.PipelineConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;

/**
 * The pipeline's database: a HikariCP pool (H2 or PostgreSQL) wrapped by vigil-jdbc, its two tables
 * ({@code events}: what the API accepted, with the idempotency key; {@code analytics_events}: what
 * the consumer wrote; {@code audit_events}: identity-service's audit events the consumer read from
 * {@code AUDIT_TOPIC}; {@code event_outbox}: accepted events not yet published, written in the same
 * transaction as their {@code events} row) and the statements that differ between the dialects. The pool starts even
 * when the database is down (health reports it); the schema is created on first success.
 */
public final class Database implements AutoCloseable {
    private final HikariDataSource pool;
    private final DataSource db;
    private final boolean postgres;
    private final Logger log;
    private volatile boolean schemaReady;

    /** Opens the pool named {@code poolName} and tries to create the schema. */
    public Database(Vigil vigil, PipelineConfig config, String poolName) {
        this.log = vigil.loggerFactory().getLogger(Database.class.getName());
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.databaseUrl());
        if (config.databaseUser() != null) {
            hc.setUsername(config.databaseUser());
        }
        if (config.databasePassword() != null) {
            hc.setPassword(config.databasePassword());
        }
        hc.setPoolName(poolName);
        hc.setMaximumPoolSize(5);
        hc.setConnectionTimeout(Math.max(250, config.databaseTimeout().toMillis()));
        // Start without the database: the service answers 503 and its health says why, instead of not starting.
        hc.setInitializationFailTimeout(-1);
        this.pool = new HikariDataSource(hc);
        this.postgres = config.databaseUrl().startsWith("jdbc:postgresql:");
        this.db = VigilJdbc.create(vigil).wrap(pool);
        try {
            ensureSchema();
        } catch (SQLException e) {
            log.warn("database unavailable at start ({}); the schema is created once it answers", e.getMessage());
        }
    }

    /** The instrumented data source (spans, database metrics). */
    public DataSource dataSource() throws SQLException {
        ensureSchema();
        return db;
    }

    /**
     * The pool without instrumentation: the outbox relay's background bookkeeping (its polls every
     * few seconds would otherwise be a root span each), never request traffic.
     */
    public DataSource bareDataSource() throws SQLException {
        ensureSchema();
        return pool;
    }

    /**
     * Whether {@code e} says the database cannot be reached (no connection within the timeout, a connection lost or
     * terminated, the database shutting down or refusing connections) rather than that a statement is wrong: an
     * expected failure during an outage, logged without a stack trace.
     */
    public static boolean unavailable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause() != null ? t.getCause() : next(t)) {
            if (t instanceof java.sql.SQLTransientConnectionException
                    || t instanceof java.sql.SQLNonTransientConnectionException
                    || t instanceof java.sql.SQLRecoverableException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                // 08: connection exception; 57P0x: admin/crash shutdown, cannot connect now; 53300: too many
                // connections.
                if (state.startsWith("08") || state.startsWith("57P0") || state.equals("53300")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Throwable next(Throwable t) {
        return t instanceof SQLException s ? s.getNextException() : null;
    }

    /** Throws when no connection can be had within the configured timeout. */
    public void probe() throws SQLException {
        try (Connection c = pool.getConnection()) {
            if (!c.isValid(2)) {
                throw new SQLException("connection not valid");
            }
        }
    }

    /** {@code postgresql} or {@code h2}: the span attribute {@code pipeline.backend}. */
    public String backend() {
        return postgres ? "postgresql" : "h2";
    }

    /** An insert into {@code analytics_events} that does nothing when the event id is already there. */
    public String idempotentAnalyticsInsert() {
        String columns = "(event_id, event_type, source, occurred_at, received_at, payload_bytes, storage_key)";
        return postgres
                ? "INSERT INTO analytics_events " + columns
                        + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING"
                : "MERGE INTO analytics_events " + columns + " KEY (event_id) VALUES (?, ?, ?, ?, ?, ?, ?)";
    }

    /** An insert into {@code audit_events} that does nothing when the event id is already there. */
    public String idempotentAuditInsert() {
        String columns = "(event_id, source, occurred_at, received_at, actor_id, action, resource, outcome, error,"
                + " request_id, trace_id, security)";
        return postgres
                ? "INSERT INTO audit_events " + columns
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING"
                : "MERGE INTO audit_events " + columns + " KEY (event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    }

    /** Whether {@code e} is a unique-key violation (SQLSTATE 23505 in both dialects). */
    public static boolean isDuplicate(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    private void ensureSchema() throws SQLException {
        if (schemaReady) {
            return;
        }
        synchronized (this) {
            if (schemaReady) {
                return;
            }
            // On the bare pool: start-up DDL is no traffic worth a span or a metric.
            try (Connection c = pool.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS events (event_id VARCHAR(36) PRIMARY KEY,"
                        + " idempotency_key VARCHAR(255) UNIQUE, request_hash VARCHAR(64) NOT NULL,"
                        + " event_type VARCHAR(64) NOT NULL, source VARCHAR(64) NOT NULL,"
                        + " received_at TIMESTAMP WITH TIME ZONE NOT NULL, storage_key VARCHAR(255) NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS analytics_events (event_id VARCHAR(36) PRIMARY KEY,"
                        + " event_type VARCHAR(64) NOT NULL, source VARCHAR(64) NOT NULL,"
                        + " occurred_at TIMESTAMP WITH TIME ZONE, received_at TIMESTAMP WITH TIME ZONE NOT NULL,"
                        + " payload_bytes INTEGER NOT NULL, storage_key VARCHAR(255) NOT NULL)");
                // identity-service's audit trail as the consumer read it (received_at: when it was consumed).
                s.execute("CREATE TABLE IF NOT EXISTS audit_events (event_id VARCHAR(36) PRIMARY KEY,"
                        + " source VARCHAR(64) NOT NULL, occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,"
                        + " received_at TIMESTAMP WITH TIME ZONE NOT NULL, actor_id VARCHAR(255),"
                        + " action VARCHAR(64) NOT NULL, resource VARCHAR(255), outcome VARCHAR(32) NOT NULL,"
                        + " error VARCHAR(1024), request_id VARCHAR(255), trace_id VARCHAR(32),"
                        + " security BOOLEAN NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS event_outbox (event_id VARCHAR(36) PRIMARY KEY,"
                        + " message VARCHAR(4096) NOT NULL, traceparent VARCHAR(64),"
                        + " created_at TIMESTAMP WITH TIME ZONE NOT NULL, attempts INTEGER NOT NULL,"
                        + " next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL)");
            }
            schemaReady = true;
        }
    }

    /** Closes the pool. */
    @Override
    public void close() {
        pool.close();
    }
}
