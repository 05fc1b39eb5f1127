package io.vigil.http.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The contract's HTTP metrics (section 2) with bounded labels and attribute sets built once per
 * series, so recording a request allocates nothing once its series exists.
 */
public final class HttpMetrics {
    /** {@code endpoint} of requests no route matched. */
    public static final String UNMATCHED = "unmatched";
    /** A label value outside its bounded set. */
    public static final String OTHER = "other";

    private static final Logger log = LoggerFactory.getLogger(HttpMetrics.class);
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("method");
    private static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("endpoint");
    private static final AttributeKey<String> STATUS_CODE = AttributeKey.stringKey("status_code");
    private static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception_type");
    private static final List<Double> SECONDS_BUCKETS =
            List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.5, 1.0, 2.5, 5.0, 10.0);
    private static final List<Long> BYTES_BUCKETS =
            List.of(100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L);
    private static final int MAX_EXCEPTION_TYPES = 64;

    private final boolean enabled;
    private final int maxEndpoints;
    private final LongCounter requests;
    private final DoubleHistogram duration;
    private final LongUpDownCounter inProgress;
    private final LongHistogram requestSize;
    private final LongHistogram responseSize;
    private final LongCounter exceptions;
    private final Map<String, Series[]> endpoints = new ConcurrentHashMap<>();
    private final Map<String, String> exceptionTypes = new ConcurrentHashMap<>();
    private final LongAdder endpointOverflows = new LongAdder();
    private final AtomicBoolean overflowWarned = new AtomicBoolean();

    public HttpMetrics(Meter meter, boolean enabled, int maxEndpoints) {
        this.enabled = enabled;
        this.maxEndpoints = maxEndpoints;
        requests = meter.counterBuilder("http_requests_total")
                .setDescription("HTTP requests by method, route template and status code")
                .build();
        duration = meter.histogramBuilder("http_request_duration")
                .setUnit("s")
                .setDescription("HTTP request duration, from the first byte read to the response handed to the server")
                .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS)
                .build();
        inProgress = meter.upDownCounterBuilder("http_requests_in_progress")
                .setDescription("HTTP requests being handled now, by method and route template")
                .build();
        requestSize = meter.histogramBuilder("http_request_size")
                .setUnit("By")
                .setDescription("HTTP request body size")
                .ofLongs()
                .setExplicitBucketBoundariesAdvice(BYTES_BUCKETS)
                .build();
        responseSize = meter.histogramBuilder("http_response_size")
                .setUnit("By")
                .setDescription("HTTP response body size")
                .ofLongs()
                .setExplicitBucketBoundariesAdvice(BYTES_BUCKETS)
                .build();
        exceptions = meter.counterBuilder("http_exceptions_total")
                .setDescription("Requests that ended in a server error because of an exception, by type and route")
                .build();
        meter.counterBuilder("vigil_http_endpoint_overflow_total")
                .setDescription(
                        "Requests whose route template was recorded as 'other' because too many distinct routes were seen")
                .buildWithCallback(m -> {
                    long n = endpointOverflows.sum();
                    if (n > 0) {
                        m.record(n);
                    }
                });
    }

    /** Whether HTTP metrics are recorded at all ({@code ENABLE_HTTP_METRICS}). */
    public boolean enabled() {
        return enabled;
    }

    /** The index of the {@code method} label: one of the standard methods, or {@code other}. */
    public static int methodIndex(String method) {
        if (method == null) {
            return Methods.OTHER_INDEX;
        }
        return switch (method) {
            case "GET" -> 0;
            case "POST" -> 1;
            case "PUT" -> 2;
            case "DELETE" -> 3;
            case "PATCH" -> 4;
            case "HEAD" -> 5;
            case "OPTIONS" -> 6;
            case "CONNECT" -> 7;
            case "TRACE" -> 8;
            default -> Methods.OTHER_INDEX; // methods are case-sensitive (RFC 9110): "get" is not GET
        };
    }

    /** The index of {@code other}. */
    public static final int OTHER_METHOD_INDEX = 9;

    /**
     * A routed server span's name: {@code "GET /users/{id}"}, or {@code "HTTP /users/{id}"} for a method outside the
     * known set (its {@code method} label is {@link #OTHER}), as the semantic conventions name it.
     */
    public static String spanName(String methodLabel, String template) {
        return (methodLabel.equals(OTHER) ? "HTTP" : methodLabel) + " " + template;
    }

    /** The label for a {@link #methodIndex(String)}. */
    public static String methodLabel(int index) {
        return Methods.LABELS[index];
    }

    private static final class Methods {
        static final String[] LABELS = {
            "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", OTHER
        };
        static final int OTHER_INDEX = OTHER_METHOD_INDEX;
    }

    /**
     * The series of one method and route template. Templates come from the application's route
     * table, so they are few; past {@code maxEndpoints} distinct ones (a framework bug, or routes
     * generated at run time) further templates are recorded as {@code other}.
     */
    public Series series(int methodIndex, String endpoint) {
        return series(methodIndex, endpoint, true);
    }

    /**
     * {@link #series(int, String)}; {@code countOverflow}: whether a template recorded as {@code other} counts a
     * request in {@code vigil_http_endpoint_overflow_total} — a request's series is looked up when it is routed and
     * again when it ends, and only the second lookup counts it.
     */
    public Series series(int methodIndex, String endpoint, boolean countOverflow) {
        Series[] byMethod = endpoints.get(endpoint);
        if (byMethod == null) {
            if (endpoints.size() >= maxEndpoints) {
                if (countOverflow) {
                    endpointOverflows.increment();
                }
                if (overflowWarned.compareAndSet(false, true)) {
                    log.warn(
                            "More than {} distinct HTTP route templates; further ones are recorded as endpoint=\"other\"",
                            maxEndpoints);
                }
                endpoint = OTHER;
            }
            byMethod = endpoints.computeIfAbsent(endpoint, e -> new Series[Methods.LABELS.length]);
        }
        Series s = byMethod[methodIndex];
        if (s == null) {
            // A benign race: two threads may build equal series; either one is correct.
            s = new Series(methodLabel(methodIndex), endpoint);
            byMethod[methodIndex] = s;
        }
        return s;
    }

    // Only the duration histogram takes the request's context, and with it the trace as exemplar
    // (what the contract and the dashboards' latency panels use); the counters and the size
    // histograms are recorded without one, which spares an exemplar reservoir update (and a clock
    // reading) each per request.

    /** A request has entered its handler. */
    public void started(Series series) {
        if (enabled) {
            inProgress.add(1, series.base, Context.root());
        }
    }

    /** A request has left its handler (paired with {@link #started}). */
    public void finished(Series series) {
        if (enabled) {
            inProgress.add(-1, series.base, Context.root());
        }
    }

    /**
     * Records one finished request.
     *
     * @param exceptionType simple class name of the exception that caused a server error, or null
     */
    public void record(
            Series series,
            int status,
            double seconds,
            long requestBytes,
            long responseBytes,
            String exceptionType,
            Context context) {
        if (!enabled) {
            return;
        }
        requests.add(1, series.withStatus(status), Context.root());
        duration.record(seconds, series.base, context);
        if (requestBytes >= 0) {
            requestSize.record(requestBytes, series.base, Context.root());
        }
        if (responseBytes >= 0) {
            responseSize.record(responseBytes, series.base, Context.root());
        }
        if (exceptionType != null) {
            exceptions.add(1, series.withException(boundedExceptionType(exceptionType)), Context.root());
        }
    }

    private String boundedExceptionType(String type) {
        String known = exceptionTypes.get(type);
        if (known != null) {
            return known;
        }
        if (exceptionTypes.size() >= MAX_EXCEPTION_TYPES) {
            return OTHER;
        }
        return exceptionTypes.computeIfAbsent(type, t -> t);
    }

    /** The pre-built attribute sets of one {@code (method, endpoint)}. */
    public static final class Series {
        final String method;
        final String endpoint;
        final Attributes base;
        private final String spanName;
        private final Attributes[] byStatus = new Attributes[600];
        private final String[] messages = new String[600];
        private final Map<String, Attributes> byException = new ConcurrentHashMap<>();

        Series(String method, String endpoint) {
            this.method = method;
            this.endpoint = endpoint;
            this.base = Attributes.of(METHOD, method, ENDPOINT, endpoint);
            // Built once here instead of per request.
            this.spanName = HttpMetrics.spanName(method, endpoint);
        }

        /** The server span's name for this method and route, {@link HttpMetrics#spanName(String, String)}. */
        public String spanName() {
            return spanName;
        }

        /** The route template this series records (may be {@code other} after overflow). */
        public String endpoint() {
            return endpoint;
        }

        /**
         * The access-log message {@code "GET /api/v1/users/{id} 200"}, built once per status: the
         * same String instance on every line, so the log encoder formats and scrubs it once.
         */
        public String accessLogMessage(int status) {
            if (status < 100 || status > 599) {
                return method + " " + endpoint + " " + status;
            }
            String m = messages[status];
            if (m == null) {
                m = method + " " + endpoint + " " + status;
                messages[status] = m; // immutable value, benign race
            }
            return m;
        }

        Attributes withStatus(int status) {
            if (status < 100 || status > 599) {
                return base.toBuilder().put(STATUS_CODE, OTHER).build();
            }
            Attributes a = byStatus[status];
            if (a == null) {
                a = base.toBuilder().put(STATUS_CODE, Integer.toString(status)).build();
                byStatus[status] = a; // immutable value, benign race
            }
            return a;
        }

        Attributes withException(String type) {
            return byException.computeIfAbsent(type, t -> Attributes.of(EXCEPTION_TYPE, t, ENDPOINT, endpoint));
        }
    }
}
