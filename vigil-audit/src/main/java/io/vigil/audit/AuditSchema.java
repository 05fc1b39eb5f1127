package io.vigil.audit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The audit table's schema, shipped as a Flyway-compatible migration in this jar. With Flyway, apply
 * it with a history table of its own, so its version numbers never meet the application's:
 *
 * <pre>{@code
 * Flyway.configure()
 *         .dataSource(dataSource)
 *         .locations(AuditSchema.FLYWAY_LOCATION)
 *         .table(AuditSchema.FLYWAY_HISTORY_TABLE)
 *         .baselineOnMigrate(true)   // the schema already holds the application's tables
 *         .baselineVersion("0")
 *         .load()
 *         .migrate();
 * }</pre>
 *
 * or copy {@link #createTableSql()} into the application's own migrations. The SQL runs on
 * PostgreSQL and H2. "Everything request X did":
 *
 * <pre>{@code
 * SELECT occurred_at, actor_id, action, resource, outcome, error, trace_id
 *   FROM audit_log WHERE request_id = 'X' ORDER BY id;
 * }</pre>
 *
 * ({@link JdbcAuditSink#byRequest}).
 */
public final class AuditSchema {
    /** The Flyway location of the migrations: {@code classpath:io/vigil/audit/db/migration}. */
    public static final String FLYWAY_LOCATION = "classpath:io/vigil/audit/db/migration";

    /** The history table suggested for these migrations: {@code vigil_audit_schema_history}. */
    public static final String FLYWAY_HISTORY_TABLE = "vigil_audit_schema_history";

    /** The table the migration creates and {@link JdbcAuditSink} writes by default. */
    public static final String TABLE = "audit_log";

    private static final String V1 = "/io/vigil/audit/db/migration/V1__vigil_audit_log.sql";

    private AuditSchema() {}

    /** The SQL of the first migration (the {@code audit_log} table and its indexes). */
    public static String createTableSql() {
        try (InputStream in = AuditSchema.class.getResourceAsStream(V1)) {
            if (in == null) {
                throw new IllegalStateException(V1 + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
