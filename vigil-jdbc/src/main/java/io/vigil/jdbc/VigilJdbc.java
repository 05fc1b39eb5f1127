package io.vigil.jdbc;

import io.opentelemetry.api.OpenTelemetry;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.Operations;
import io.vigil.core.Vigil;
import io.vigil.jdbc.internal.HikariPoolGauges;
import io.vigil.jdbc.internal.InstrumentedDataSource;
import io.vigil.jdbc.internal.StatementMetrics;
import io.vigil.jdbc.internal.StatementSpans;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Database telemetry for any {@link DataSource}, in one call:
 *
 * <pre>{@code
 * DataSource db = VigilJdbc.create(vigil).wrap(hikariDataSource);
 * }</pre>
 *
 * <p>The returned data source gives:
 *
 * <ul>
 *   <li>a client span per statement as the OpenTelemetry JDBC library makes it (its semantic-convention
 *       code, its scope {@code io.opentelemetry.jdbc}, without its wrapper: one layer of Vigil's own), a
 *       child of the current span, with {@code db.system} (from the JDBC URL) and the statement text
 *       sanitised (literals replaced by {@code ?});
 *   <li>the contract's {@link DatabaseOperation} metrics per statement: {@code
 *       database_operations_total{operation,table,status}}, {@code
 *       database_operation_duration_seconds{operation,table}} (exemplar: the statement's span) and
 *       {@code db_errors_total{operation,error_type}}; {@code operation} is the SQL verb (select,
 *       insert, update, delete, else {@code other}), {@code table} the statement's main table (at
 *       most 128 distinct, then {@code other}; {@code none} without one). An integrity-constraint
 *       violation (SQLSTATE class 23) counts as {@code status=failure}, not as an error;
 *   <li>when the data source is (or wraps) a HikariCP {@code HikariDataSource}: the gauges {@code
 *       db_connections_active|idle|pending|max{pool}}, read from the pool's MXBean counters on
 *       collection, so a scrape never waits for (or takes) a connection.
 * </ul>
 *
 * <p>Metrics follow {@code METRICS_ENABLED} and {@code ENABLE_DATABASE_METRICS}. With observability
 * off ({@code ENABLE_OBSERVABILITY=false}) {@link #wrap} returns the data source itself, unwrapped: a
 * no-op wrapper would still mark each statement as running inside a database client span, and
 * another JDBC instrumentation underneath (the OpenTelemetry Java agent's on the driver) would then
 * suppress its own span as nested. A failure of the telemetry never fails a query. Instances are
 * immutable and thread-safe; wrap each data source once (its pool gauges are registered for the
 * life of the runtime).
 */
public final class VigilJdbc {
    private static final String SCOPE = "io.vigil.jdbc";
    private static final boolean HIKARI_PRESENT = classPresent("com.zaxxer.hikari.HikariDataSource");

    private final OpenTelemetry openTelemetry;
    private final Operations operations;
    private final boolean enabled;
    private final boolean poolMetricsEnabled;
    private final boolean querySanitization;
    private final boolean operationMetrics;
    private final boolean poolMetrics;
    private final String poolName;

    private VigilJdbc(Builder b) {
        this.openTelemetry = b.openTelemetry;
        this.operations = b.operations;
        this.enabled = b.enabled;
        this.poolMetricsEnabled = b.poolMetricsEnabled;
        this.querySanitization = b.querySanitization;
        this.operationMetrics = b.operationMetrics;
        this.poolMetrics = b.poolMetrics;
        this.poolName = b.poolName;
    }

    /** Database telemetry with the defaults, on {@code vigil}'s OpenTelemetry and operations. */
    public static VigilJdbc create(Vigil vigil) {
        return builder(vigil).build();
    }

    /** A builder on {@code vigil}'s OpenTelemetry, operations and metric switches. */
    public static Builder builder(Vigil vigil) {
        Objects.requireNonNull(vigil, "vigil");
        boolean metrics = vigil.config().metricsEnabled() && vigil.config().databaseMetricsEnabled();
        return new Builder(
                vigil.openTelemetry(), vigil.operations(), vigil.config().enabled(), metrics);
    }

    /**
     * A builder for an application that runs its own OpenTelemetry SDK: spans and pool gauges go to
     * {@code openTelemetry}, the operation metrics through {@code operations} (its own switches).
     */
    public static Builder builder(OpenTelemetry openTelemetry, Operations operations) {
        return new Builder(
                Objects.requireNonNull(openTelemetry, "openTelemetry"),
                Objects.requireNonNull(operations, "operations"),
                true,
                true);
    }

    /**
     * Returns {@code dataSource} instrumented (see the class comment); for a HikariCP pool it also
     * registers the pool gauges. The result passes every call to {@code dataSource}, and {@code
     * unwrap} reaches it (e.g. {@code unwrap(HikariDataSource.class)}). With observability off it is
     * {@code dataSource} itself. Close the pool itself as before. Thread-safe.
     */
    public DataSource wrap(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        if (!enabled) {
            // Not a no-op wrapper: it would still put a (non-recording) client span into the context of
            // every statement, under the instrumentation API's database-client span key, and the OpenTelemetry Java
            // agent's JDBC instrumentation
            // (which shares that span key through its instrumentation-API bridge) would then see the
            // driver's statement as nested in a client span and make no span of its own.
            return dataSource;
        }
        if (poolMetrics && poolMetricsEnabled && HIKARI_PRESENT) {
            var hikari = HikariPoolGauges.hikari(dataSource);
            if (hikari != null) {
                HikariPoolGauges.register(openTelemetry.getMeter(SCOPE), hikari, poolName);
            }
        }
        // One layer: the span (OpenTelemetry's JDBC semantic conventions) and the operation metrics around the
        // same driver call, the span current while the metrics are recorded (the histogram's exemplar).
        StatementMetrics metrics = operationMetrics ? new StatementMetrics(operations::recordMetrics) : null;
        return new InstrumentedDataSource(
                dataSource, new StatementSpans(openTelemetry, querySanitization, operations.scrubber()), metrics);
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, VigilJdbc.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "VigilJdbc{enabled=" + enabled + ", querySanitization=" + querySanitization + ", operationMetrics="
                + operationMetrics + ", poolMetrics=" + (poolMetrics && poolMetricsEnabled) + ", poolName=" + poolName
                + "}";
    }

    /** Configures a {@link VigilJdbc}; not thread-safe, {@link #build()} copies. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private final Operations operations;
        private final boolean enabled;
        private final boolean poolMetricsEnabled;
        private boolean querySanitization = true;
        private boolean operationMetrics = true;
        private boolean poolMetrics = true;
        private String poolName;

        private Builder(
                OpenTelemetry openTelemetry, Operations operations, boolean enabled, boolean poolMetricsEnabled) {
            this.openTelemetry = openTelemetry;
            this.operations = operations;
            this.enabled = enabled;
            this.poolMetricsEnabled = poolMetricsEnabled;
        }

        /**
         * Whether span statement texts have their literals replaced by {@code ?}. Default {@code
         * true}; turn off only where statements never carry personal data or secrets.
         */
        public Builder querySanitization(boolean enabled) {
            this.querySanitization = enabled;
            return this;
        }

        /** Whether each statement records the {@code database_operation*} metrics. Default {@code true}. */
        public Builder operationMetrics(boolean enabled) {
            this.operationMetrics = enabled;
            return this;
        }

        /** Whether a HikariCP pool gets the {@code db_connections_*} gauges. Default {@code true}. */
        public Builder poolMetrics(boolean enabled) {
            this.poolMetrics = enabled;
            return this;
        }

        /**
         * The {@code pool} label of the gauges. Default: HikariCP's pool name ({@code
         * HikariConfig.setPoolName}); keep it to a few fixed values per service.
         */
        public Builder poolName(String poolName) {
            this.poolName = Objects.requireNonNull(poolName, "poolName");
            return this;
        }

        /** The configured, immutable {@link VigilJdbc}. */
        public VigilJdbc build() {
            return new VigilJdbc(this);
        }
    }
}
