package io.vigil.audit;

import io.vigil.core.Outcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Savepoint;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Writes audit entries to a table of the {@link AuditSchema} shape ({@code audit_log} by default).
 *
 * <ul>
 *   <li>Given the caller's connection in a transaction (auto-commit off), the row is inserted on it:
 *       it commits or rolls back with the change it records. The insert runs under a savepoint, so a
 *       failing insert is undone alone and the caller's transaction goes on (PostgreSQL would
 *       otherwise refuse every further statement of it).
 *   <li>Given a connection in auto-commit mode, the row is inserted on it at once.
 *   <li>Without a connection, the row is inserted on one of this sink's data source, in auto-commit.
 * </ul>
 *
 * Values longer than their column are cut to it. Thread-safe.
 */
public final class JdbcAuditSink implements AuditSink {
    private static final Pattern IDENTIFIER =
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");
    private static final String COLUMNS =
            "occurred_at, actor_id, action, resource, outcome, error, request_id, trace_id";

    private final DataSource dataSource;
    private final String table;
    private final String insert;

    private JdbcAuditSink(Builder b) {
        this.dataSource = b.dataSource;
        this.table = b.table;
        this.insert = "INSERT INTO " + table + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    }

    /** A sink writing to {@link AuditSchema#TABLE} through {@code dataSource}. */
    public static JdbcAuditSink create(DataSource dataSource) {
        return builder(dataSource).build();
    }

    /** Starts configuring a sink on {@code dataSource} (used when the caller passes no connection, and by the queries). */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** The table written. */
    public String table() {
        return table;
    }

    @Override
    public void write(AuditEntry entry, Connection transaction) throws SQLException {
        if (transaction == null) {
            try (Connection c = dataSource.getConnection()) {
                insert(c, entry);
                if (!c.getAutoCommit()) {
                    c.commit();
                }
            }
            return;
        }
        if (transaction.getAutoCommit()) {
            insert(transaction, entry);
            return;
        }
        Savepoint savepoint = transaction.setSavepoint();
        try {
            insert(transaction, entry);
        } catch (SQLException | RuntimeException e) {
            try {
                transaction.rollback(savepoint);
            } catch (SQLException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        try {
            transaction.releaseSavepoint(savepoint);
        } catch (SQLFeatureNotSupportedException ignored) {
            // Some drivers keep savepoints until the transaction ends; harmless.
        }
    }

    private void insert(Connection c, AuditEntry e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(insert)) {
            ps.setObject(1, OffsetDateTime.ofInstant(e.occurredAt(), ZoneOffset.UTC));
            setText(ps, 2, e.actorId(), 128);
            setText(ps, 3, e.action(), 64);
            setText(ps, 4, e.resource(), 256);
            setText(ps, 5, e.outcome().label(), 16);
            setText(ps, 6, e.error(), 256);
            setText(ps, 7, e.requestId(), 64);
            setText(ps, 8, e.traceId(), 32);
            ps.executeUpdate();
        }
    }

    private static void setText(PreparedStatement ps, int index, String value, int max) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, value.length() > max ? value.substring(0, max) : value);
        }
    }

    /** Every entry recorded in request {@code requestId}, in the order written (committed ones only). */
    public List<AuditEntry> byRequest(String requestId) throws SQLException {
        return query("request_id", Objects.requireNonNull(requestId, "requestId"));
    }

    /** Every entry recorded in trace {@code traceId} (32 hex digits), in the order written. */
    public List<AuditEntry> byTrace(String traceId) throws SQLException {
        return query("trace_id", Objects.requireNonNull(traceId, "traceId"));
    }

    private List<AuditEntry> query(String column, String value) throws SQLException {
        String sql = "SELECT " + COLUMNS + " FROM " + table + " WHERE " + column + " = ? ORDER BY id";
        List<AuditEntry> entries = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    entries.add(new AuditEntry(
                            rs.getObject(1, OffsetDateTime.class).toInstant(),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            outcome(rs.getString(5)),
                            rs.getString(6),
                            rs.getString(7),
                            rs.getString(8)));
                }
            }
        }
        return entries;
    }

    private static Outcome outcome(String label) {
        try {
            return Outcome.valueOf(label.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Outcome.ERROR;
        }
    }

    /** Configures a {@link JdbcAuditSink}. Not thread-safe. */
    public static final class Builder {
        private final DataSource dataSource;
        private String table = AuditSchema.TABLE;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /** The table ({@code name} or {@code schema.name}) of the {@link AuditSchema} shape; default {@code audit_log}. */
        public Builder table(String table) {
            if (table == null || !IDENTIFIER.matcher(table).matches()) {
                throw new IllegalArgumentException("not a table name: " + table);
            }
            this.table = table;
            return this;
        }

        /** The sink. */
        public JdbcAuditSink build() {
            return new JdbcAuditSink(this);
        }
    }
}
