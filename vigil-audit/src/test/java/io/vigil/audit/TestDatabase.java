package io.vigil.audit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;

/** A private in-memory H2, or a fresh schema on the local PostgreSQL; empty. */
final class TestDatabase implements AutoCloseable {
    static final String PG_BASE = "jdbc:postgresql://127.0.0.1:5432/test";
    static final String PG_USER = "postgres";

    final DataSource dataSource;
    final String schema;

    private TestDatabase(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.schema = schema;
    }

    static TestDatabase h2() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:audit" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        return new TestDatabase(ds, null);
    }

    /** A new schema on 127.0.0.1:5432/test; skips the test when PostgreSQL is missing, fails in CI. */
    static TestDatabase postgres() {
        String schema = "audit_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(PG_BASE, PG_USER, "");
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            String why = "PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage();
            if (Boolean.getBoolean("vigil.require.servers")) {
                Assertions.fail(why);
            }
            Assumptions.abort(why);
        }
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(PG_BASE + "?currentSchema=" + schema);
        ds.setUser(PG_USER);
        return new TestDatabase(ds, schema);
    }

    void execute(String sql) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    long count(String sql, String... args) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (schema != null) {
            try (Connection c = DriverManager.getConnection(PG_BASE, PG_USER, "");
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (SQLException e) {
                // Best effort: a leftover schema does not affect other runs, which use their own.
            }
        } else {
            execute("shutdown");
        }
    }
}
