package io.vigil.jobs;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;

/** A database holding db-scheduler's table: a private in-memory H2, or a fresh schema on the local PostgreSQL. */
final class TestDatabase implements AutoCloseable {
    static final String PG_BASE = "jdbc:postgresql://127.0.0.1:5432/test";
    static final String PG_USER = "postgres";

    /** db-scheduler's PostgreSQL DDL (its documentation's {@code postgresql_tables.sql}). */
    private static final String POSTGRES_DDL = """
            create table scheduled_tasks (
              task_name text not null,
              task_instance text not null,
              task_data bytea,
              execution_time timestamp with time zone not null,
              picked boolean not null,
              picked_by text,
              last_success timestamp with time zone,
              last_failure timestamp with time zone,
              consecutive_failures int,
              last_heartbeat timestamp with time zone,
              version bigint not null,
              priority smallint,
              primary key (task_name, task_instance)
            );
            create index execution_time_idx on scheduled_tasks (execution_time);
            create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
            create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);
            """;

    private static final String H2_DDL = """
            create table scheduled_tasks (
              task_name varchar(100) not null,
              task_instance varchar(100) not null,
              task_data blob,
              execution_time timestamp with time zone not null,
              picked boolean not null,
              picked_by varchar(50),
              last_success timestamp with time zone,
              last_failure timestamp with time zone,
              consecutive_failures int,
              last_heartbeat timestamp with time zone,
              version bigint not null,
              priority smallint,
              primary key (task_name, task_instance)
            );
            create index execution_time_idx on scheduled_tasks (execution_time);
            """;

    final DataSource dataSource;
    private final String schema;

    private TestDatabase(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.schema = schema;
    }

    static TestDatabase h2() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:jobs" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        TestDatabase db = new TestDatabase(ds, null);
        db.execute(H2_DDL);
        return db;
    }

    /** A new schema on 127.0.0.1:5432/test; skips the test when PostgreSQL is missing, fails in CI. */
    static TestDatabase postgres() {
        String schema = "jobs_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
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
        TestDatabase db = new TestDatabase(ds, schema);
        db.execute(POSTGRES_DDL);
        return db;
    }

    void execute(String statements) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            for (String sql : statements.split(";")) {
                if (!sql.isBlank()) {
                    s.execute(sql);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Rows of db-scheduler's table for {@code task}. */
    int rows(String task) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("select count(*) from scheduled_tasks where task_name = '" + task + "'")) {
            rs.next();
            return rs.getInt(1);
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
