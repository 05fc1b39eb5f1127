package io.vigil.http.websocket;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RateLimitTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.internal.BoundedLabels;
import io.vigil.http.internal.LogBudget;
import io.vigil.http.internal.RequestIds;
import io.vigil.http.internal.WebSocketMetrics;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Framework-neutral WebSocket instrumentation: the contract's {@code ws_*} metrics, a span per
 * handled message (linked to the handshake span, or continuing the trace the message carries), the
 * connection's request id and user id plus a per-message id in the MDC of every handler's log lines,
 * connection and message limits ({@code rate_limit_hits_total}), and close codes for what goes wrong
 * (1003 a message type the endpoint has no handler for, 1008 policy, 1009 too big, 1011 handler error).
 *
 * <pre>{@code
 * WebSocketTelemetry ws = WebSocketTelemetry.builder(vigil)
 *         .handlers(Set.of("subscribe", "ping"))               // the declared message types
 *         .classifier(text -> MessageInfo.of(typeOf(text)))     // or with the message's traceparent
 *         .maxConnectionsPerKey(5).messagesPerSecond(20)
 *         .build();
 * config.routes.ws("/ws/feed", new VigilJavalinWebSocket(ws).instrument(handlers -> { … }));
 * }</pre>
 *
 * <p>Adapters ({@code javalin.VigilJavalinWebSocket}) drive one {@link WebSocketConnection} per
 * connection. The handshake is the HTTP server span of the upgrade request (the HTTP adapter
 * continues its {@code traceparent}); no span lives as long as the connection. Thread-safe; one per
 * service.
 */
public final class WebSocketTelemetry {
    /** {@code ws_connections_total} status of an accepted connection. */
    public static final String ACCEPTED = "accepted";
    /** {@code ws_connections_total} status of a connection refused for authentication/authorization. */
    public static final String REJECTED_AUTH = "rejected_auth";
    /** {@code ws_connections_total} status of a connection refused by the connection limit. */
    public static final String REJECTED_LIMIT = "rejected_limit";
    /** {@code ws_connections_total} status of a connection whose connect handler failed. */
    public static final String ERROR = "error";
    /** The {@code handler} of messages when no classifier is set. */
    public static final String DEFAULT_HANDLER = "message";
    /** Name of the logger of WebSocket error events. */
    public static final String LOGGER = "vigil.http.websocket";
    /** Close code: a message of a type the endpoint does not accept (a binary frame to a text endpoint). */
    public static final int CLOSE_UNSUPPORTED_DATA = 1003;
    /** Close code: policy violation (limits, authentication). */
    public static final int CLOSE_POLICY_VIOLATION = 1008;
    /** Close code: message too big. */
    public static final int CLOSE_TOO_BIG = 1009;
    /** Close code: the server failed handling a message. */
    public static final int CLOSE_SERVER_ERROR = 1011;

    final WebSocketMetrics metrics;
    final Tracer tracer;
    final TextMapPropagator propagator;
    final Scrubber scrubber;
    final RateLimitTelemetry rateLimits;
    final BoundedLabels handlers;
    final BoundedLabels endpoints = BoundedLabels.firstSeen(100);
    final MessageClassifier classifier;
    final int maxMessageBytes;
    final int maxConnectionsPerKey;
    final int messagesPerSecond;
    final Function<WebSocketConnection, String> connectionKey;
    final Logger log;
    /** Set once a connection left out of the limit for want of the client's address was logged. */
    final AtomicBoolean unlimitedLogged = new AtomicBoolean();

    final LogBudget errorLogBudget = new LogBudget(10);
    private final Map<String, AtomicInteger> connectionsPerKey = new ConcurrentHashMap<>();
    /** The default connection key. */
    static final Function<WebSocketConnection, String> CLIENT_ADDRESS = WebSocketConnection::clientAddress;

    private WebSocketTelemetry(Builder b) {
        VigilConfig config = b.config;
        this.metrics = new WebSocketMetrics(
                b.openTelemetry.getMeter("io.vigil.http"), config.enabled() && config.metricsEnabled());
        this.tracer = (config.enabled() && config.tracingEnabled()
                        ? b.openTelemetry.getTracerProvider()
                        : TracerProvider.noop())
                .get("io.vigil.http");
        this.propagator = b.openTelemetry.getPropagators().getTextMapPropagator();
        this.scrubber = b.scrubber;
        this.rateLimits = b.rateLimits != null
                ? b.rateLimits
                : RateLimitTelemetry.builder(b.openTelemetry, config).build();
        Set<String> declared = new HashSet<>(b.handlers);
        declared.add(DEFAULT_HANDLER);
        this.handlers = BoundedLabels.declared(declared);
        this.classifier = b.classifier;
        this.maxMessageBytes = b.maxMessageBytes;
        this.maxConnectionsPerKey = b.maxConnectionsPerKey;
        this.messagesPerSecond = b.messagesPerSecond;
        this.connectionKey = b.connectionKey;
        this.log = b.loggerFactory.getLogger(LOGGER);
    }

    /** Instrumentation with every default: no declared message types, no limits, 64 KiB messages. */
    public static WebSocketTelemetry create(Vigil vigil) {
        return builder(vigil).build();
    }

    /** A builder using the runtime's OpenTelemetry, configuration, scrubber and logger factory. */
    public static Builder builder(Vigil vigil) {
        Builder b = new Builder(vigil.openTelemetry(), vigil.config());
        b.scrubber = vigil.operations().scrubber();
        b.loggerFactory = vigil.loggerFactory();
        return b;
    }

    /** A builder from parts, for services that build OpenTelemetry themselves. */
    public static Builder builder(OpenTelemetry openTelemetry, VigilConfig config) {
        return new Builder(openTelemetry, config);
    }

    /** The rate-limit telemetry refusals of this instrumentation go to. */
    public RateLimitTelemetry rateLimits() {
        return rateLimits;
    }

    /**
     * Starts instrumenting one connection whose upgrade was accepted by the server. For adapters:
     * call {@link WebSocketConnection#admit()} next, then drive the returned object.
     */
    public WebSocketConnection connection(Handshake handshake, WebSocketConnection.Closer closer) {
        return new WebSocketConnection(this, handshake, closer);
    }

    /**
     * The handshake of an upgrade request, for adapters of servers without the HTTP adapter: when
     * the upgrade runs inside an instrumented HTTP request ({@link RequestContext#current()}), its
     * request id, client, user and server span; otherwise a short server span {@code WS handshake
     * <endpoint>} continuing the request's {@code traceparent} (started and ended here), and the
     * request id from {@code X-Request-ID}/{@code X-Correlation-ID} or a new one.
     *
     * @param headers reads one header value of {@code request} (first value, or {@code null})
     */
    public <R> Handshake handshake(
            String endpoint, R request, BiFunction<R, String, String> headers, String clientAddress) {
        RequestContext http = RequestContext.current().orElse(null);
        String route = endpoints.bound(endpoint);
        if (http != null) {
            http.route(endpoint); // the upgrade request is counted under its WebSocket route
            return new Handshake(
                    route,
                    http.requestId(),
                    http.clientAddress(),
                    http.userId(),
                    Span.fromContext(http.context()).getSpanContext());
        }
        String requestId = RequestIds.resolve(
                values(headers.apply(request, HttpServerTelemetry.REQUEST_ID_HEADER)),
                values(headers.apply(request, HttpServerTelemetry.CORRELATION_ID_HEADER)));
        Context parent = propagator.extract(Context.root(), request, new TextMapGetter<R>() {
            @Override
            public Iterable<String> keys(R carrier) {
                return List.of();
            }

            @Override
            public String get(R carrier, String key) {
                return carrier == null ? null : headers.apply(carrier, key);
            }
        });
        Span span = tracer.spanBuilder("WS handshake " + route)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("websocket.endpoint", route)
                .setAttribute("request.id", requestId)
                .startSpan();
        span.end();
        return new Handshake(route, requestId, clientAddress, null, span.getSpanContext());
    }

    private static List<String> values(String v) {
        return v == null ? List.of() : List.of(v);
    }

    /**
     * Counts a connection refused before its upgrade (e.g. a {@code wsBeforeUpgrade} handler
     * answered 401/403): {@code ws_connections_total{status}}.
     */
    public void rejected(String endpoint, String status) {
        metrics.connection(endpoints.bound(endpoint), status);
    }

    boolean acquireSlot(String key) {
        if (maxConnectionsPerKey <= 0 || key == null) {
            return true;
        }
        AtomicInteger n = connectionsPerKey.computeIfAbsent(key, k -> new AtomicInteger());
        if (n.incrementAndGet() > maxConnectionsPerKey) {
            releaseSlot(key);
            return false;
        }
        return true;
    }

    void releaseSlot(String key) {
        if (maxConnectionsPerKey <= 0 || key == null) {
            return;
        }
        connectionsPerKey.computeIfPresent(key, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Builds a {@link WebSocketTelemetry}; every setting has a default. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private final VigilConfig config;
        private Scrubber scrubber = Scrubber.defaults();
        private ILoggerFactory loggerFactory = LoggerFactory.getILoggerFactory();
        private RateLimitTelemetry rateLimits;
        private final Set<String> handlers = new HashSet<>();
        private MessageClassifier classifier;
        private int maxMessageBytes = 65_536;
        private int maxConnectionsPerKey;
        private int messagesPerSecond;
        private Function<WebSocketConnection, String> connectionKey = CLIENT_ADDRESS;

        Builder(OpenTelemetry openTelemetry, VigilConfig config) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
            this.config = Objects.requireNonNull(config, "config");
        }

        /** The declared message types ({@code handler} label); others are recorded as {@code other}. */
        public Builder handlers(Set<String> names) {
            handlers.addAll(names);
            return this;
        }

        /**
         * Reads each text message's type and trace context (default: every message is {@link
         * #DEFAULT_HANDLER}, without trace context). Binary messages are always {@code binary}
         * (declare it to keep it). A {@link JsonMessageClassifier}'s types are declared as handlers too.
         */
        public Builder classifier(MessageClassifier classifier) {
            this.classifier = Objects.requireNonNull(classifier, "classifier");
            if (classifier instanceof JsonMessageClassifier json) {
                handlers.addAll(json.types());
            }
            return this;
        }

        /** Largest message handled, in bytes (UTF-8 for text, default 65536); larger: close 1009. */
        public Builder maxMessageBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxMessageBytes must be positive");
            }
            this.maxMessageBytes = bytes;
            return this;
        }

        /**
         * Most open connections per key (default 0 = no limit); one more is closed with 1008,
         * {@code rejected_limit}, and a {@code websocket_connection} rate-limit hit.
         */
        public Builder maxConnectionsPerKey(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxConnectionsPerKey must not be negative");
            }
            this.maxConnectionsPerKey = max;
            return this;
        }

        /**
         * The key connections are limited by (default: the client address; e.g. {@code WebSocketConnection::userId}).
         * A connection whose key is {@code null} is not limited; with the default key that happens where the address
         * is unknown (Tomcat's Jakarta WebSocket without {@code VigilHttpFilter} ahead of the upgrade), logged once.
         */
        public Builder connectionKey(Function<WebSocketConnection, String> key) {
            this.connectionKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * Messages handled per second per connection (default 0 = no limit; a bucket4j bucket of
         * that capacity refilled greedily, so bucket4j must be on the class path). A message beyond
         * it is not handled: counted as a {@code websocket_message} rate-limit hit.
         */
        public Builder messagesPerSecond(int perSecond) {
            if (perSecond < 0) {
                throw new IllegalArgumentException("messagesPerSecond must not be negative");
            }
            this.messagesPerSecond = perSecond;
            return this;
        }

        /** Where refusals are recorded (default: a {@link RateLimitTelemetry} of this runtime). */
        public Builder rateLimits(RateLimitTelemetry rateLimits) {
            this.rateLimits = Objects.requireNonNull(rateLimits, "rateLimits");
            return this;
        }

        /** The telemetry with these settings (its instruments are registered now); the builder may be reused. */
        public WebSocketTelemetry build() {
            if (rateLimits == null) {
                // Same logger factory as ours: a test's bound context sees the refusal events too.
                RateLimitTelemetry.Builder rb = RateLimitTelemetry.builder(openTelemetry, config);
                rateLimits = rb.loggerFactory(loggerFactory).build();
            }
            return new WebSocketTelemetry(this);
        }
    }
}
