package io.vigil.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.vigil.core.Outcome;
import io.vigil.test.LogEvent;
import io.vigil.test.TestDatabase;
import io.vigil.test.VigilExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

/**
 * What vigil-audit promises, on one real database: the subclasses run it on PostgreSQL and on H2.
 * The class's database holds an application table and the audit table, migrated by Flyway from the
 * shipped location as the documentation says.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AuditContract {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private TestDatabase db;
    private JdbcAuditSink sink;
    private AuditLog audit;

    abstract TestDatabase newDatabase();

    @BeforeAll
    void database() {
        db = newDatabase();
        // The application's own table first: the audit migration goes into a non-empty schema.
        db.execute("CREATE TABLE accounts (id VARCHAR(36) PRIMARY KEY, name VARCHAR(100))");
        var result = Flyway.configure()
                .dataSource(db.dataSource())
                .locations(AuditSchema.FLYWAY_LOCATION)
                .table(AuditSchema.FLYWAY_HISTORY_TABLE)
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
        assertThat(result.migrationsExecuted).isEqualTo(1);
    }

    @AfterAll
    void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void auditLog() {
        sink = JdbcAuditSink.create(db.dataSource());
        audit = AuditLog.builder(telemetry.runtime()).sink(sink).build();
    }

    @AfterEach
    void clear() {
        audit.close();
        MDC.clear();
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }

    private long rows(String requestId) {
        return db.count("SELECT COUNT(*) FROM audit_log WHERE request_id = ?", requestId);
    }

    private double auditFailures() {
        return telemetry.metrics().value("vigil_telemetry_failures_total", Map.of("component", "audit"));
    }

    @Test
    void aRolledBackTransactionLeavesNoAuditRowAndACommittedOneHasTheRequestAndTraceIds() throws Exception {
        String rolledBack = "req-" + id();
        String committed = "req-" + id();
        var tracer = telemetry.runtime().openTelemetry().getTracer("test");
        Span span = tracer.spanBuilder("delete account").startSpan();
        try (Scope ignored = span.makeCurrent();
                Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            MDC.put("request_id", rolledBack);
            insertAccount(c, "gone");
            audit.record(c, "admin-1", "create_account", "account:gone", Outcome.SUCCESS, null);
            c.rollback();

            MDC.put("request_id", committed);
            insertAccount(c, "kept");
            AuditEntry written = audit.record(c, "admin-1", "create_account", "account:kept", Outcome.SUCCESS, null);
            assertThat(rows(committed))
                    .as("not visible to others before the commit")
                    .isZero();
            c.commit();
            assertThat(written.traceId()).isEqualTo(span.getSpanContext().getTraceId());
        } finally {
            span.end();
        }
        assertThat(rows(rolledBack)).isZero();
        assertThat(db.count("SELECT COUNT(*) FROM accounts WHERE id = 'gone'")).isZero();

        List<AuditEntry> done = sink.byRequest(committed);
        assertThat(done).singleElement().satisfies(e -> {
            assertThat(e.actorId()).isEqualTo("admin-1");
            assertThat(e.action()).isEqualTo("create_account");
            assertThat(e.resource()).isEqualTo("account:kept");
            assertThat(e.outcome()).isEqualTo(Outcome.SUCCESS);
            assertThat(e.error()).isNull();
            assertThat(e.requestId()).isEqualTo(committed);
            assertThat(e.traceId()).isEqualTo(span.getSpanContext().getTraceId());
        });
        assertThat(sink.byTrace(span.getSpanContext().getTraceId()))
                .extracting(AuditEntry::requestId)
                .containsExactly(committed);
        assertThat(auditFailures()).isZero();
    }

    @Test
    void aTransactionBoundToTheContextIsUsedWithoutPassingTheConnection() throws Exception {
        String requestId = "req-" + id();
        MDC.put("request_id", requestId);
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (Scope ignored = AuditLog.bindTransaction(c)) {
                audit.record("u-1", "rename_account", "account:1", Outcome.SUCCESS, null);
                audit.record("u-1", "rename_account", "account:2", Outcome.FAILURE, "not_found");
            }
            c.rollback();
            try (Scope ignored = AuditLog.bindTransaction(c)) {
                audit.record("u-1", "rename_account", "account:3", Outcome.SUCCESS, null);
            }
            c.commit();
        }
        assertThat(sink.byRequest(requestId)).extracting(AuditEntry::resource).containsExactly("account:3");
    }

    @Test
    void withoutATransactionTheEntryIsWrittenAtOnceAndEverythingARequestDidComesBackInOrder() throws Exception {
        String requestId = "req-" + id();
        MDC.put("request_id", requestId);
        audit.record("u-2", "login", "auth", Outcome.FAILURE, "invalid_credentials");
        audit.record("u-2", "login", "user:u-2", Outcome.SUCCESS, null);
        audit.record(null, "account_locked", "user:u-3", Outcome.SUCCESS, null);
        assertThat(sink.byRequest(requestId))
                .extracting(AuditEntry::action, AuditEntry::outcome, AuditEntry::error)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("login", Outcome.FAILURE, "invalid_credentials"),
                        org.assertj.core.groups.Tuple.tuple("login", Outcome.SUCCESS, null),
                        org.assertj.core.groups.Tuple.tuple("account_locked", Outcome.SUCCESS, null));
    }

    @Test
    void personalDataIsScrubbedInTheTableAndInTheLogEvent() throws Exception {
        String requestId = "req-" + id();
        MDC.put("request_id", requestId);
        audit.record(
                "mario@mushroom.example",
                "change_email",
                "user:luigi@mushroom.example",
                Outcome.FAILURE,
                "rejected password=hunter2 for card 4111 1111 1111 1111");
        String stored = sink.byRequest(requestId).toString();
        String logged = telemetry.logs(AuditLog.EVENT_TYPE).toString();
        for (String text : List.of(stored, logged)) {
            assertThat(text)
                    .contains("m***@mushroom.example", "l***@mushroom.example")
                    .doesNotContain("mario@", "luigi@", "hunter2", "4111 1111 1111 1111");
        }
    }

    @Test
    void eachEntryIsOneLogEventWithTheAuditFields() {
        String requestId = "req-" + id();
        var tracer = telemetry.runtime().openTelemetry().getTracer("test");
        Span span = tracer.spanBuilder("request").startSpan();
        try (Scope ignored = span.makeCurrent()) {
            MDC.put("request_id", requestId);
            audit.record("admin-1", "delete_user", "user:42", Outcome.FAILURE, "last_admin");
        } finally {
            span.end();
        }
        List<LogEvent> events = telemetry.logs(AuditLog.EVENT_TYPE);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.logger()).isEqualTo(AuditLog.LOGGER);
            assertThat(e.level()).isEqualTo("INFO");
            assertThat(e.fields())
                    .containsEntry("event_type", "audit")
                    .containsEntry("actor_id", "admin-1")
                    .containsEntry("action", "delete_user")
                    .containsEntry("resource", "user:42")
                    .containsEntry("outcome", "failure")
                    .containsEntry("error", "last_admin")
                    .containsEntry("request_id", requestId);
            assertThat(e.traceId()).isEqualTo(span.getSpanContext().getTraceId());
        });
    }

    @Test
    void aFailingSinkNeverBreaksTheCallersTransactionAndIsCounted() throws Exception {
        JdbcAuditSink missing = JdbcAuditSink.builder(db.dataSource())
                .table("no_such_audit_table")
                .build();
        AuditSink throwing = (entry, tx) -> {
            throw new IllegalStateException("sink down");
        };
        String requestId = "req-" + id();
        MDC.put("request_id", requestId);
        try (AuditLog broken = AuditLog.builder(telemetry.runtime())
                .sink(missing)
                .sink(throwing)
                .sink(sink)
                .build()) {
            String account = id();
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                AuditEntry e = broken.record(c, "u-9", "create_account", "account:" + account, Outcome.SUCCESS, null);
                assertThat(e.requestId()).isEqualTo(requestId);
                // The caller's transaction goes on (on PostgreSQL, only thanks to the savepoint).
                insertAccount(c, account);
                c.commit();
            }
            assertThat(db.count("SELECT COUNT(*) FROM accounts WHERE id = ?", account))
                    .isEqualTo(1);
            assertThat(rows(requestId)).as("the working sink still wrote").isEqualTo(1);
            assertThat(broken.failures()).isEqualTo(2);
            // Without a transaction too.
            broken.record("u-9", "read_account", "account:" + account, Outcome.SUCCESS, null);
            assertThat(broken.failures()).isEqualTo(4);
            assertThat(auditFailures()).isEqualTo(4);
        }
        assertThat(telemetry.logs())
                .filteredOn(e -> e.level().equals("WARN") && e.logger().equals(AuditLog.LOGGER))
                .as("one warning per outage")
                .hasSize(1);
    }

    @Test
    void overlongValuesAreCutToTheirColumns() throws Exception {
        String requestId = "req-" + id();
        MDC.put("request_id", requestId);
        audit.record("a".repeat(500), "x".repeat(100), "r".repeat(1000), Outcome.ERROR, "e".repeat(1000));
        assertThat(sink.byRequest(requestId)).singleElement().satisfies(e -> {
            assertThat(e.actorId()).hasSize(128);
            assertThat(e.action()).hasSize(64);
            assertThat(e.resource()).hasSize(256);
            assertThat(e.error()).hasSize(256);
        });
    }

    @Test
    void theShippedSqlIsTheMigrationAndTableNamesAreChecked() {
        assertThat(AuditSchema.createTableSql()).contains("CREATE TABLE audit_log", "audit_log_request_id");
        assertThatThrownBy(() -> JdbcAuditSink.builder(db.dataSource()).table("audit_log; DROP TABLE accounts"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void insertAccount(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO accounts (id, name) VALUES (?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, "n");
            ps.executeUpdate();
        }
    }
}
