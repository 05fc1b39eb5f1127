package io.vigil.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.jdbc.internal.SqlSummary;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The SQL verb and main table behind the {@code operation} and {@code table} labels. */
class SqlSummaryTest {
    static Stream<Arguments> statements() {
        return Stream.of(
                Arguments.of("SELECT id FROM users WHERE email = ?", "select", "users"),
                Arguments.of("select count(*) from public.Notes", "select", "notes"),
                Arguments.of("SELECT (SELECT max(x) FROM other_t) AS m FROM notes n", "select", "notes"),
                Arguments.of("SELECT * FROM (SELECT id FROM notes) q", "select", "none"),
                Arguments.of("SELECT 1", "select", "none"),
                Arguments.of(
                        "  -- comment\n/* another */ INSERT INTO \"Notes\" (a, b) VALUES ('from x', 2)",
                        "insert",
                        "Notes"),
                Arguments.of("UPDATE ONLY users SET name = 'into y' WHERE id = ?", "update", "users"),
                Arguments.of("DELETE FROM refresh_tokens WHERE expires_at < ?", "delete", "refresh_tokens"),
                Arguments.of("WITH recent AS (SELECT * FROM audit_log) SELECT * FROM recent", "select", "recent"),
                Arguments.of("WITH d AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM d", "insert", "b"),
                Arguments.of(
                        "MERGE INTO buckets USING dual ON (id = ?) WHEN MATCHED THEN UPDATE SET v = ?",
                        "merge",
                        "buckets"),
                Arguments.of("CREATE TABLE t (id INT)", "create", "none"),
                Arguments.of("{call refresh_stats(?)}", "call", "none"),
                Arguments.of("", "unknown", "none"),
                Arguments.of(null, "unknown", "none"));
    }

    @ParameterizedTest
    @MethodSource("statements")
    void verbAndMainTable(String sql, String operation, String table) {
        assertThat(SqlSummary.of(sql)).isEqualTo(new SqlSummary(operation, table));
    }
}
