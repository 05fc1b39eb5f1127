package io.vigil.jobs;

import java.io.Serial;
import java.io.Serializable;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * A job's data with the context of whoever enqueued it: the trace context as the OpenTelemetry
 * propagator writes it ({@code traceparent}, {@code tracestate}, {@code baggage}) and the request
 * id. db-scheduler stores it with the job (its default serializer is Java serialization, so {@code
 * data} must be {@link Serializable}), and {@link VigilJobs} reads it when an instance runs the job.
 * Create it with {@link VigilJobs#data(Object)}, which captures the current context. Immutable when
 * {@code data} is.
 *
 * @param carrier propagation headers of the enqueuing context; empty when there was none
 * @param requestId the enqueuing request's id, or {@code null}
 * @param data the application's data, or {@code null}
 * @param <T> the application's data type
 */
public record JobData<T>(Map<String, String> carrier, String requestId, T data) implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Copies {@code carrier} (a {@code null} one becomes empty) into an unmodifiable map. */
    public JobData {
        // A HashMap, not Map.copyOf: serializers other than Java's (Jackson, Gson) read it back too.
        carrier = Collections.unmodifiableMap(carrier == null ? new HashMap<>() : new HashMap<>(carrier));
    }

    /** Data without any context (e.g. a recurring job's initial data). */
    public static <T> JobData<T> withoutContext(T data) {
        return new JobData<>(Map.of(), null, data);
    }

    /**
     * {@code JobData.class} typed for {@code Tasks.oneTime(name, JobData.<Mail>type())}: Java has no
     * class literal for a parameterised type.
     */
    @SuppressWarnings("unchecked")
    public static <T> Class<JobData<T>> type() {
        return (Class<JobData<T>>) (Class<?>) JobData.class;
    }
}
