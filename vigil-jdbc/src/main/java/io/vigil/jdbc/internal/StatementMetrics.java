package io.vigil.jdbc.internal;

import io.vigil.core.DatabaseOperation;
import io.vigil.core.Operation;
import io.vigil.core.Operations;
import io.vigil.core.Outcome;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records statement executions as the contract's {@link DatabaseOperation} ({@code database_operations_total}, {@code
 * database_operation_duration_seconds}, {@code db_errors_total}) through {@link Operations#recordMetrics}: metrics
 * only, the statement's span (when there is one) is made by {@link StatementSpans} and is current while this records,
 * so the histogram's exemplar is that span.
 *
 * <p>The delegating wrappers ({@link InstrumentedDataSource} and its connections and statements) time every {@code
 * execute*} call and hand it here with the statement's {@link Operation}, resolved once per SQL text. A failure of the
 * telemetry is logged once per outage and counted, never thrown at the caller.
 */
public final class StatementMetrics {
    private static final Logger log = LoggerFactory.getLogger(StatementMetrics.class);
    private static final String CONSTRAINT_VIOLATION_CLASS = "23";

    /** Where a timed statement goes: {@link Operations#recordMetrics} outside tests. */
    @FunctionalInterface
    public interface Recorder {
        /** Records one statement; may throw, which the statement never sees. */
        void record(Operation operation, Outcome outcome, double seconds, String failureReason, Throwable error);
    }

    private final Recorder recorder;
    private final AtomicBoolean failing = new AtomicBoolean();
    private final LongAdder failures = new LongAdder();

    /** Records through {@code recorder}, e.g. {@code operations::recordMetrics}. */
    public StatementMetrics(Recorder recorder) {
        this.recorder = recorder;
    }

    /** {@code dataSource} with every statement execution recorded (metrics only, no spans). */
    public DataSource wrap(DataSource dataSource) {
        return new InstrumentedDataSource(dataSource, null, this);
    }

    /** Telemetry failures so far (each one was swallowed; the query went on). */
    public long telemetryFailures() {
        return failures.sum();
    }

    /** The operation recorded for {@code sql}: its verb and main table ({@link SqlSummary}). */
    static Operation operation(String sql) {
        SqlSummary summary = SqlSummary.of(sql);
        return DatabaseOperation.of(summary.operation(), summary.table(), summary.operation() + "_" + summary.table());
    }

    /** Records one execution of {@code op} from {@code startNanos} to {@code endNanos}; {@code failure} null on success. */
    void record(Operation op, long startNanos, long endNanos, Throwable failure) {
        try {
            double seconds = (endNanos - startNanos) / 1e9;
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
            if (failing.get() && failing.compareAndSet(true, false)) {
                log.info("Database operation metrics are recorded again");
            }
        } catch (RuntimeException | LinkageError e) {
            failed(e);
        }
    }

    /** A telemetry failure outside {@link #record} (e.g. describing a statement): counted and logged the same way. */
    void failed(Throwable e) {
        failures.increment();
        if (failing.compareAndSet(false, true)) {
            log.warn("Recording database operation metrics failed; queries are unaffected: {}", e.toString());
        }
    }
}
