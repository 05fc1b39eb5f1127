package io.vigil.identity.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL for the {@code users} table; every method runs on the caller's connection (transaction). The
 * telemetry is the data source's (vigil-jdbc): a span per statement and the contract's {@code
 * database_operations_total{operation,table="users",status}} (a unique violation is a failure),
 * {@code database_operation_duration_seconds} and {@code db_errors_total}.
 */
public final class UserStore {
    private static final String COLUMNS = "id, email, full_name, role, active, password_hash, failed_attempts,"
            + " locked_until, tokens_valid_after, session_version, created_at, updated_at";

    /** SQL on the caller's connections; stateless. */
    public UserStore() {}

    public Optional<User> byId(Connection c, String id, boolean forUpdate) throws SQLException {
        return one(c, "SELECT " + COLUMNS + " FROM users WHERE id = ?" + (forUpdate ? " FOR UPDATE" : ""), id);
    }

    public Optional<User> byEmail(Connection c, String email) throws SQLException {
        return one(c, "SELECT " + COLUMNS + " FROM users WHERE email = ?", email);
    }

    /**
     * Locks the rows of every active administrator, in id order (so concurrent callers cannot
     * deadlock), and returns their ids.
     */
    public List<String> lockActiveAdmins(Connection c) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT id FROM users WHERE role = ? AND active = TRUE ORDER BY id FOR UPDATE")) {
            ps.setString(1, Role.ADMIN.wireName());
            try (ResultSet rs = ps.executeQuery()) {
                List<String> ids = new ArrayList<>();
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
                return ids;
            }
        }
    }

    public void insert(Connection c, User u) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("INSERT INTO users (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, u.id());
            ps.setString(2, u.email());
            ps.setString(3, u.fullName());
            ps.setString(4, u.role().wireName());
            ps.setBoolean(5, u.active());
            ps.setString(6, u.passwordHash());
            ps.setInt(7, u.failedAttempts());
            setTime(ps, 8, u.lockedUntil());
            setTime(ps, 9, u.tokensValidAfter());
            ps.setLong(10, u.sessionVersion());
            setTime(ps, 11, u.createdAt());
            setTime(ps, 12, u.updatedAt());
            ps.executeUpdate();
        }
    }

    /** Writes every mutable column of {@code u}. */
    public void update(Connection c, User u) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE users SET email = ?, full_name = ?, role = ?,"
                + " active = ?, password_hash = ?, failed_attempts = ?, locked_until = ?, tokens_valid_after = ?,"
                + " session_version = ?, updated_at = ? WHERE id = ?")) {
            ps.setString(1, u.email());
            ps.setString(2, u.fullName());
            ps.setString(3, u.role().wireName());
            ps.setBoolean(4, u.active());
            ps.setString(5, u.passwordHash());
            ps.setInt(6, u.failedAttempts());
            setTime(ps, 7, u.lockedUntil());
            setTime(ps, 8, u.tokensValidAfter());
            ps.setLong(9, u.sessionVersion());
            setTime(ps, 10, u.updatedAt());
            ps.setString(11, u.id());
            ps.executeUpdate();
        }
    }

    public boolean delete(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM users WHERE id = ?")) {
            ps.setString(1, id);
            return ps.executeUpdate() == 1;
        }
    }

    public List<User> page(Connection c, int offset, int limit) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT " + COLUMNS + " FROM users ORDER BY created_at, id LIMIT ? OFFSET ?")) {
            ps.setInt(1, limit);
            ps.setInt(2, offset);
            try (ResultSet rs = ps.executeQuery()) {
                List<User> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(map(rs));
                }
                return out;
            }
        }
    }

    public long count(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM users");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Optional<User> one(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    private static User map(ResultSet rs) throws SQLException {
        return new User(
                rs.getString("id"),
                rs.getString("email"),
                rs.getString("full_name"),
                Role.parse(rs.getString("role")).orElse(Role.USER),
                rs.getBoolean("active"),
                rs.getString("password_hash"),
                rs.getInt("failed_attempts"),
                time(rs, "locked_until"),
                time(rs, "tokens_valid_after"),
                rs.getLong("session_version"),
                time(rs, "created_at"),
                time(rs, "updated_at"));
    }

    static void setTime(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(i, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(i, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
        }
    }

    static Instant time(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
