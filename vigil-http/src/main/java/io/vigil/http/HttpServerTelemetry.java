package io.vigil.http;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.core.internal.DirectLogEvent;
import io.vigil.core.internal.FailureLog;
import io.vigil.core.internal.ScrubbedExceptions;
import io.vigil.http.internal.HttpMetrics;
import io.vigil.http.internal.RequestIds;
import io.vigil.http.internal.TrustedProxies;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;

/**
 * Framework-neutral HTTP server instrumentation: for each request a server span (OpenTelemetry HTTP
 * semantic conventions, incoming W3C trace context honoured), the contract's HTTP metrics ({@code
 * http_requests_total}, {@code http_request_duration_seconds}, {@code http_requests_in_progress},
 * request/response sizes, {@code http_exceptions_total}), request correlation ({@code
 * X-Request-ID}/{@code X-Correlation-ID}, MDC) and one access-log event.
 *
 * <p>Build one per service and hand it to an adapter:
 *
 * <pre>{@code
 * HttpServerTelemetry http = HttpServerTelemetry.builder(vigil)
 *         .trustedProxies(List.of("10.0.0.0/8"))
 *         .successfulRequestLogSampleRate(0.1)
 *         .build();
 * Javalin.create(cfg -> cfg.registerPlugin(new VigilJavalinPlugin(http)));
 * // or: servletContext.addFilter("vigil", new VigilHttpFilter(http))
 * }</pre>
 *
 * <p>Telemetry never changes a response: bad {@code traceparent} or correlation headers are ignored
 * or replaced, never rejected.
 */
public final class HttpServerTelemetry {
    /** Name of the logger that writes access-log events. */
    public static final String ACCESS_LOGGER = "vigil.http.access";
    /** Response header echoing the correlation id. */
    public static final String REQUEST_ID_HEADER = "X-Request-ID";
    /** Alternative correlation header, accepted and echoed too. */
    public static final String CORRELATION_ID_HEADER = "X-Correlation-ID";

    // The runtime's logger factory (a test may bind it to its own logger context).
    private final Logger accessLog;
    private static final Logger log = LoggerFactory.getLogger(HttpServerTelemetry.class);
    private static final int MAX_PATH_LENGTH = 1024;
    private static final int MAX_USER_AGENT_LENGTH = 256;
    /** Any other header a span keeps ({@code Host} as {@code server.address}): a host name and port fit. */
    private static final int MAX_HEADER_VALUE_LENGTH = 512;
    /** A query as {@code url.query} keeps it, as long as a path may be. */
    private static final int MAX_QUERY_LENGTH = MAX_PATH_LENGTH;

    private final ServerSpans spans;
    private final HttpMetrics metrics;
    private final Scrubber scrubber;
    private final TrustedProxies trustedProxies;
    private final boolean accessLogEnabled;
    private final double successSampleRate;
    private final Set<String> excludedPaths;
    // Counted, once per outage at WARN, recovery at INFO: never only DEBUG in the request path.
    private final FailureLog failures = new FailureLog(
            log, "http_server", "Recording HTTP telemetry", "requests are served and answered without it");

    private HttpServerTelemetry(Builder b) {
        VigilConfig config = b.config;
        this.scrubber = b.scrubber;
        this.trustedProxies = b.trustedProxies;
        this.accessLogEnabled = b.accessLog != null ? b.accessLog : config.enabled();
        this.accessLog = b.loggerFactory.getLogger(ACCESS_LOGGER);
        this.successSampleRate = b.successSampleRate;
        this.excludedPaths = b.excludedPaths != null ? Set.copyOf(b.excludedPaths) : Set.of(config.metricsPath());
        boolean metricsOn = config.enabled() && config.metricsEnabled() && config.httpMetricsEnabled();
        this.metrics = new HttpMetrics(b.openTelemetry.getMeter("io.vigil.http"), metricsOn, b.maxEndpoints);
        failures.register(b.openTelemetry.getMeter("io.vigil.http"));
        this.spans = new ServerSpans(b.openTelemetry, config.enabled() && config.tracingEnabled());
    }

    /** Instrumentation with the runtime's configuration and privacy rules. */
    public static HttpServerTelemetry create(Vigil vigil) {
        return builder(vigil).build();
    }

    /**
     * A builder using the runtime's OpenTelemetry, configuration, scrubber and logger factory (the
     * access log goes where the runtime's telemetry log events go).
     */
    public static Builder builder(Vigil vigil) {
        Builder b = new Builder(vigil.openTelemetry(), vigil.config())
                .scrubber(vigil.operations().scrubber());
        b.loggerFactory = vigil.loggerFactory();
        return b;
    }

    /** A builder from parts, for services that build OpenTelemetry themselves. */
    public static Builder builder(OpenTelemetry openTelemetry, VigilConfig config) {
        return new Builder(openTelemetry, config);
    }

    Scrubber scrubber() {
        return scrubber;
    }

    /**
     * Starts instrumenting one request: resolves its correlation id and echoes it on {@code
     * response}, extracts incoming trace context, starts the server span. The caller must {@link
     * RequestContext#attach() attach} it around the handler and {@link RequestContext#end() end} it.
     *
     * @return the request's context, or {@code null} for an excluded path (e.g. the metrics endpoint)
     */
    public <REQ, RES> RequestContext start(REQ request, RES response, HttpServerAccessor<REQ, RES> accessor) {
        long startNanos = System.nanoTime();
        String rawPath = accessor.path(request);
        if (rawPath != null && excludedPaths.contains(rawPath)) {
            return null;
        }
        String requestId = RequestIds.resolve(
                accessor.requestHeader(request, REQUEST_ID_HEADER),
                accessor.requestHeader(request, CORRELATION_ID_HEADER));
        accessor.setResponseHeader(response, REQUEST_ID_HEADER, requestId);
        accessor.setResponseHeader(response, CORRELATION_ID_HEADER, requestId);

        String peer = accessor.peerAddress(request);
        String client = trustedProxies.any()
                ? trustedProxies.clientAddress(peer, accessor.requestHeader(request, "X-Forwarded-For"))
                : peer;
        String method = accessor.method(request);
        int methodIndex = HttpMetrics.methodIndex(method);
        String methodForLogs = methodIndex != HttpMetrics.OTHER_METHOD_INDEX
                ? HttpMetrics.methodLabel(methodIndex)
                : truncate(method, 32);
        String path = rawPath == null ? "" : scrubber.scrubText(truncate(rawPath, MAX_PATH_LENGTH));

        RequestContext r = new RequestContext(
                this, accessor, request, response, requestId, client, path, methodForLogs, methodIndex, startNanos);
        Context parent = Context.current();
        Context context = parent;
        try {
            if (spans.enabled()) {
                context = spans.start(parent, r);
                r.spanStarted = true;
            }
        } catch (RuntimeException e) {
            failures.failed(e); // the request is served without its server span
        }
        r.context = context.with(RequestContext.KEY, r);
        return r;
    }

    void routed(RequestContext r, String template) {
        HttpMetrics.Series s =
                r.inProgress == null && metrics.enabled() ? metrics.series(r.methodIndex, template, false) : null;
        if (r.spanStarted) {
            // The series names the span ("GET /users/{id}", built once), unless the template overflowed into "other".
            ServerSpans.routed(r, template, s != null && s.endpoint().equals(template) ? s.spanName() : null);
        }
        if (s != null) {
            r.inProgress = s;
            metrics.started(s);
        }
    }

    void finish(RequestContext r, String endpoint, int status, long nanos, Throwable error) {
        double seconds = nanos / 1e9;
        long requestBytes = r.accessor.requestBodySize(r.request);
        long responseBytes = r.accessor.responseBodySize(r.response);
        // An exception the application turned into a 4xx is an answer, not a fault.
        Throwable fault = status >= 500 ? error : null;
        try {
            HttpMetrics.Series series = null;
            if (metrics.enabled()) {
                HttpMetrics.Series inProgress = r.inProgress;
                if (inProgress != null) {
                    metrics.finished(inProgress);
                }
                series = metrics.series(r.methodIndex, endpoint);
                metrics.record(
                        series,
                        status,
                        seconds,
                        requestBytes,
                        responseBytes,
                        fault == null ? null : simpleName(fault),
                        r.context);
            }
            if (accessLogEnabled && shouldLog(status, error)) {
                try (Scope ignored = r.attachedHere(endpoint) ? Scope.noop() : r.attach()) {
                    writeAccessLog(r, series, endpoint, status, seconds, requestBytes, responseBytes, fault);
                }
            }
            if (r.spanStarted) {
                if (fault != null) {
                    recordException(Span.fromContext(r.context), fault);
                }
                // The exception is recorded above, scrubbed; the span's ERROR status and error.type
                // follow from the 5xx status code.
                spans.end(r);
            }
            failures.succeeded();
        } catch (RuntimeException e) {
            // Telemetry must never break the response that has already been produced.
            failures.failed(e);
        }
    }

    private boolean shouldLog(int status, Throwable error) {
        if (status >= 400 || error != null || successSampleRate >= 1.0) {
            return true;
        }
        return successSampleRate > 0.0 && ThreadLocalRandom.current().nextDouble() < successSampleRate;
    }

    private void writeAccessLog(
            RequestContext r,
            HttpMetrics.Series series,
            String endpoint,
            int status,
            double seconds,
            long requestBytes,
            long responseBytes,
            Throwable fault) {
        // 505 names the client's HTTP version (Jetty's parser answers it to "HTTP/1.2" or "HTTP/0.9"): a client's
        // fault like a 4xx, so a WARN, not an ERROR line per probe.
        Level level = status >= 500 && status != 505 ? Level.ERROR : status >= 400 ? Level.WARN : Level.INFO;
        if (!accessLog.isEnabledForLevel(level)) {
            return;
        }
        List<String> agent = r.accessor.requestHeader(r.request, "User-Agent");
        String userAgent = agent.isEmpty() ? null : userAgent(agent.getFirst());
        boolean templated =
                series != null && series.endpoint().equals(endpoint) && r.methodIndex != HttpMetrics.OTHER_METHOD_INDEX;
        // The pairs once, to their size; Logback takes the event as it is (DirectLogEvent), other backends get
        // the same through SLF4J's fluent builder.
        List<KeyValuePair> pairs = new ArrayList<>(6);
        pairs.add(new KeyValuePair("event_type", "http_request"));
        pairs.add(new KeyValuePair("status_code", status));
        pairs.add(new KeyValuePair("duration_seconds", seconds));
        if (requestBytes >= 0) {
            pairs.add(new KeyValuePair("request_size_bytes", requestBytes));
        }
        if (responseBytes >= 0) {
            pairs.add(new KeyValuePair("response_size_bytes", responseBytes));
        }
        if (userAgent != null) {
            pairs.add(new KeyValuePair("user_agent", userAgent));
        }
        if (templated) {
            DirectLogEvent.log(accessLog, level, pairs, fault, series.accessLogMessage(status));
        } else {
            DirectLogEvent.log(accessLog, level, pairs, fault, "{} {} {}", r.method, endpoint, status);
        }
    }

    /** A header value and what the privacy rules made of it. */
    private record ScrubbedText(String raw, String scrubbed) {}

    private static final int HEADER_CACHE_SIZE = 64; // a power of two

    // The scrubbed header values seen last (user agents, Host), by their text: a service sees a few clients' agents
    // and its own few host names again and again, each a new String per request, and scrubbing a user agent (up to
    // 256 characters of free text) cost more than the rest of the access-log line's fields together. Shared by the
    // serving threads without locking: a slot holds an immutable record, so a thread reads a whole old entry, a whole
    // new one or none, and a lost update costs one scrub.
    private final ScrubbedText[] headerValues = new ScrubbedText[HEADER_CACHE_SIZE];

    /**
     * A client's user agent as every signal records it (the access log's {@code user_agent}, the server span's
     * {@code user_agent.original}): at most {@value #MAX_USER_AGENT_LENGTH} characters, through the privacy rules.
     */
    String userAgent(String raw) {
        return scrubbedHeaderValue(truncate(raw, MAX_USER_AGENT_LENGTH));
    }

    /**
     * A request header's value other than the user agent as the server span keeps it: at most {@value
     * #MAX_HEADER_VALUE_LENGTH} characters, through the privacy rules. A client sent a 3 KB {@code Host}, kept whole as
     * {@code server.address}.
     */
    String headerValue(String raw) {
        return scrubbedHeaderValue(truncate(raw, MAX_HEADER_VALUE_LENGTH));
    }

    /** A query as {@code url.query} keeps it: at most {@value #MAX_QUERY_LENGTH} characters, through the rules. */
    String query(String raw) {
        return raw == null ? null : scrubber.scrubQuery(truncate(raw, MAX_QUERY_LENGTH));
    }

    /**
     * {@code scrubber.scrubText(value)} of a request header's value, from the cache when the same text was scrubbed
     * before; a value longer than a user agent may be is scrubbed every time rather than kept.
     */
    String scrubbedHeaderValue(String value) {
        if (value == null) {
            return null;
        }
        if (value.length() > MAX_USER_AGENT_LENGTH) {
            return scrubber.scrubText(value);
        }
        int h = value.hashCode();
        int i = (h ^ (h >>> 16)) & (HEADER_CACHE_SIZE - 1);
        ScrubbedText cached = headerValues[i];
        if (cached != null && cached.raw().equals(value)) {
            return cached.scrubbed();
        }
        String scrubbed = scrubber.scrubText(value);
        headerValues[i] = new ScrubbedText(value, scrubbed);
        return scrubbed;
    }

    /** The exception as a span event, with message and stack trace passed through the privacy rules. */
    private void recordException(Span span, Throwable error) {
        span.recordException(error, ScrubbedExceptions.attributes(scrubber, error));
    }

    private static String simpleName(Throwable t) {
        String name = t.getClass().getSimpleName();
        return name.isEmpty() ? "anonymous" : name;
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    /**
     * Checks trusted-proxy entries as {@link Builder#trustedProxies} reads them, for a service that validates its
     * configuration before anything starts (e.g. a {@code TRUSTED_PROXIES} variable).
     *
     * @throws IllegalArgumentException naming the first entry that is not an IP literal or CIDR range
     */
    public static void checkTrustedProxies(Collection<String> addressesOrRanges) {
        TrustedProxies.of(addressesOrRanges);
    }

    /** Builds an {@link HttpServerTelemetry}. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private final VigilConfig config;
        private Scrubber scrubber = Scrubber.defaults();
        private TrustedProxies trustedProxies = TrustedProxies.none();
        private Boolean accessLog;
        private double successSampleRate = 1.0;
        private Collection<String> excludedPaths;
        private int maxEndpoints = 500;
        private org.slf4j.ILoggerFactory loggerFactory = LoggerFactory.getILoggerFactory();

        Builder(OpenTelemetry openTelemetry, VigilConfig config) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
            this.config = Objects.requireNonNull(config, "config");
        }

        /** Privacy rules for paths, queries and user agents (default: the runtime's). */
        public Builder scrubber(Scrubber scrubber) {
            this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
            return this;
        }

        /**
         * Proxies (IP addresses or CIDR ranges) whose {@code X-Forwarded-For} is believed. Default:
         * none, so the client address is always the TCP peer and cannot be forged.
         *
         * @throws IllegalArgumentException for an entry that is not an IP literal or range
         */
        public Builder trustedProxies(Collection<String> addressesOrRanges) {
            this.trustedProxies = TrustedProxies.of(addressesOrRanges);
            return this;
        }

        /** Whether to write one access-log event per request (default: on unless observability is off). */
        public Builder accessLog(boolean enabled) {
            this.accessLog = enabled;
            return this;
        }

        /**
         * Fraction (0.0–1.0) of successful requests (status below 400, no exception) that get an
         * access-log event; errors are always logged. Default 1.0.
         */
        public Builder successfulRequestLogSampleRate(double rate) {
            if (!(rate >= 0.0 && rate <= 1.0)) {
                throw new IllegalArgumentException("sample rate must be within 0.0–1.0: " + rate);
            }
            this.successSampleRate = rate;
            return this;
        }

        /** Exact paths served without any telemetry (default: the metrics path, so scrapes are not counted). */
        public Builder excludedPaths(Collection<String> paths) {
            this.excludedPaths = List.copyOf(paths);
            return this;
        }

        /** Upper bound of distinct route templates before further ones are recorded as {@code other} (default 500). */
        public Builder maxEndpoints(int maxEndpoints) {
            if (maxEndpoints < 1) {
                throw new IllegalArgumentException("maxEndpoints must be positive");
            }
            this.maxEndpoints = maxEndpoints;
            return this;
        }

        /** The immutable, thread-safe telemetry; one instance serves every request of a server. */
        public HttpServerTelemetry build() {
            return new HttpServerTelemetry(this);
        }
    }
}
