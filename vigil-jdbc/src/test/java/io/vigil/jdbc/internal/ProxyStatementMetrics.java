package io.vigil.jdbc.internal;

import io.vigil.core.DatabaseOperation;
import io.vigil.core.Operation;
import io.vigil.core.Operations;
import io.vigil.core.Outcome;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The statement metrics as they were before issue 17, kept for {@code StatementSpansEquivalenceTest}: JDK dynamic
 * proxies under the OpenTelemetry JDBC library's wrapper, every call through {@code Method.invoke}.
 *
 * <p>The original comment follows.
 *
 * <p>Times every statement execution of a {@link DataSource} and records it as the contract's {@link
 * DatabaseOperation} ({@code database_operations_total}, {@code
 * database_operation_duration_seconds}, {@code db_errors_total}) through {@link
 * Operations#recordMetrics}: metrics only, since the OpenTelemetry JDBC instrumentation wrapped
 * around this one makes the span (and is current while the statement runs, so the histogram's
 * exemplar is that span).
 *
 * <p>JDK dynamic proxies over the JDBC interfaces: every call passes to the driver's object
 * unchanged (including {@code unwrap}), only {@code execute*} calls are timed. A failure of the
 * telemetry is logged once per outage and counted, never thrown at the caller.
 */
public final class ProxyStatementMetrics {
    private static final Logger log = LoggerFactory.getLogger(ProxyStatementMetrics.class);
    // SQL texts are few in a service that prepares its statements; ad-hoc SQL with inlined values is
    // not cached past this bound (summarised on each call instead), so memory stays bounded.
    private static final int MAX_CACHED_STATEMENTS = 2048;
    private static final String CONSTRAINT_VIOLATION_CLASS = "23";

    /** Where a timed statement goes: {@link Operations#recordMetrics} outside tests. */
    @FunctionalInterface
    public interface Recorder {
        /** Records one statement; may throw, which the statement never sees. */
        void record(Operation operation, Outcome outcome, double seconds, String failureReason, Throwable error);
    }

    private final Recorder recorder;
    private final Map<String, Operation> bySql = new ConcurrentHashMap<>();
    private final AtomicBoolean failing = new AtomicBoolean();
    private final LongAdder failures = new LongAdder();

    /** Records through {@code recorder}, e.g. {@code operations::recordMetrics}. */
    public ProxyStatementMetrics(Recorder recorder) {
        this.recorder = recorder;
    }

    /** {@code dataSource} with every statement execution recorded. */
    public DataSource wrap(DataSource dataSource) {
        return proxy(DataSource.class, dataSource, new Handler(dataSource, null, null));
    }

    /** Telemetry failures so far (each one was swallowed; the query went on). */
    public long telemetryFailures() {
        return failures.sum();
    }

    /** The operation recorded for {@code sql}. */
    Operation operation(String sql) {
        Operation op = sql == null ? null : bySql.get(sql);
        if (op != null) {
            return op;
        }
        SqlSummary summary = SqlSummary.of(sql);
        op = DatabaseOperation.of(summary.operation(), summary.table(), summary.operation() + "_" + summary.table());
        if (sql != null && bySql.size() < MAX_CACHED_STATEMENTS) {
            bySql.putIfAbsent(sql, op);
        }
        return op;
    }

    private void record(String sql, long startNanos, Throwable failure) {
        try {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            Operation op = operation(sql);
            if (failure == null) {
                recorder.record(op, Outcome.SUCCESS, seconds, null, null);
            } else if (failure instanceof SQLException e
                    && e.getSQLState() != null
                    && e.getSQLState().startsWith(CONSTRAINT_VIOLATION_CLASS)) {
                // An integrity constraint refused the row: the caller's expected answer (e.g. "email
                // taken"), a failure like a domain refusal, not a database error.
                recorder.record(op, Outcome.FAILURE, seconds, "constraint_violation", null);
            } else {
                recorder.record(op, Outcome.ERROR, seconds, null, failure);
            }
            if (failing.compareAndSet(true, false)) {
                log.info("Database operation metrics are recorded again");
            }
        } catch (RuntimeException | LinkageError e) {
            failures.increment();
            if (failing.compareAndSet(false, true)) {
                log.warn("Recording database operation metrics failed; queries are unaffected: {}", e.toString());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Object target, InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(ProxyStatementMetrics.class.getClassLoader(), new Class<?>[] {type}, handler);
    }

    /** One handler type for the data source, its connections and their statements. */
    private final class Handler implements InvocationHandler {
        private final Object target;
        private final Connection connectionProxy; // for statements: what getConnection() answers
        private final String preparedSql; // for prepared and callable statements

        private String batchSql; // a plain Statement's first addBatch(sql), for its executeBatch

        Handler(Object target, Connection connectionProxy, String preparedSql) {
            this.target = target;
            this.connectionProxy = connectionProxy;
            this.preparedSql = preparedSql;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (method.getDeclaringClass() == Object.class) {
                return switch (name) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> call(method, args);
                };
            }
            if (target instanceof Statement) {
                if (name.startsWith("execute")) {
                    String sql = args != null && args.length > 0 && args[0] instanceof String s
                            ? s
                            : preparedSql != null ? preparedSql : batchSql;
                    long start = System.nanoTime();
                    Object result;
                    try {
                        result = call(method, args);
                    } catch (Throwable t) {
                        record(sql, start, t);
                        throw t;
                    }
                    record(sql, start, null);
                    return result;
                }
                if (name.equals("addBatch") && args != null && args.length == 1 && batchSql == null) {
                    batchSql = (String) args[0];
                } else if (name.equals("getConnection") && connectionProxy != null) {
                    call(method, args);
                    return connectionProxy;
                }
                return call(method, args);
            }
            Object result = call(method, args);
            Class<?> type = method.getReturnType();
            if (target instanceof DataSource && type == Connection.class && result != null) {
                Handler h = new Handler(result, null, null);
                return proxy(Connection.class, result, h);
            }
            if (target instanceof Connection && result instanceof Statement && isStatementType(type)) {
                String sql = args != null && args.length > 0 && args[0] instanceof String s ? s : null;
                return proxy(type, result, new Handler(result, (Connection) proxy, sql));
            }
            return result;
        }

        private static boolean isStatementType(Class<?> type) {
            return type == Statement.class || type == PreparedStatement.class || type == CallableStatement.class;
        }

        private Object call(Method method, Object[] args) throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
