package io.vigil.jobs;

import io.vigil.test.TestDatabase;

/** A {@link TestDatabase} holding db-scheduler's table: a private in-memory H2, or a fresh schema on the local PostgreSQL. */
final class SchedulerTables {
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

    private SchedulerTables() {}

    static TestDatabase h2() {
        TestDatabase db = TestDatabase.h2("jobs");
        db.executeScript(H2_DDL);
        return db;
    }

    /** A new schema on 127.0.0.1:5432/test; skips the test when PostgreSQL is missing, fails in CI. */
    static TestDatabase postgres() {
        TestDatabase db = TestDatabase.postgres("jobs_");
        db.executeScript(POSTGRES_DDL);
        return db;
    }

    /** Rows of db-scheduler's table for {@code task}. */
    static int rows(TestDatabase db, String task) {
        return (int) db.count("select count(*) from scheduled_tasks where task_name = ?", task);
    }
}
