package io.vigil.jdbc;

import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.test.MetricSamples;
import io.vigil.test.VigilExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What {@link VigilJdbc#wrap} emits, on one database; subclasses name the database. */
abstract class JdbcTelemetryContract {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private final List<HikariDataSource> pools = new ArrayList<>();

    /** A JDBC URL of a fresh, empty database. */
    abstract String freshUrl();

    /** The expected {@code db.system}. */
    abstract String dbSystem();

    /** Extra set-up of the pool (user name). */
    void configure(HikariConfig config) {}

    /** Drops what {@link #freshUrl()} made. */
    void cleanUp() {}

    HikariDataSource pool(String name, int size) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(freshUrlOnce());
        hc.setPoolName(name);
        hc.setMaximumPoolSize(size);
        hc.setMinimumIdle(size);
        hc.setConnectionTimeout(WAIT.toMillis() * 3);
        configure(hc);
        HikariDataSource pool = new HikariDataSource(hc);
        pools.add(pool);
        return pool;
    }

    private String url;

    private String freshUrlOnce() {
        if (url == null) {
            url = freshUrl();
        }
        return url;
    }

    @BeforeEach
    void schema() throws SQLException {
        try (HikariDataSource setup = pool("setup", 1);
                Connection c = setup.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(200))");
        }
    }

    @AfterEach
    void close() {
        pools.forEach(HikariDataSource::close);
        cleanUp();
    }

    @Test
    void statementsAreSanitisedClientSpansUnderTheCurrentSpan() throws SQLException {
        DataSource db = VigilJdbc.create(telemetry.runtime()).wrap(pool("spans", 2));
        Span parent = telemetry
                .runtime()
                .openTelemetry()
                .getTracer("test")
                .spanBuilder("parent")
                .startSpan();
        try (Scope ignored = parent.makeCurrent();
                Connection c = db.getConnection();
                Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO notes (id, body) VALUES (1, 'alice@example.com secret')");
        } finally {
            parent.end();
        }
        SpanData insert = telemetry.spans().stream()
                .filter(sp -> sp.getKind() == SpanKind.CLIENT)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no client span: " + telemetry.spans()));
        assertThat(insert.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
        assertThat(insert.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
        assertThat(insert.getAttributes().get(stringKey("db.system"))).isEqualTo(dbSystem());
        String statement = insert.getAttributes().get(stringKey("db.statement"));
        assertThat(statement).isEqualTo("INSERT INTO notes (id, body) VALUES (?, ?)");
        assertThat(telemetry.everything()).doesNotContain("alice@example.com").doesNotContain("secret");
    }

    @Test
    void aDriverErrorQuotingTheRefusedValueIsScrubbedInTheSpan() throws SQLException {
        DataSource db = VigilJdbc.create(telemetry.runtime()).wrap(pool("refused", 1));
        try (Connection c = db.getConnection()) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE people (email VARCHAR(200) PRIMARY KEY)");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO people (email) VALUES (?)")) {
                ps.setString(1, "jane.doe@example.com");
                ps.executeUpdate();
                // The database's message names the duplicate value; the application still gets it whole.
                assertThatThrownBy(ps::executeUpdate)
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("jane.doe@example.com");
            }
        }
        SpanData refused = telemetry.spans().stream()
                .filter(sp -> sp.getKind() == SpanKind.CLIENT && !sp.getEvents().isEmpty())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no failed client span: " + telemetry.spans()));
        assertThat(refused.getEvents()).singleElement().satisfies(e -> {
            assertThat(e.getName()).isEqualTo("exception");
            assertThat(e.getAttributes().get(stringKey("exception.type"))).endsWith("Exception");
            assertThat(e.getAttributes().get(stringKey("exception.message"))).contains("j***@example.com");
        });
        assertThat(telemetry.everything()).doesNotContain("jane.doe");
    }

    @Test
    void eachStatementRecordsTheDatabaseOperationMetrics() throws SQLException {
        DataSource db = VigilJdbc.create(telemetry.runtime()).wrap(pool("metrics", 2));
        try (Connection c = db.getConnection()) {
            for (int id = 1; id <= 2; id++) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO notes (id, body) VALUES (?, ?)")) {
                    ps.setInt(1, id);
                    ps.setString(2, "n" + id);
                    ps.executeUpdate();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT body FROM notes WHERE id = ?")) {
                ps.setInt(1, 2);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                }
            }
            // A duplicate key: refused by a constraint, a failure (not an error).
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO notes (id, body) VALUES (?, ?)")) {
                ps.setInt(1, 1);
                ps.setString(2, "again");
                assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class);
            }
            // A broken statement: an error, counted in db_errors_total.
            try (Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.executeQuery("SELECT nothing FROM notes"))
                        .isInstanceOf(SQLException.class);
            }
        }
        MetricSamples m = telemetry.metrics();
        assertThat(m.value(
                        "database_operations_total",
                        Map.of("operation", "insert", "table", "notes", "status", "success")))
                .isEqualTo(2);
        assertThat(m.value(
                        "database_operations_total",
                        Map.of("operation", "insert", "table", "notes", "status", "failure")))
                .isEqualTo(1);
        assertThat(m.value(
                        "database_operations_total",
                        Map.of("operation", "select", "table", "notes", "status", "success")))
                .isEqualTo(1);
        assertThat(m.value(
                        "database_operations_total",
                        Map.of("operation", "select", "table", "notes", "status", "error")))
                .isEqualTo(1);
        assertThat(m.value(
                        "database_operation_duration_seconds_count", Map.of("operation", "insert", "table", "notes")))
                .isEqualTo(3);
        List<MetricSamples.Sample> errors = m.named("db_errors_total");
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.labels()).containsEntry("operation", "select");
            assertThat(e.labels().get("error_type")).endsWith("Exception");
            assertThat(e.value()).isEqualTo(1);
        });
        // No label carries a statement's values.
        assertThat(m.text()).doesNotContain("again").doesNotContain("nothing");
    }

    @Test
    void poolGaugesCountHeldIdleAndMaximumConnections() throws SQLException {
        HikariDataSource pool = pool("gauges", 3);
        DataSource db = VigilJdbc.create(telemetry.runtime()).wrap(pool);
        try (Connection a = db.getConnection();
                Connection b = db.getConnection()) {
            await().atMost(WAIT).untilAsserted(() -> {
                MetricSamples m = telemetry.metrics();
                assertThat(m.value("db_connections_active", Map.of("pool", "gauges")))
                        .isEqualTo(2);
                assertThat(m.value("db_connections_idle", Map.of("pool", "gauges")))
                        .isEqualTo(1);
                assertThat(m.value("db_connections_max", Map.of("pool", "gauges")))
                        .isEqualTo(3);
                assertThat(m.value("db_connections_pending", Map.of("pool", "gauges")))
                        .isZero();
            });
        }
        assertThat(telemetry.metrics().value("db_connections_active", Map.of("pool", "gauges")))
                .isZero();
    }

    /**
     * Spring Boot builds its Hikari pool with setters and no name, and the pool starts at its first connection, when
     * Hikari names it HikariPool-N: the gauges were labelled {@code pool="null"}, read at wrap time.
     */
    @Test
    void aPoolNamedOnlyWhenItStartsIsLabelledWithThatName() throws SQLException {
        HikariDataSource lazy = new HikariDataSource();
        lazy.setJdbcUrl(freshUrlOnce());
        configure(lazy);
        pools.add(lazy);
        DataSource db = VigilJdbc.create(telemetry.runtime()).wrap(lazy);
        try (Connection c = db.getConnection()) {
            String name = lazy.getPoolName();
            assertThat(name).startsWith("HikariPool-");
            assertThat(telemetry.metrics().value("db_connections_active", Map.of("pool", name)))
                    .isEqualTo(1);
            assertThat(telemetry.metrics().text()).doesNotContain("pool=\"null\"");
        }
    }

    @Test
    void aScrapeDoesNotWaitForAnExhaustedPool() throws Exception {
        HikariDataSource pool = pool("exhausted", 2);
        DataSource db =
                VigilJdbc.builder(telemetry.runtime()).poolName("main").build().wrap(pool);
        Connection a = db.getConnection();
        Connection b = db.getConnection();
        CountDownLatch waiting = new CountDownLatch(1);
        // Threads of its own: the common pool may have a single thread on a small machine.
        ExecutorService threads = Executors.newFixedThreadPool(2);
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(
                () -> {
                    waiting.countDown();
                    try (Connection c = db.getConnection()) {
                        // got one once a connection was handed back
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                },
                threads);
        try {
            assertThat(waiting.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            await().atMost(WAIT)
                    .untilAsserted(() -> assertThat(
                                    telemetry.metrics().value("db_connections_pending", Map.of("pool", "main")))
                            .isEqualTo(1));
            // The scrape itself, bounded: it must answer while a thread is stuck waiting on the pool.
            MetricSamples m =
                    CompletableFuture.supplyAsync(telemetry::metrics, threads).get(5, TimeUnit.SECONDS);
            assertThat(m.value("db_connections_active", Map.of("pool", "main"))).isEqualTo(2);
            assertThat(m.value("db_connections_idle", Map.of("pool", "main"))).isZero();
            assertThat(m.value("db_connections_max", Map.of("pool", "main"))).isEqualTo(2);
            assertThat(waiter).isNotDone();
        } finally {
            a.close();
            b.close();
        }
        waiter.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        threads.shutdown();
    }
}
