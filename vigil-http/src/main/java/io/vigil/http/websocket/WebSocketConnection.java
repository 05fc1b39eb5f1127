package io.vigil.http.websocket;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.vigil.core.internal.ScrubbedExceptions;
import io.vigil.http.RateLimitTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.internal.MessageRateLimiter;
import io.vigil.http.internal.RequestIds;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.MDC;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One instrumented WebSocket connection. Application code reaches it from a handler with {@link
 * #current()} — to record the authenticated user, to refuse the connection, or to count what it
 * sends:
 *
 * <pre>{@code
 * WebSocketConnection.current().ifPresent(c -> c.userId(user.id()));
 * }</pre>
 *
 * <p>While a handler runs, the MDC holds {@code request_id} (the upgrade request's), {@code user_id},
 * {@code endpoint} and, for a message, a fresh {@code message_id}; they are restored afterwards.
 * Adapters drive the rest: {@link #admit()}, {@link #connect}, {@link #text}, {@link #binary},
 * {@link #error}, {@link #closed}. A connection is used by its framework's one thread at a time;
 * {@link #userId(String)}, {@link #sent} and {@link #closed} may be called from any thread.
 */
public final class WebSocketConnection {
    /** MDC key of the per-message id. */
    public static final String MDC_MESSAGE_ID = "message_id";

    /** Closes the underlying connection with a close code; supplied by the adapter. */
    @FunctionalInterface
    public interface Closer {
        /** Sends a close frame with {@code code} and {@code reason}; must not throw. */
        void close(int code, String reason);
    }

    /** An application handler, run inside the connection's context. */
    @FunctionalInterface
    public interface Handler {
        /** Runs the handler. */
        void handle() throws Exception;
    }

    private static final ContextKey<WebSocketConnection> KEY = ContextKey.named("io.vigil.http.websocket");
    private static final String[] MDC_KEYS = {
        RequestContext.MDC_REQUEST_ID, RequestContext.MDC_USER_ID, RequestContext.MDC_ENDPOINT, MDC_MESSAGE_ID
    };
    private static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("websocket.endpoint");
    private static final AttributeKey<String> HANDLER = AttributeKey.stringKey("websocket.handler");
    private static final AttributeKey<Long> SIZE = AttributeKey.longKey("websocket.message.size");
    private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("request.id");
    private static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("message.id");
    private static final AttributeKey<String> USER_ID = AttributeKey.stringKey("user.id");
    private static final int MAX_USER_ID_LENGTH = 128;
    private static final int MAX_DESCRIBED = 120;
    private static final String BINARY = "binary";
    /** Close code of a connection that ended without a close frame (RFC 6455 §7.1.5); never sent. */
    private static final int CLOSE_ABNORMAL = 1006;

    private static final TextMapGetter<MessageInfo> MESSAGE_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(MessageInfo carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(MessageInfo carrier, String key) {
            if (carrier == null) {
                return null;
            }
            return switch (key) {
                case "traceparent" -> carrier.traceparent();
                case "tracestate" -> carrier.tracestate();
                default -> null;
            };
        }
    };

    private final WebSocketTelemetry t;
    private final String endpoint;
    private final String requestId;
    private final String clientAddress;
    private final Span handshake;
    private final Closer closer;
    private final long openedNanos = System.nanoTime();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once this side sent a close (1003, 1009, 1011): later messages are counted, not handled. */
    private final AtomicBoolean closing = new AtomicBoolean();

    private final AtomicBoolean errorLogged = new AtomicBoolean();
    /** Set once the adapter dropped a client that does not read: the container's error that follows is no other. */
    private volatile boolean dropped;

    private volatile String userId;
    private volatile boolean accepted;
    private volatile boolean refused;
    private volatile String authRejection;
    private volatile String slotKey; // written by the connect event, read by the close event
    private volatile boolean slotHeld;
    private volatile MessageRateLimiter limiter;

    WebSocketConnection(WebSocketTelemetry telemetry, Handshake h, Closer closer) {
        this.t = telemetry;
        this.endpoint = telemetry.endpoints.bound(h.endpoint());
        this.requestId = h.requestId() != null ? h.requestId() : RequestIds.generate();
        this.clientAddress = h.clientAddress();
        this.handshake = Span.wrap(h.handshakeSpan());
        this.closer = closer;
        if (h.userId() != null) {
            userId(h.userId());
        }
    }

    /** The connection whose handler runs in the current context, if any. */
    public static Optional<WebSocketConnection> current() {
        return Optional.ofNullable(Context.current().get(KEY));
    }

    /** The route template of the endpoint ({@code other} past 100 distinct ones). */
    public String endpoint() {
        return endpoint;
    }

    /** The correlation id of the upgrade request, bound to every handler's log lines. */
    public String requestId() {
        return requestId;
    }

    /** The client address of the upgrade request. */
    public String clientAddress() {
        return clientAddress;
    }

    /** The authenticated user, once known. */
    public String userId() {
        return userId;
    }

    /** Records the authenticated user: {@code user_id} in every later handler's MDC (and now), {@code user.id} on message spans. */
    public void userId(String id) {
        if (id == null || id.isBlank()) {
            return;
        }
        String v = id.length() > MAX_USER_ID_LENGTH ? id.substring(0, MAX_USER_ID_LENGTH) : id;
        v = t.scrubber.scrubText(v); // an email used as a user id is still an email
        userId = v;
        if (requestId.equals(MDC.get(RequestContext.MDC_REQUEST_ID))) {
            MDC.put(RequestContext.MDC_USER_ID, v);
        }
    }

    /**
     * Refuses the connection for authentication or authorization: called from the connect handler,
     * the connection is closed with 1008 when the handler returns and counted as {@code
     * rejected_auth}. The reason goes into the close frame, so keep it generic.
     */
    public void rejectAuth(String reason) {
        authRejection = reason == null ? "unauthorized" : reason;
        if (accepted) {
            closer.close(WebSocketTelemetry.CLOSE_POLICY_VIOLATION, authRejection); // after connect: just close
        }
    }

    /**
     * For adapters, first: applies the connection limit. A connection over it is counted ({@code
     * rejected_limit}, a {@code websocket_connection} rate-limit hit) and closed with 1008.
     *
     * @return whether the connection may go on to {@link #connect}
     */
    public boolean admit() {
        slotKey = t.maxConnectionsPerKey > 0 ? t.connectionKey.apply(this) : null;
        if (slotKey == null
                && t.connectionKey == WebSocketTelemetry.CLIENT_ADDRESS
                && t.maxConnectionsPerKey > 0
                && t.unlimitedLogged.compareAndSet(false, true)) {
            // A limit that silently does nothing is worse than none: Tomcat, for one, tells WebSocket endpoints
            // nothing of the client, so only an HTTP filter in front of the upgrade knows its address.
            t.log.atWarn()
                    .addKeyValue("event_type", "websocket")
                    .addKeyValue("limit_type", RateLimitTelemetry.WEBSOCKET_CONNECTION)
                    .log(
                            "WebSocket connections to {} are not limited per client: the client's address is unknown"
                                    + " (run VigilHttpFilter in front of the upgrade request, or set a connectionKey);"
                                    + " logged once",
                            endpoint);
        }
        if (t.acquireSlot(slotKey)) {
            slotHeld = slotKey != null;
            return true;
        }
        refused = true;
        t.metrics.connection(endpoint, WebSocketTelemetry.REJECTED_LIMIT);
        try (Scope ignored = attach(Context.root().with(handshake), null)) {
            t.rateLimits.refused(RateLimitTelemetry.WEBSOCKET_CONNECTION, endpoint);
        }
        closer.close(WebSocketTelemetry.CLOSE_POLICY_VIOLATION, "too many connections");
        return false;
    }

    /**
     * For adapters: runs the application's connect handler in the connection's context, then counts
     * the connection {@code accepted}, {@code rejected_auth} (the handler called {@link
     * #rejectAuth} or threw what {@code authFailure} recognises) or {@code error} (it threw anything
     * else: close 1011).
     */
    public void connect(Handler handler, Predicate<Throwable> authFailure) {
        Throwable failure = null;
        try (Scope ignored = attach(Context.root().with(handshake), null)) {
            if (handler != null) {
                try {
                    handler.handle();
                } catch (Exception | LinkageError e) {
                    if (authFailure.test(e)) {
                        rejectAuth("unauthorized");
                    } else {
                        failure = e;
                        logOnce(Level.ERROR, "connect_error", WebSocketTelemetry.CLOSE_SERVER_ERROR, e, null);
                    }
                }
            }
        }
        if (failure != null) {
            refused = true;
            t.metrics.connection(endpoint, WebSocketTelemetry.ERROR);
            closer.close(WebSocketTelemetry.CLOSE_SERVER_ERROR, "server error");
        } else if (authRejection != null) {
            refused = true;
            t.metrics.connection(endpoint, WebSocketTelemetry.REJECTED_AUTH);
            closer.close(WebSocketTelemetry.CLOSE_POLICY_VIOLATION, authRejection);
        } else {
            accepted = true;
            t.metrics.connection(endpoint, WebSocketTelemetry.ACCEPTED);
            t.metrics.active(endpoint, 1);
            if (t.messagesPerSecond > 0) {
                limiter = new MessageRateLimiter(t.messagesPerSecond, t.rateLimits, endpoint);
            }
        }
    }

    /** For adapters: one received text message, handled by {@code handler} unless refused. */
    public void text(String text, Handler handler) {
        MessageInfo info = classify(text);
        handle(info == null ? null : info.handler(), info, utf8Length(text), handler);
    }

    /** For adapters: one received binary message of {@code bytes} bytes, handler {@code binary}. */
    public void binary(long bytes, Handler handler) {
        handle(BINARY, null, bytes, handler);
    }

    /**
     * For adapters: a text message to an endpoint that has no handler for text. It is counted received and as a
     * {@code bad_frame} error, and the connection is closed with 1003 (RFC 6455 §7.4.1): dropped unanswered, the
     * client could not tell its message was never read.
     */
    public void unsupportedText(String text) {
        MessageInfo info = classify(text);
        unsupported(info == null ? null : info.handler(), utf8Length(text), "text messages are not supported");
    }

    /** For adapters: a binary message to an endpoint that has no handler for binary; as {@link #unsupportedText}. */
    public void unsupportedBinary(long bytes) {
        unsupported(BINARY, bytes, "binary messages are not supported");
    }

    private void unsupported(String type, long bytes, String reason) {
        t.metrics.received(endpoint, t.handlers.bound(type), bytes);
        if (!accepted || closed.get() || !closing.compareAndSet(false, true)) {
            return; // refused at connect, or closing already: one close, one error
        }
        // The telemetry contract names no error types; of the bounded set vigil-http reports (too_big, bad_frame,
        // handler_error, io_error, error) and the dashboards explain, bad_frame is the frame the endpoint cannot take.
        t.metrics.error(endpoint, "bad_frame");
        try (Scope ignored = attach(Context.root().with(handshake), null)) {
            logOnce(Level.WARN, "bad_frame", WebSocketTelemetry.CLOSE_UNSUPPORTED_DATA, null, reason);
        }
        closer.close(WebSocketTelemetry.CLOSE_UNSUPPORTED_DATA, reason);
    }

    private MessageInfo classify(String text) {
        try {
            return t.classifier == null
                    ? MessageInfo.of(WebSocketTelemetry.DEFAULT_HANDLER)
                    : t.classifier.classify(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * For adapters: one received message the framework has already decoded (so the classifier cannot
     * read it), of type {@code type} and {@code bytes} bytes (-1 when unknown: no size recorded, no
     * size limit applied), handled by {@code handler} unless refused.
     */
    public void message(String type, long bytes, Handler handler) {
        handle(type, null, bytes, handler);
    }

    private void handle(String type, MessageInfo info, long bytes, Handler handler) {
        String label = t.handlers.bound(type);
        t.metrics.received(endpoint, label, bytes);
        if (!accepted || closed.get() || closing.get()) {
            return; // refused at connect, or closing: nothing is handled any more
        }
        if (bytes > t.maxMessageBytes) {
            t.metrics.error(endpoint, "too_big");
            try (Scope ignored = attach(Context.root().with(handshake), null)) {
                logOnce(Level.WARN, "too_big", WebSocketTelemetry.CLOSE_TOO_BIG, null, null);
            }
            closing.set(true);
            closer.close(WebSocketTelemetry.CLOSE_TOO_BIG, "message too big");
            return;
        }
        MessageRateLimiter l = limiter;
        if (l != null) {
            boolean allowed;
            try (Scope ignored = attach(Context.root().with(handshake), null)) {
                allowed = l.tryAcquire();
            }
            if (!allowed) {
                return;
            }
        }
        Context parent = info != null && info.traceparent() != null
                ? t.propagator.extract(Context.root(), info, MESSAGE_GETTER)
                : Context.root();
        String messageId = RequestIds.generate();
        SpanBuilder sb = t.tracer
                .spanBuilder("WS " + endpoint + " " + label)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(ENDPOINT, endpoint)
                .setAttribute(HANDLER, label)
                .setAttribute(SIZE, bytes)
                .setAttribute(REQUEST_ID, requestId)
                .setAttribute(MESSAGE_ID, messageId);
        if (handshake.getSpanContext().isValid()) {
            sb.addLink(handshake.getSpanContext());
        }
        String user = userId;
        if (user != null) {
            sb.setAttribute(USER_ID, user);
        }
        Span span = sb.startSpan();
        Context context = parent.with(span);
        long start = System.nanoTime();
        try (Scope ignored = attach(context, messageId)) {
            try {
                handler.handle();
            } catch (Exception | LinkageError e) {
                recordException(span, e);
                span.setStatus(StatusCode.ERROR);
                t.metrics.error(endpoint, "handler_error");
                logOnce(Level.ERROR, "handler_error", WebSocketTelemetry.CLOSE_SERVER_ERROR, e, null);
                closing.set(true);
                closer.close(WebSocketTelemetry.CLOSE_SERVER_ERROR, "server error");
            }
        } finally {
            t.metrics.processed(endpoint, label, (System.nanoTime() - start) / 1e9, context);
            span.end();
        }
    }

    /**
     * Counts one message sent on this connection ({@code ws_messages_sent_total}, {@code
     * ws_message_size_bytes{direction="sent"}}).
     *
     * @param type the message type (a declared handler name, else {@code other})
     * @param bytes payload size, or -1 when unknown
     */
    public void sent(String type, long bytes) {
        t.metrics.sent(endpoint, t.handlers.bound(type), bytes);
    }

    /**
     * {@link #sent(String, long)} for a text message typed by the telemetry's {@link
     * MessageClassifier} (or {@link WebSocketTelemetry#DEFAULT_HANDLER} without one).
     */
    public void sentText(String text) {
        String type;
        try {
            type = t.classifier == null
                    ? WebSocketTelemetry.DEFAULT_HANDLER
                    : t.classifier.classify(text).handler();
        } catch (RuntimeException e) {
            type = null;
        }
        sent(type, utf8Length(text));
    }

    /** {@link #sent(String, long)} for a text message. */
    public void sentText(String type, String text) {
        sent(type, utf8Length(text));
    }

    /**
     * For adapters: the framework reported an error on the connection (a bad frame, a message over
     * the container's limit, an I/O failure). Counted by type and logged once per connection; the
     * container closes the connection itself. A client that went away without a close frame is
     * counted the same ({@code io_error}, then its close 1006) but logged at DEBUG without the
     * exception: that is normal traffic (a closed tab, a lost network), and a WARN with a stack
     * trace for each such connection buried the server's real I/O failures, which stay WARN. A frame the protocol
     * refuses ({@code bad_frame}: unmasked, reserved bits or opcodes, invalid UTF-8 or close codes…) or a message over
     * the container's limit ({@code too_big}) is a WARN naming the container's exception, without its stack trace.
     */
    public void error(Throwable e) {
        if (dropped) {
            return; // the failure of the connection slowConsumer() dropped: counted and logged there, once
        }
        String type = errorType(e);
        t.metrics.error(endpoint, type);
        try (Scope ignored = attach(Context.root().with(handshake), null)) {
            if (clientGone(e)) {
                logOnce(
                        Level.DEBUG,
                        type,
                        CLOSE_ABNORMAL,
                        null,
                        "the client went away without a close frame (" + rootName(e) + ")");
            } else if (type.equals("bad_frame") || type.equals("too_big")) {
                // What the client sent: a stack trace would say nothing more about the server, and each bad client
                // would write one. The exception's name and message (the container's, never the client's bytes) do.
                logOnce(Level.WARN, type, 0, null, "the client sent what the protocol refuses (" + described(e) + ")");
            } else {
                logOnce(Level.WARN, type, 0, e, null);
            }
        }
    }

    /** {@code Name: message} of the exception that gave {@code e} its type, bounded and on one line. */
    private static String described(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null
                && c.getCause() != c
                && errorType(c.getCause()).equals(errorType(e))) {
            c = c.getCause();
        }
        String message = c.getMessage() == null ? "" : ": " + c.getMessage();
        if (message.length() > MAX_DESCRIBED) {
            message = message.substring(0, MAX_DESCRIBED) + "…";
        }
        return (c.getClass().getSimpleName() + message).replaceAll("\\p{Cntrl}", " ");
    }

    /**
     * For adapters: a message could not be queued for the client because it reads slower than the server sends (the
     * container's outgoing queue is full). Counted as {@code io_error} (a write that cannot progress; the bounded set of
     * error types stays the one the dashboards explain) and logged once per connection; the adapter
     * then drops the connection: a close frame would wait behind the messages the client does not read, and every
     * message queued meanwhile stays in the server's memory. Returns whether this call is the first (the one that drops
     * the connection).
     */
    public boolean slowConsumer() {
        if (closed.get() || !closing.compareAndSet(false, true)) {
            return false;
        }
        dropped = true;
        t.metrics.error(endpoint, "io_error");
        try (Scope ignored = attach(Context.root().with(handshake), null)) {
            logOnce(
                    Level.WARN,
                    "io_error",
                    CLOSE_ABNORMAL,
                    null,
                    "the client does not read what the server sends; its connection is dropped");
        }
        return true;
    }

    /**
     * For adapters: the connection closed with {@code code}. Idempotent. Records the close code and
     * duration of an accepted connection and frees its place under the connection limit.
     */
    public void closed(int code) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (slotHeld) {
            t.releaseSlot(slotKey);
        }
        if (accepted) {
            t.metrics.active(endpoint, -1);
            t.metrics.closed(endpoint, code, (System.nanoTime() - openedNanos) / 1e9);
        }
    }

    /** Whether the connection was refused (limit, authentication, connect failure). */
    public boolean refused() {
        return refused;
    }

    /**
     * Makes this connection current — {@code context} (with this connection) and the MDC fields —
     * until the returned scope is closed, which restores what was there. For adapters running
     * application code outside {@link #connect}/{@link #text} (e.g. close handlers).
     */
    public Scope attach() {
        return attach(Context.root().with(handshake), null);
    }

    private Scope attach(Context context, String messageId) {
        // Key by key, unlike RequestContext's whole-map swap: with four keys over a mostly empty MDC the swap measured
        // slower per message (PairedRatio websocket: 1,317–1,338 → 1,376–1,406 ns, +400 B; bench/README).
        Scope otel = context.with(KEY, this).makeCurrent();
        String[] previous = new String[MDC_KEYS.length];
        for (int i = 0; i < MDC_KEYS.length; i++) {
            previous[i] = MDC.get(MDC_KEYS[i]);
        }
        put(RequestContext.MDC_REQUEST_ID, requestId);
        put(RequestContext.MDC_USER_ID, userId);
        put(RequestContext.MDC_ENDPOINT, endpoint);
        put(MDC_MESSAGE_ID, messageId);
        return () -> {
            otel.close();
            for (int i = 0; i < MDC_KEYS.length; i++) {
                put(MDC_KEYS[i], previous[i]);
            }
        };
    }

    private static void put(String key, String value) {
        if (value != null) {
            MDC.put(key, value);
        } else {
            MDC.remove(key);
        }
    }

    /** One event per connection, and at most 10 a second across connections; {@code what} says more, if given. */
    private void logOnce(Level level, String errorType, int closeCode, Throwable e, String what) {
        if (!errorLogged.compareAndSet(false, true) || !t.log.isEnabledForLevel(level)) {
            return;
        }
        // The budget bounds the warnings and errors; DEBUG lines (clients that went away) are opt-in and must not
        // use up what a burst of real failures needs.
        long suppressed = level.toInt() >= Level.INFO.toInt() ? t.errorLogBudget.take() : 0;
        if (suppressed < 0) {
            return;
        }
        LoggingEventBuilder event = t.log.atLevel(level)
                .addKeyValue("event_type", "websocket")
                .addKeyValue("error_type", errorType)
                .addKeyValue("suppressed", suppressed);
        if (closeCode > 0) {
            event = event.addKeyValue("close_code", closeCode);
        }
        if (e != null) {
            event = event.setCause(e);
        }
        if (what != null) {
            event.log(
                    "WebSocket {} on {}: {}; further errors of this connection are counted, not logged",
                    errorType,
                    endpoint,
                    what);
        } else {
            event.log(
                    "WebSocket {} on {}; further errors of this connection are counted, not logged",
                    errorType,
                    endpoint);
        }
    }

    private void recordException(Span span, Throwable error) {
        span.recordException(error, ScrubbedExceptions.attributes(t.scrubber, error));
    }

    private static String errorType(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String name = c.getClass().getSimpleName();
            if (name.contains("TooLarge") || name.contains("TooBig")) {
                return "too_big";
            }
            if (name.contains("Protocol") || name.contains("BadPayload") || name.contains("CharacterCoding")) {
                return "bad_frame";
            }
            if (c instanceof java.io.IOException || name.contains("Timeout")) {
                return "io_error";
            }
        }
        return "error";
    }

    /**
     * Whether {@code e} says the peer ended the connection: Jetty reports a TCP close without a close
     * frame as a {@code ClosedChannelException} (its 1006 "Session Closed"), a connection cut while
     * writing as its {@code EofException}; Tomcat as an {@code EOFException}; a reset or broken pipe
     * as a {@code SocketException} with the JDK's fixed message. Matched by name where the class is
     * a container's: vigil-http runs without Jetty too.
     */
    static boolean clientGone(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String name = c.getClass().getSimpleName();
            if (c instanceof java.nio.channels.ClosedChannelException
                    || c instanceof java.io.EOFException
                    || name.equals("EofException")
                    || name.equals("ClientAbortException")) {
                return true;
            }
            if (c instanceof java.net.SocketException && c.getMessage() != null) {
                String m = c.getMessage();
                if (m.startsWith("Connection reset") || m.startsWith("Broken pipe")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String rootName(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName();
    }

    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
