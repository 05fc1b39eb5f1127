package io.vigil.jdbc.internal;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.jdbc.internal.DbRequest;
import io.opentelemetry.instrumentation.jdbc.internal.JdbcUtils;
import io.opentelemetry.instrumentation.jdbc.internal.dbinfo.DbInfo;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.Operation;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link DataSource} whose connections' statements are instrumented in one layer: around each {@code execute*} /
 * {@code executeBatch} call the client span ({@link StatementSpans}, when given) is started and current, the call is
 * timed with one {@code nanoTime} pair and recorded as the contract's database operation ({@link StatementMetrics},
 * when given), and the span ends. Plain delegating classes ({@link InstrumentedConnection}, {@link
 * InstrumentedStatement}, {@link InstrumentedPreparedStatement}, {@link InstrumentedCallableStatement}): no reflection,
 * every other call goes straight to the driver's object; {@code unwrap}/{@code isWrapperFor} reach the driver's
 * objects, a statement's {@code getConnection()} answers the wrapping connection.
 *
 * <p>What a statement's telemetry needs besides its text — the database's {@code DbInfo} (system, address, namespace,
 * user from the JDBC URL) — is read once, from the first connection, as the OpenTelemetry JDBC library's data source
 * did; what depends on the text (span name, start attributes, the operation's verb and table) once per SQL text, up
 * to {@value #MAX_CACHED_STATEMENTS} texts, then on each call (ad-hoc SQL with inlined values must not grow memory).
 * A failure of the telemetry never reaches the caller: the metrics' are counted and logged once per outage ({@link
 * StatementMetrics}), the spans' logged once.
 */
public final class InstrumentedDataSource implements DataSource, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InstrumentedDataSource.class);
    static final int MAX_CACHED_STATEMENTS = 2048;
    private static final Operation GET_CONNECTION = DatabaseOperation.of("other", "none", "get_connection");

    private final DataSource delegate;
    private final StatementSpans spans; // null: no spans
    private final StatementMetrics metrics; // null: no metrics
    private final Map<String, Sql> plainSql = new ConcurrentHashMap<>();
    private final Map<String, Sql> preparedSql = new ConcurrentHashMap<>();
    private final AtomicBoolean spansFailing = new AtomicBoolean();
    private volatile DbInfo dbInfo;

    /** {@code delegate} with spans from {@code spans} and metrics through {@code metrics}; either may be null. */
    public InstrumentedDataSource(DataSource delegate, StatementSpans spans, StatementMetrics metrics) {
        this.delegate = delegate;
        this.spans = spans;
        this.metrics = metrics;
    }

    @Override
    public Connection getConnection() throws SQLException {
        long start = System.nanoTime();
        try {
            return connection(delegate.getConnection());
        } catch (SQLException | RuntimeException e) {
            connectionFailed(start, e);
            throw e;
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        long start = System.nanoTime();
        try {
            return connection(delegate.getConnection(username, password));
        } catch (SQLException | RuntimeException e) {
            connectionFailed(start, e);
            throw e;
        }
    }

    /**
     * No connection (the database unreachable, the pool timed out): the statement that needed it never runs, so without
     * this a database outage left {@code db_errors_total} and the error ratio of {@code database_operations_total} flat.
     * Recorded as an operation {@code other} on no table, its error type the exception's (e.g. {@code
     * SQLTransientConnectionException}), its duration the wait.
     */
    private void connectionFailed(long startNanos, Exception e) {
        if (metrics != null) {
            metrics.record(GET_CONNECTION, startNanos, System.nanoTime(), e);
        }
    }

    private Connection connection(Connection connection) {
        if (spans != null && dbInfo == null) {
            // Once per data source, from its first connection (as the library's data source did): the URL comes
            // from the driver's metadata, so a pool's connection answers it too.
            try {
                dbInfo = JdbcUtils.computeDbInfo(connection);
            } catch (RuntimeException | LinkageError e) {
                spansFailed(e); // tried again with the next connection
            }
        }
        return new InstrumentedConnection(connection, this);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return delegate.isWrapperFor(iface);
    }

    /** Closes the wrapped data source when it can be closed (e.g. a pool), as the library's wrapper did. */
    @Override
    public void close() throws Exception {
        if (delegate instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    /**
     * What one SQL text's executions share: the span's name and start attributes (null without spans), the request
     * the span-end extractors read, and the operation its metrics are recorded as (null without metrics).
     */
    record Sql(StatementSpans.Description span, DbRequest request, Operation operation) {}

    /** The shared description of {@code text} executed as a plain ({@code prepared} false) or prepared statement. */
    Sql sql(String text, boolean prepared) {
        Map<String, Sql> cache = prepared ? preparedSql : plainSql;
        Sql sql = text == null ? null : cache.get(text);
        if (sql != null) {
            return sql;
        }
        sql = describe(text, prepared);
        if (text != null && sql != null && cache.size() < MAX_CACHED_STATEMENTS) {
            cache.putIfAbsent(text, sql);
        }
        return sql;
    }

    private Sql describe(String text, boolean prepared) {
        Operation operation = null;
        if (metrics != null) {
            try {
                operation = StatementMetrics.operation(text);
            } catch (RuntimeException | LinkageError e) {
                metrics.failed(e);
            }
        }
        StatementSpans.Description span = null;
        DbRequest request = null;
        if (spans != null) {
            try {
                request = DbRequest.create(dbInfo(), text, null, Map.of(), prepared);
                span = spans.describe(request);
            } catch (RuntimeException | LinkageError e) {
                spansFailed(e);
                request = null;
            }
        }
        return new Sql(span, request, operation);
    }

    private DbInfo dbInfo() {
        DbInfo info = dbInfo;
        return info != null ? info : DbInfo.DEFAULT;
    }

    /**
     * Starts the telemetry of one execution of {@code sql} (null when it could not be described); the caller calls
     * {@link Execution#end} exactly once, after the driver's call returned or threw.
     */
    Execution start(Sql sql) {
        if (sql == null) {
            return Execution.NONE;
        }
        return start(sql.span, sql.request, sql.operation);
    }

    /**
     * Starts the telemetry of one batch: a prepared statement's ({@code texts} its one SQL text, {@code prepared}
     * true) or a plain statement's ({@code texts} what {@code addBatch} added); {@code operation} is what its metrics
     * are recorded as (the prepared or the first added text's).
     */
    Execution startBatch(Collection<String> texts, long size, boolean prepared, Sql operation) {
        StatementSpans.Description span = null;
        DbRequest request = null;
        if (spans != null && StatementSpans.shouldStart(Context.current())) {
            try {
                request = DbRequest.create(dbInfo(), texts, size, Map.of(), prepared);
                span = spans.describe(request);
            } catch (RuntimeException | LinkageError e) {
                spansFailed(e);
                request = null;
            }
        }
        return start(span, request, operation != null ? operation.operation : null);
    }

    private Execution start(StatementSpans.Description span, DbRequest request, Operation operation) {
        Context context = null;
        if (span != null) {
            try {
                Context parent = Context.current();
                if (StatementSpans.shouldStart(parent)) {
                    context = spans.start(parent, span);
                }
            } catch (RuntimeException | LinkageError e) {
                spansFailed(e);
            }
        }
        if (context == null && operation == null) {
            return Execution.NONE;
        }
        // The driver's call alone is timed (after the span's start), for the metrics and any span-side duration.
        long start = System.nanoTime();
        Scope scope = null;
        if (context != null) {
            try {
                context = spans.timed(context, span, start);
            } catch (RuntimeException | LinkageError e) {
                spansFailed(e);
            }
            scope = context.makeCurrent();
        }
        return new Execution(this, context, scope, request, operation, start);
    }

    void end(Execution x, Throwable failure) {
        long end = System.nanoTime();
        if (x.operation != null) {
            metrics.record(x.operation, x.start, end, failure); // inside the span's scope: the exemplar
        }
        if (x.scope != null) {
            x.scope.close();
        }
        if (x.context != null) {
            try {
                spans.end(x.context, x.request, failure, end);
                if (spansFailing.get() && spansFailing.compareAndSet(true, false)) {
                    // Logged once per outage, as the metrics side does: the next outage gets its own warning.
                    log.info("Database statement spans are made again");
                }
            } catch (RuntimeException | LinkageError e) {
                spansFailed(e);
            }
        }
    }

    private void spansFailed(Throwable e) {
        if (spansFailing.compareAndSet(false, true)) {
            log.warn("Making a database statement span failed; queries are unaffected: {}", e.toString());
        }
    }

    /** One execution's telemetry in flight. */
    static final class Execution {
        static final Execution NONE = new Execution(null, null, null, null, null, 0);

        private final InstrumentedDataSource owner;
        private final Context context;
        private final Scope scope;
        private final DbRequest request;
        private final Operation operation;
        private final long start;

        private Execution(
                InstrumentedDataSource owner,
                Context context,
                Scope scope,
                DbRequest request,
                Operation operation,
                long start) {
            this.owner = owner;
            this.context = context;
            this.scope = scope;
            this.request = request;
            this.operation = operation;
            this.start = start;
        }

        /** Records the execution; {@code failure} is what the driver threw, null on success. Never throws. */
        void end(Throwable failure) {
            if (owner != null) {
                owner.end(this, failure);
            }
        }
    }
}
