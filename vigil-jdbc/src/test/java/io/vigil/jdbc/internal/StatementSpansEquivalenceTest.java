package io.vigil.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.api.internal.SemconvStability;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.Operation;
import io.vigil.core.Vigil;
import io.vigil.jdbc.VigilJdbc;
import io.vigil.test.MetricSamples;
import io.vigil.test.TestDatabase;
import io.vigil.test.VigilExtension;
import java.sql.BatchUpdateException;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link VigilJdbc#wrap}'s one layer ({@link InstrumentedDataSource}: {@link StatementSpans} and {@link
 * StatementMetrics} around the driver's call) gives the telemetry the two layers before issue 17 gave: the
 * OpenTelemetry JDBC library's wrapper ({@code JdbcTelemetry}, its {@code Instrumenter}) around the proxies of {@link
 * ProxyStatementMetrics}. Each statement shape below runs on both, each with its own Vigil runtime, on the same
 * database (real H2 and PostgreSQL, the table reset before each run); their client spans must agree in name, kind,
 * parent, scope, attributes, status and events (exception type, message and trace's first line; the frames differ by
 * the wrappers'), and their metrics in every counter and count, with the duration's exemplar the statement's span.
 */
class StatementSpansEquivalenceTest {
    private static final Operation REGISTER = DatabaseOperation.of("register", "accounts", "register_accounts");

    @RegisterExtension
    final VigilExtension reference = VigilExtension.create();

    @RegisterExtension
    final VigilExtension direct = VigilExtension.create();

    private final List<Runnable> cleanUps = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        cleanUps.reversed().forEach(Runnable::run);
    }

    /** What the shape's statements run under. */
    enum Parent {
        NONE,
        SPAN,
        OPERATION
    }

    @FunctionalInterface
    interface Action {
        void run(Connection c) throws SQLException;
    }

    record Shape(String name, boolean sanitize, Parent parent, Action action) {}

    static Stream<Arguments> shapes() {
        List<Shape> shapes = List.of(
                new Shape("Statement.executeQuery", true, Parent.SPAN, c -> {
                    try (Statement s = c.createStatement();
                            ResultSet rs = s.executeQuery("SELECT body FROM notes WHERE id = 1")) {
                        assertThat(rs.next()).isTrue();
                    }
                }),
                new Shape("Statement.executeUpdate with literals", true, Parent.NONE, c -> {
                    try (Statement s = c.createStatement()) {
                        s.executeUpdate("INSERT INTO notes (id, body) VALUES (10, 'alice@example.com secret')");
                    }
                }),
                new Shape("Statement.executeUpdate with literals, sanitization off", false, Parent.SPAN, c -> {
                    try (Statement s = c.createStatement()) {
                        s.executeUpdate("INSERT INTO notes (id, body) VALUES (10, 'alice@example.com secret')");
                    }
                }),
                new Shape("Statement.execute", true, Parent.OPERATION, c -> {
                    try (Statement s = c.createStatement()) {
                        s.execute("UPDATE notes SET body = 'x' WHERE id = 1");
                    }
                }),
                new Shape("Statement.executeLargeUpdate", true, Parent.SPAN, c -> {
                    try (Statement s = c.createStatement()) {
                        s.executeLargeUpdate("DELETE FROM notes WHERE id = 2");
                    }
                }),
                new Shape("PreparedStatement.executeQuery with parameters", true, Parent.SPAN, c -> {
                    try (PreparedStatement ps =
                            c.prepareStatement("SELECT body FROM notes WHERE id = ? AND body <> ?")) {
                        ps.setInt(1, 1);
                        ps.setString(2, "zzz");
                        try (ResultSet rs = ps.executeQuery()) {
                            assertThat(rs.next()).isTrue();
                        }
                        // executed twice: the second from the cached description
                        ps.setInt(1, 2);
                        try (ResultSet rs = ps.executeQuery()) {
                            assertThat(rs.next()).isTrue();
                        }
                    }
                }),
                new Shape("PreparedStatement.executeUpdate, sanitization off", false, Parent.NONE, c -> {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE notes SET body = ? WHERE id = 1")) {
                        ps.setString(1, "new");
                        ps.executeUpdate();
                    }
                }),
                new Shape("PreparedStatement.execute with a literal", true, Parent.OPERATION, c -> {
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM notes WHERE id = ? OR body = 'one'")) {
                        ps.setInt(1, 2);
                        ps.execute();
                    }
                }),
                new Shape("CallableStatement", true, Parent.SPAN, c -> {
                    try (CallableStatement cs = c.prepareCall("SELECT UPPER(?)")) {
                        cs.setString(1, "abc");
                        try (ResultSet rs = cs.executeQuery()) {
                            assertThat(rs.next()).isTrue();
                        }
                    }
                }),
                new Shape("Statement batch of two", true, Parent.SPAN, c -> {
                    try (Statement s = c.createStatement()) {
                        s.addBatch("INSERT INTO notes (id, body) VALUES (20, 'a')");
                        s.addBatch("UPDATE notes SET body = 'b' WHERE id = 1");
                        assertThat(s.executeBatch()).hasSize(2);
                    }
                }),
                new Shape("Statement batch of one, sanitization off", false, Parent.NONE, c -> {
                    try (Statement s = c.createStatement()) {
                        s.addBatch("INSERT INTO notes (id, body) VALUES (21, 'a')");
                        assertThat(s.executeBatch()).hasSize(1);
                    }
                }),
                new Shape("PreparedStatement batch of three", true, Parent.OPERATION, c -> {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO notes (id, body) VALUES (?, ?)")) {
                        for (int id = 30; id < 33; id++) {
                            ps.setInt(1, id);
                            ps.setString(2, "n" + id);
                            ps.addBatch();
                        }
                        assertThat(ps.executeBatch()).hasSize(3);
                    }
                }),
                new Shape("PreparedStatement batch with a duplicate key", true, Parent.SPAN, c -> {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO notes (id, body) VALUES (?, ?)")) {
                        ps.setInt(1, 40);
                        ps.setString(2, "ok");
                        ps.addBatch();
                        ps.setInt(1, 1);
                        ps.setString(2, "taken");
                        ps.addBatch();
                        expectFailure(ps::executeBatch, BatchUpdateException.class);
                    }
                }),
                new Shape("a failing statement", true, Parent.SPAN, c -> {
                    try (Statement s = c.createStatement()) {
                        expectFailure(() -> s.executeQuery("SELECT nothing FROM notes"), SQLException.class);
                    }
                }),
                new Shape("a failing statement without a parent", true, Parent.NONE, c -> {
                    try (Statement s = c.createStatement()) {
                        expectFailure(() -> s.execute("UPDATE missing_table SET x = 1"), SQLException.class);
                    }
                }),
                new Shape("a constraint violation", true, Parent.OPERATION, c -> {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO notes (id, body) VALUES (?, ?)")) {
                        ps.setInt(1, 1);
                        ps.setString(2, "again");
                        expectFailure(ps::executeUpdate, SQLException.class);
                    }
                }));
        return Stream.of("h2", "postgresql")
                .flatMap(db -> shapes.stream().map(s -> Arguments.of(db + ": " + s.name(), db, s)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void theTelemetryIsTheOneTheLibraryWrapperAndTheProxiesMade(String name, String db, Shape shape)
            throws SQLException {
        HikariDataSource pool = pool(db);
        Vigil old = reference.runtime();
        DataSource before = JdbcTelemetry.builder(old.openTelemetry())
                .setQuerySanitizationEnabled(shape.sanitize())
                .build()
                .wrap(new ProxyStatementMetrics(old.operations()::recordMetrics).wrap(pool));
        DataSource after = VigilJdbc.builder(direct.runtime())
                .querySanitization(shape.sanitize())
                .poolMetrics(false)
                .build()
                .wrap(pool);

        reset(pool);
        run(old, before, shape);
        reset(pool);
        run(direct.runtime(), after, shape);

        List<SpanData> expected = clientSpans(reference);
        List<SpanData> actual = clientSpans(direct);
        assertThat(actual).hasSameSizeAs(expected).isNotEmpty();
        for (int i = 0; i < expected.size(); i++) {
            SpanData e = expected.get(i);
            SpanData a = actual.get(i);
            assertThat(a.getName()).as("name").isEqualTo(e.getName());
            assertThat(a.getKind()).isEqualTo(SpanKind.CLIENT).isEqualTo(e.getKind());
            assertThat(a.getInstrumentationScopeInfo()).isEqualTo(e.getInstrumentationScopeInfo());
            assertThat(a.getAttributes().asMap())
                    .as("attributes")
                    .isEqualTo(e.getAttributes().asMap());
            assertThat(a.getTotalAttributeCount()).isEqualTo(e.getTotalAttributeCount());
            assertThat(a.getStatus()).as("status").isEqualTo(e.getStatus());
            assertThat(events(a)).as("events").isEqualTo(events(e));
            assertThat(a.getLinks()).isEqualTo(e.getLinks());
            assertThat(parentName(direct, a)).as("parent").isEqualTo(parentName(reference, e));
            assertThat(a.getParentSpanContext().isValid()).isEqualTo(shape.parent() != Parent.NONE);
        }

        // Exemplars first: a collection hands each bucket's exemplar out once. How many there are depends on the
        // durations (one per bucket), so each side must have some, and each one must be a statement's span.
        List<String> exemplarsBefore = exemplarSpans(reference);
        List<String> exemplarsAfter = exemplarSpans(direct);
        assertThat(exemplarsAfter)
                .as("duration exemplars: the statements' spans")
                .isNotEmpty()
                .allSatisfy(
                        id -> assertThat(actual).extracting(SpanData::getSpanId).contains(id));
        assertThat(exemplarsBefore)
                .isNotEmpty()
                .allSatisfy(id ->
                        assertThat(expected).extracting(SpanData::getSpanId).contains(id));
        MetricSamples m0 = reference.metrics();
        MetricSamples m1 = direct.metrics();
        assertThat(counts(m1)).as("metric points").isEqualTo(counts(m0)).isNotEmpty();
        // Which conventions ran (the pom runs this class under both): the stable ones add their own duration metric.
        boolean stable = SemconvStability.emitStableDatabaseSemconv();
        assertThat(stable)
                .isEqualTo(String.valueOf(System.getProperty("otel.semconv-stability.opt-in"))
                        .contains("database"));
        assertThat(actual.getFirst().getAttributes().asMap().keySet())
                .extracting(AttributeKey::getKey)
                .contains(stable ? "db.system.name" : "db.system");
        assertThat(counts(m1).keySet().stream().anyMatch(k -> k.startsWith("db_client_operation_duration")))
                .isEqualTo(stable);
        if (shape.sanitize()) {
            assertThat(direct.everything()).doesNotContain("alice@example.com");
        }
    }

    @Test
    void theShapesCoverWhatTheBehaviourDistinguishes() {
        List<Shape> shapes = shapes().map(a -> (Shape) a.get()[2]).toList();
        assertThat(shapes).anyMatch(s -> !s.sanitize());
        assertThat(shapes).extracting(Shape::parent).contains(Parent.values());
        assertThat(shapes)
                .extracting(Shape::name)
                .anyMatch(n -> n.contains("batch"))
                .anyMatch(n -> n.contains("constraint"));
    }

    private void run(Vigil vigil, DataSource db, Shape shape) throws SQLException {
        switch (shape.parent()) {
            case NONE -> {
                try (Connection c = db.getConnection()) {
                    shape.action().run(c);
                }
            }
            case SPAN -> {
                Span parent = vigil.openTelemetry()
                        .getTracer("test")
                        .spanBuilder("parent")
                        .startSpan();
                try (Scope ignored = parent.makeCurrent();
                        Connection c = db.getConnection()) {
                    shape.action().run(c);
                } finally {
                    parent.end();
                }
            }
            case OPERATION -> {
                SQLException[] thrown = new SQLException[1];
                vigil.operations().run(REGISTER, op -> {
                    try (Connection c = db.getConnection()) {
                        shape.action().run(c);
                    } catch (SQLException e) {
                        thrown[0] = e;
                    }
                });
                if (thrown[0] != null) {
                    throw thrown[0];
                }
            }
        }
    }

    private HikariDataSource pool(String db) {
        HikariConfig hc = new HikariConfig();
        if (db.equals("h2")) {
            hc.setJdbcUrl("jdbc:h2:mem:eq" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        } else {
            String url = TestDatabase.freshPostgresSchema("vigil_jdbc_eq_");
            cleanUps.add(() -> TestDatabase.dropPostgresSchema(url));
            hc.setJdbcUrl(url);
            hc.setUsername(TestDatabase.PG_USER);
        }
        hc.setPoolName("eq");
        hc.setMaximumPoolSize(2);
        HikariDataSource pool = new HikariDataSource(hc);
        cleanUps.add(pool::close);
        return pool;
    }

    /** The table as every shape starts: rows 1 and 2; on the bare pool, so it makes no telemetry. */
    private static void reset(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS notes");
            s.execute("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(200))");
            s.execute("INSERT INTO notes (id, body) VALUES (1, 'one'), (2, 'two')");
        }
    }

    @FunctionalInterface
    interface Call {
        Object call() throws SQLException;
    }

    private static void expectFailure(Call call, Class<? extends SQLException> type) {
        try {
            call.call();
        } catch (SQLException e) {
            assertThat((Throwable) e).isInstanceOf(type);
            return;
        }
        throw new AssertionError("expected " + type.getSimpleName());
    }

    private static List<SpanData> clientSpans(VigilExtension telemetry) {
        return telemetry.spans().stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT)
                .toList();
    }

    private static String parentName(VigilExtension telemetry, SpanData span) {
        if (!span.getParentSpanContext().isValid()) {
            return null;
        }
        assertThat(span.getTraceId()).isEqualTo(span.getParentSpanContext().getTraceId());
        return telemetry.spans().stream()
                .filter(s -> s.getSpanId().equals(span.getParentSpanId()))
                .map(SpanData::getName)
                .findFirst()
                .orElse("(not ended here)");
    }

    /** Each event's name and attributes, the stack trace cut to its first line (the frames are the wrappers'). */
    private static List<Map<String, Object>> events(SpanData span) {
        List<Map<String, Object>> events = new ArrayList<>();
        for (EventData e : span.getEvents()) {
            Map<String, Object> m = new TreeMap<>();
            m.put("name", e.getName());
            e.getAttributes()
                    .forEach((k, v) -> m.put(
                            k.getKey(), k.getKey().equals("exception.stacktrace") ? firstLine(String.valueOf(v)) : v));
            // The attributes, not how many were put: Vigil's span gives recordException the scrubbed message and stack
            // trace, which take the place of the SDK's raw ones (two puts more in the event's count). These statements'
            // errors hold nothing the privacy rules change, so the texts must agree.
            events.add(m);
        }
        return events;
    }

    private static String firstLine(String s) {
        int eol = s.indexOf('\n');
        return (eol < 0 ? s : s.substring(0, eol)).strip();
    }

    /** Every counter and count of the scrape: (name, labels) → value; durations' buckets and sums are timings. */
    private static Map<String, Double> counts(MetricSamples m) {
        Map<String, Double> counts = new TreeMap<>();
        for (MetricSamples.Sample s : m.all()) {
            if (s.name().endsWith("_total") || s.name().endsWith("_count")) {
                counts.put(s.name() + new TreeMap<>(s.labels()), s.value());
            }
        }
        return counts;
    }

    private static final Pattern SPAN_ID = Pattern.compile("span_id=\"([0-9a-f]{16})\"");

    /**
     * The span ids of the exemplars on {@code database_operation_duration_seconds}, but the parent operation's own
     * (table {@code accounts}, a database operation too, whose exemplar is its span).
     */
    private static List<String> exemplarSpans(VigilExtension telemetry) {
        String text = telemetry
                .runtime()
                .metricsEndpoint()
                .scrape("application/openmetrics-text; version=1.0.0")
                .text();
        List<String> ids = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("database_operation_duration_seconds_bucket") && !line.contains("table=\"accounts\"")) {
                Matcher matcher = SPAN_ID.matcher(line);
                if (matcher.find()) {
                    ids.add(matcher.group(1));
                }
            }
        }
        return ids;
    }
}
