package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.jdbc.VigilJdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.LoggerFactory;

/**
 * One statement as identity-service runs it: a connection from a HikariCP pool, a prepared {@code SELECT} by
 * primary key on a tiny in-memory H2 table, its one row read, everything closed. {@code instrumented} goes through
 * {@link VigilJdbc#wrap} (client span, {@code database_operation*} metrics), {@code plain} through the pool itself:
 * the difference is the JDBC telemetry's cost per statement, and {@code plain} is code a change to vigil-jdbc does
 * not touch (the yardstick of {@code PairedRatio jdbc}). {@code mode} as in {@code OperationBenchmark}; the spans
 * are roots (no parent), sampled at rate 1 or 0.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class JdbcBenchmark {
    static final String QUERY = "SELECT body FROM notes WHERE id = ?";

    @Param({"sampled", "unsampled", "off"})
    public String mode;

    private Vigil vigil;
    private HikariDataSource pool;
    private DataSource instrumented;

    @Setup(org.openjdk.jmh.annotations.Level.Trial)
    public void setUp() {
        ((LoggerContext) LoggerFactory.getILoggerFactory())
                .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                .setLevel(Level.WARN);
        vigil = Vigil.builder()
                .config(VigilConfig.builder()
                        .enabled(!mode.equals("off"))
                        .traceSampleRate(mode.equals("sampled") ? 1.0 : 0.0)
                        .build())
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (t, cfg) -> t.addSpanProcessor(BatchSpanProcessor.builder(BenchSupport.discardingExporter())
                                .build())))
                .build();
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:h2:mem:bench" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        hc.setPoolName("bench");
        hc.setMaximumPoolSize(1);
        pool = new HikariDataSource(hc);
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(200))");
            s.execute("INSERT INTO notes VALUES (1, 'one'), (2, 'two'), (3, 'three')");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        instrumented = VigilJdbc.create(vigil).wrap(pool);
    }

    @TearDown(org.openjdk.jmh.annotations.Level.Trial)
    public void tearDown() {
        pool.close();
        vigil.close();
    }

    @Benchmark
    public String instrumented() {
        return select(instrumented);
    }

    @Benchmark
    public String plain() {
        return select(pool);
    }

    private static String select(DataSource db) {
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement(QUERY)) {
            ps.setInt(1, 2);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
