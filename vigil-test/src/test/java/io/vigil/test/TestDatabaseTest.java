package io.vigil.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** {@link TestDatabase} on H2 and on the local PostgreSQL (skipped without it, failing in CI). */
class TestDatabaseTest {
    @Test
    void anH2DatabaseIsPrivateAndGoneAfterClose() throws SQLException {
        TestDatabase db = TestDatabase.h2("kit");
        TestDatabase other = TestDatabase.h2("kit");
        assertThat(db.url()).startsWith("jdbc:h2:mem:kit").endsWith(";DB_CLOSE_DELAY=-1");
        assertThat(db.schema()).isNull();
        assertThat(db.user()).isNull();
        db.executeScript("create table t (id varchar(10)); insert into t values ('a'); insert into t values ('b')");
        assertThat(db.count("select count(*) from t where id = ?", "a")).isEqualTo(1);
        try (Connection c = db.dataSource().getConnection()) {
            assertThat(c.getMetaData().getURL()).startsWith("jdbc:h2:mem:kit");
        }
        assertThatThrownBy(() -> other.count("select count(*) from t")).isInstanceOf(IllegalStateException.class);
        db.close();
        other.close();
        // DB_CLOSE_DELAY=-1 kept it until the shutdown; a new connection now finds an empty database.
        try (TestDatabase again = TestDatabase.h2("kit")) {
            assertThatThrownBy(() -> again.count("select count(*) from t")).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void h2UrlOptionsComeBeforeTheCloseDelay() {
        assertThat(TestDatabase.h2Url("t", "MODE=PostgreSQL"))
                .matches("jdbc:h2:mem:t[0-9a-f]{32};MODE=PostgreSQL;DB_CLOSE_DELAY=-1");
    }

    @Test
    void aPostgresSchemaIsFreshAndDroppedOnClose() {
        String schema;
        try (TestDatabase db = TestDatabase.postgres("kit_")) {
            schema = db.schema();
            assertThat(schema).matches("kit_[0-9a-f]{16}");
            assertThat(db.url()).isEqualTo(TestDatabase.PG_BASE + "?currentSchema=" + schema);
            assertThat(db.user()).isEqualTo(TestDatabase.PG_USER);
            db.execute("create table t (id text)");
            assertThat(db.count("select count(*) from information_schema.tables where table_schema = ?", schema))
                    .isEqualTo(1);
        }
        try (TestDatabase probe = TestDatabase.postgres("kit_")) {
            assertThat(probe.count("select count(*) from information_schema.schemata where schema_name = ?", schema))
                    .isZero();
        }
    }
}
