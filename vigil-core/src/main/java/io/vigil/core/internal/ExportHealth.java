package io.vigil.core.internal;

import io.opentelemetry.exporter.internal.FailedExportException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.GrpcResponse;
import io.opentelemetry.sdk.common.export.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import org.slf4j.Logger;

/**
 * Tracks whether one signal's exporter is healthy and logs only the transitions: the first failure
 * (with its reason) and the recovery. An unreachable collector produces two log lines over any
 * length of outage, not one per batch; the failed batches are counted instead.
 */
public final class ExportHealth {
    private static final Logger log = StderrFallback.logger(ExportHealth.class);

    // OpenTelemetry's exporters, and the processors that drive them, log every failed batch
    // themselves (throttled, but for as long as the outage lasts). Vigil reports the transitions
    // instead, so those loggers are quietened. JUL holds loggers weakly: these strong references
    // keep the levels in force.
    private static final java.util.logging.Logger[] QUIETENED = {
        quieten("io.opentelemetry.exporter.otlp.internal.GrpcExporter", Level.OFF),
        quieten("io.opentelemetry.exporter.otlp.internal.HttpExporter", Level.OFF),
        quieten("io.opentelemetry.sdk.trace.export.BatchSpanProcessor", Level.SEVERE),
        quieten("io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor", Level.SEVERE),
        quieten("io.opentelemetry.sdk.metrics.export.PeriodicMetricReader", Level.SEVERE),
    };

    private static java.util.logging.Logger quieten(String name, Level level) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        logger.setLevel(level);
        return logger;
    }

    private final String signal;
    private final String destination;
    private final AtomicBoolean failing = new AtomicBoolean();
    private final LongAdder failedExports = new LongAdder();
    private final LongAdder succeededExports = new LongAdder();

    public ExportHealth(String signal, String destination) {
        this.signal = signal;
        this.destination = destination;
    }

    /** Observes the outcome of one export call; never blocks. */
    public CompletableResultCode observe(CompletableResultCode result) {
        result.whenComplete(() -> {
            if (result.isSuccess()) {
                succeededExports.increment();
                if (failing.compareAndSet(true, false)) {
                    log.info(
                            "OTLP {} export to {} recovered after {} failed batches",
                            signal,
                            destination,
                            failedExports.sum());
                }
            } else {
                failedExports.increment();
                if (failing.compareAndSet(false, true)) {
                    Throwable cause = result.getFailureThrowable();
                    log.warn(
                            "OTLP {} export to {} is failing ({}); telemetry is queued within bounds and dropped past them, "
                                    + "the service is unaffected; failures are counted in vigil_export_failures_total and the next "
                                    + "message comes on recovery",
                            signal,
                            destination,
                            describe(cause));
                }
            }
        });
        return result;
    }

    /** Longest server-supplied text (a status message, a gRPC description) quoted in the outage line. */
    private static final int MAX_SERVER_TEXT = 200;

    /**
     * Why an export failed, in one line: the collector's answer, or the exception the transport threw with its class
     * and message (the causes' too, up to a few). The exporters fail a batch the collector answered with an error
     * status with an exception that has neither message nor cause — the line said {@code HttpExportException: null} —
     * and its answer only in {@code getResponse()}.
     */
    static String describe(Throwable failure) {
        if (failure == null) {
            return "no response";
        }
        if (failure instanceof FailedExportException.HttpExportException http && http.failedWithResponse()) {
            HttpResponse response = http.getResponse();
            return "the collector answered HTTP " + response.getStatusCode()
                    + serverText(" ", response.getStatusMessage());
        }
        if (failure instanceof FailedExportException.GrpcExportException grpc && grpc.failedWithResponse()) {
            GrpcResponse response = grpc.getResponse();
            return "the collector answered gRPC status " + response.getStatusCode()
                    + serverText(": ", response.getStatusDescription());
        }
        StringBuilder out = new StringBuilder(failure.getClass().getSimpleName());
        // Exception(cause) copies the cause's toString() into the message: name each exception once.
        String message = failure.getMessage();
        Throwable cause = failure.getCause();
        if (message != null && (cause == null || !message.equals(cause.toString()))) {
            out.append(": ").append(oneLine(message));
        }
        for (int depth = 0; cause != null && cause != failure && depth < 4; cause = cause.getCause(), depth++) {
            out.append(depth == 0 ? ", caused by " : ": ")
                    .append(cause.getClass().getName());
            if (cause.getMessage() != null) {
                out.append(": ").append(oneLine(cause.getMessage()));
            }
        }
        return out.toString();
    }

    private static String serverText(String separator, String text) {
        if (text == null || text.isBlank()) {
            return "";
        }
        String line = oneLine(text.strip());
        return separator + (line.length() > MAX_SERVER_TEXT ? line.substring(0, MAX_SERVER_TEXT) + "…" : line);
    }

    /** The outage report stays one line whatever the messages hold. */
    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ");
    }

    public String signal() {
        return signal;
    }

    public boolean failing() {
        return failing.get();
    }

    public long failedExports() {
        return failedExports.sum();
    }

    public long succeededExports() {
        return succeededExports.sum();
    }
}
