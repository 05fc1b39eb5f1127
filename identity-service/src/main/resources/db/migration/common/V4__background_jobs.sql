-- db-scheduler's table (its postgresql_tables.sql, with VARCHAR keys: H2 cannot index TEXT, which
-- it stores as a CLOB). Every instance polls it; a job is picked by exactly one of them.
CREATE TABLE scheduled_tasks (
    task_name            VARCHAR(100) NOT NULL,
    task_instance        VARCHAR(250) NOT NULL,
    task_data            BYTEA,
    execution_time       TIMESTAMP WITH TIME ZONE NOT NULL,
    picked               BOOLEAN      NOT NULL,
    picked_by            VARCHAR(50),
    last_success         TIMESTAMP WITH TIME ZONE,
    last_failure         TIMESTAMP WITH TIME ZONE,
    consecutive_failures INTEGER,
    last_heartbeat       TIMESTAMP WITH TIME ZONE,
    version              BIGINT       NOT NULL,
    priority             SMALLINT,
    PRIMARY KEY (task_name, task_instance)
);

CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time);
CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
CREATE INDEX priority_execution_time_idx ON scheduled_tasks (priority DESC, execution_time ASC);

-- Security notifications (lockout, password change) delivered here when no NOTIFY_WEBHOOK_URL is
-- set. The id is the job's, so a job run again after a crash does not write it twice.
CREATE TABLE notification_outbox (
    id          VARCHAR(36)  PRIMARY KEY,
    event       VARCHAR(32)  NOT NULL,
    user_id     VARCHAR(36)  NOT NULL,
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
    request_id  VARCHAR(128),
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX notification_outbox_created_at ON notification_outbox (created_at);
