package io.vigil.identity.internal.feed;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.vigil.conventions.identity.SecurityEvent;
import io.vigil.core.Vigil;
import io.vigil.http.RateLimitTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.javalin.VigilJavalinWebSocket;
import io.vigil.http.websocket.MessageInfo;
import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import io.vigil.identity.IdentityConfig;
import io.vigil.identity.SecurityFeedConfig;
import io.vigil.identity.internal.ApiException;
import io.vigil.identity.internal.AuthService;
import io.vigil.identity.internal.Database;
import io.vigil.identity.internal.Principal;
import io.vigil.identity.internal.http.HttpApi;
import io.vigil.identity.internal.http.Json;
import io.vigil.identity.telemetry.IdentityTelemetry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.databind.JsonNode;

/**
 * The live security feed, {@code GET /api/v1/ws/security-events}: administrators receive the
 * service's security events (lockouts, suspected brute force, refresh-token reuse, role changes,
 * deactivations…) as JSON the moment any instance raises them.
 *
 * <p>The upgrade request authenticates with the access token in {@code Authorization: Bearer …},
 * or — for browsers, which cannot set headers on a WebSocket — as the subprotocol {@code
 * bearer.<token>} offered next to {@value #PROTOCOL}, which the server selects (the token is never
 * echoed). A token in the query string is not read: it would be logged. No or a bad token: 401;
 * not an administrator: 403 (both {@code ws_connections_total{status="rejected_auth"}}). Each
 * administrator may hold {@code WS_MAX_CONNECTIONS_PER_USER} feeds (one more: close 1008,
 * {@code rejected_limit}); each connection's messages beyond {@code WS_MESSAGES_PER_SECOND} are
 * dropped and counted ({@code rate_limit_hits_total{limit_type="websocket_message"}}).
 *
 * <p>Client messages: {@code {"type":"ping"}} → {@code {"type":"pong"}}; {@code
 * {"type":"subscribe","events":["account_locked",…]}} (empty or absent: every type) → {@code
 * {"type":"subscribed","events":[…]}}; anything else → {@code {"type":"error","error":…}}. A message
 * may carry {@code traceparent}, which its handler span continues. Server messages: {@code
 * {"type":"event","event":{"id","type","severity","user_id","occurred_at","request_id","trace_id","details"}}}.
 * A feed whose administrator is deactivated or loses the role is closed (1008). The protocol is text
 * only: a binary frame closes the feed with 1003 ({@code ws_message_errors_total{error_type="bad_frame"}}).
 *
 * <p>A request to the route that is no valid opening handshake is answered by vigil-http's plugin
 * before authentication, as problem+json: another method 405 ({@code Allow: GET}); a GET without
 * the upgrade, or with a {@code Sec-WebSocket-Version} other than 13, 426; a {@code
 * Sec-WebSocket-Key} that is no base64 of 16 bytes 400. No upgrade request sets a session cookie.
 *
 * <p>A feed lives no longer than the access token it was opened with: when the token's {@code exp}
 * passes, a timer (one thread for all feeds, cancelled when the feed closes) closes it with 1008
 * {@code "token expired"}. A revoked token (logout, refresh-token reuse, password change, deletion
 * of the user) closes its feeds with 1008 {@code "token revoked"} at once on every instance (an
 * {@value #ACCESS_REVOKED} bus message, never pushed to clients, has each instance check its feeds
 * of that user again); every {@code WS_TOKEN_RECHECK_SECONDS} all open feeds are checked again as a
 * backstop. Each such close is one {@code event_type=security} log line and counted in {@code
 * ws_connections_closed_total{close_code="1008"}}.
 */
public final class SecurityFeed implements AutoCloseable {
    /** The route of the feed. */
    public static final String PATH = "/api/v1/ws/security-events";
    /** The subprotocol the server selects. */
    public static final String PROTOCOL = "security-events.v1";
    /** Prefix of the subprotocol that carries the access token. */
    public static final String BEARER_PROTOCOL = "bearer.";
    /** The message types, the {@code handler} label of the {@code ws_*} metrics. */
    public static final Set<String> HANDLERS = Set.of("subscribe", "ping", "pong", "subscribed", "event", "error");
    /** The event types a subscription may name. */
    public static final Set<String> EVENT_TYPES = eventTypes();

    /** How often each open feed is pinged: well inside Jetty's 30 s idle timeout. */
    public static final Duration PING_INTERVAL = Duration.ofSeconds(10);

    /** The bus message naming a user whose access tokens were revoked; handled, never pushed. */
    public static final String ACCESS_REVOKED = "access_revoked";

    private static final Logger log = LoggerFactory.getLogger(SecurityFeed.class);
    private static final String SUBSCRIBER = "identity.feed.subscriber";
    private static final String GRANT = "identity.feed.grant";
    private static final Ending EXPIRED =
            new Ending("token expired", "websocket_token_expired", "Security feed closed: its access token expired");
    private static final Ending REVOKED = new Ending(
            "token revoked", "websocket_token_revoked", "Security feed closed: its access token was revoked");
    private static final Ending UNAUTHORIZED = new Ending(
            "no longer authorized",
            "websocket_authorization_revoked",
            "Security feed closed: its administrator was deactivated or demoted");

    private final AuthService auth;
    private final IdentityTelemetry telemetry;
    private final WebSocketTelemetry ws;
    private final VigilJavalinWebSocket adapter;
    private final FeedBus bus;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private final Clock clock;
    private final ScheduledThreadPoolExecutor timers = FeedThreads.timers("security-feed-tokens");

    /** The feed, its bus started (listening on PostgreSQL); routes are added by {@link #install}. */
    public SecurityFeed(
            IdentityConfig config,
            SecurityFeedConfig feedConfig,
            Vigil vigil,
            Database db,
            AuthService auth,
            IdentityTelemetry telemetry,
            Clock clock) {
        this.auth = auth;
        this.telemetry = telemetry;
        this.clock = clock;
        this.ws = WebSocketTelemetry.builder(vigil)
                .handlers(HANDLERS)
                .classifier(SecurityFeed::classify)
                .maxMessageBytes(feedConfig.maxMessageBytes())
                .maxConnectionsPerKey(feedConfig.maxConnectionsPerUser())
                .connectionKey(WebSocketConnection::userId)
                .messagesPerSecond(feedConfig.messagesPerSecond())
                .rateLimits(RateLimitTelemetry.builder(vigil).build())
                .build();
        this.adapter = new VigilJavalinWebSocket(ws);
        this.bus = FeedBus.create(config, db, this::deliver);
        long every = feedConfig.tokenRecheckInterval().toMillis();
        timers.scheduleWithFixedDelay(() -> recheck(List.copyOf(subscribers)), every, every, TimeUnit.MILLISECONDS);
        // Jetty closes a WebSocket idle for 30 s (1001): a feed with no event to push, to a client that sends nothing
        // (a browser, websocat), ended after half a minute. A ping every PING_INTERVAL keeps it open; the client's
        // automatic pong is the traffic.
        long ping = PING_INTERVAL.toMillis();
        timers.scheduleWithFixedDelay(() -> subscribers.forEach(Subscriber::ping), ping, ping, TimeUnit.MILLISECONDS);
    }

    private static Set<String> eventTypes() {
        Set<String> types = new TreeSet<>(SecurityEvent.TYPES);
        types.add("account_deactivated");
        return Set.copyOf(types);
    }

    /** Adds the feed's routes to a Javalin configuration (with the Vigil plugin registered). */
    public void install(JavalinConfig cfg) {
        cfg.routes.wsBeforeUpgrade(PATH, this::beforeUpgrade);
        cfg.routes.ws(PATH, adapter.instrument(h -> {
            h.onConnect(this::onConnect);
            h.onMessage(this::onMessage);
            h.onClose(this::onClose);
        }));
    }

    /**
     * Publishes a security event to every instance's feed; called where the service raises it.
     * Never throws, never waits for the database.
     */
    public void publish(String type, String severity, String userId, Map<String, Object> details) {
        try {
            SpanContext span = Span.current().getSpanContext();
            bus.publish(new FeedEvent(
                    UUID.randomUUID().toString(),
                    type,
                    severity,
                    userId,
                    Instant.now().toString(),
                    MDC.get(RequestContext.MDC_REQUEST_ID),
                    span.isValid() ? span.getTraceId() : null,
                    details));
        } catch (RuntimeException e) {
            log.debug("Security feed: publishing {} failed", type, e);
        }
    }

    /**
     * Closes {@code userId}'s feeds on every instance whose token is no longer valid; called after
     * access tokens of that user were revoked (logout, refresh-token reuse, password change,
     * deletion). Never throws, never waits for the database.
     */
    public void accessRevoked(String userId) {
        if (userId == null) {
            return;
        }
        try {
            bus.publish(new FeedEvent(
                    UUID.randomUUID().toString(),
                    ACCESS_REVOKED,
                    "low",
                    userId,
                    Instant.now().toString(),
                    MDC.get(RequestContext.MDC_REQUEST_ID),
                    null,
                    Map.of()));
        } catch (RuntimeException e) {
            log.debug("Security feed: publishing a revocation failed", e);
        }
    }

    /** Open feed connections on this instance. */
    public int connections() {
        return subscribers.size();
    }

    /** Timers waiting: one per open feed (its token's expiry), the periodic recheck and the periodic ping. */
    public int pendingTimers() {
        return timers.getQueue().size();
    }

    // --- the upgrade ---------------------------------------------------------------------------

    private void beforeUpgrade(Context ctx) {
        try {
            // Clients may send the offered subprotocols as one header or as several.
            List<String> protocols = java.util.Collections.list(ctx.req().getHeaders("Sec-WebSocket-Protocol"));
            Offered offered = offered(protocols.isEmpty() ? null : String.join(",", protocols));
            // The selected subprotocol: never the one carrying the token.
            if (offered.selected != null) {
                ctx.header("Sec-WebSocket-Protocol", offered.selected);
            } else {
                ctx.res().setHeader("Sec-WebSocket-Protocol", null);
            }
            String token = bearer(HttpApi.authorization(ctx));
            if (token == null) {
                token = offered.token;
            }
            if (token == null) {
                throw ApiException.unauthorized(
                        "missing-token",
                        "A bearer access token is required (Authorization header, or subprotocol bearer.<token>)");
            }
            Principal p = auth.authenticate(token);
            // authenticate allows a token for the clock skew past its exp; a feed opened on it was closed at once
            // ("token expired", after a 101): refused as expired instead, as the feed lives no longer than its token.
            if (!clock.instant().isBefore(p.tokenExpiresAt())) {
                throw ApiException.unauthorized("token-expired", "The access token has expired");
            }
            RequestContext.current().ifPresent(r -> r.userId(p.userId()));
            boolean granted = telemetry.authorizationCheck(
                    "security_events",
                    "subscribe",
                    List.of("admin"),
                    List.of(p.role().wireName()),
                    p.userId(),
                    p.isAdmin());
            if (!granted) {
                throw ApiException.forbidden("The security feed is for administrators");
            }
            // The connection keeps what it was opened with: it ends with the token.
            ctx.attribute(GRANT, new Grant(token, p.tokenExpiresAt()));
        } catch (ApiException e) {
            if (e.status() == 401 || e.status() == 403) {
                ws.rejected(PATH, WebSocketTelemetry.REJECTED_AUTH);
            }
            throw e;
        }
    }

    private record Offered(String selected, String token) {}

    /** The access token a feed was opened with, and when it expires. */
    private record Grant(String token, Instant expiresAt) {
        @Override
        public String toString() {
            return "Grant[expiresAt=" + expiresAt + "]"; // never the token
        }
    }

    /** Why the server closes a feed (1008): close reason, security event type, log message. */
    private record Ending(String reason, String securityEventType, String message) {}

    private static Offered offered(String header) {
        if (header == null) {
            return new Offered(null, null);
        }
        String selected = null;
        String token = null;
        for (String p : header.split(",")) {
            String v = p.trim();
            if (v.regionMatches(true, 0, BEARER_PROTOCOL, 0, BEARER_PROTOCOL.length())) {
                if (token == null && v.length() > BEARER_PROTOCOL.length()) {
                    token = v.substring(BEARER_PROTOCOL.length());
                }
            } else if (v.equals(PROTOCOL)) {
                // Only the protocol the feed speaks is selected: echoing whatever a client offered first would agree
                // to a protocol the server does not speak (and repeat the client's text in the response).
                selected = v;
            }
        }
        return new Offered(selected, token);
    }

    private static String bearer(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            return null;
        }
        String t = header.substring(7).trim();
        return t.isEmpty() ? null : t;
    }

    // --- the connection --------------------------------------------------------------------------

    private void onConnect(WsConnectContext ctx) {
        String userId =
                WebSocketConnection.current().map(WebSocketConnection::userId).orElse(null);
        Grant grant = ctx.attribute(GRANT);
        Subscriber s =
                new Subscriber(ctx, userId, grant, WebSocketConnection.current().orElse(null));
        ctx.attribute(SUBSCRIBER, s);
        subscribers.add(s);
        log.info("Security feed opened");
        if (grant == null) { // not through beforeUpgrade: never happens, but never an endless feed
            end(s, REVOKED);
        } else {
            expireAt(s);
        }
    }

    // Closes the feed when its token's exp passes. The timer runs on the monotonic clock, so a
    // wall clock set back (or moved forward, as tests do) is checked again when it fires.
    private void expireAt(Subscriber s) {
        Duration left = Duration.between(clock.instant(), s.grant.expiresAt());
        if (left.isNegative() || left.isZero()) {
            end(s, EXPIRED);
            return;
        }
        // Rounded up: truncated to whole milliseconds, the last sub-millisecond ended the feed before its exp.
        long delay = TimeUnit.NANOSECONDS.toMillis(left.toNanos() + 999_999);
        try {
            s.expiry(timers.schedule(() -> expireAt(s), delay, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // Shutting down: the server closes the feed.
        }
    }

    // Checks the feeds' tokens again: expiry against the clock, revocation and the role against the
    // database (untraced: background work, no trace of its own per check).
    private void recheck(Collection<Subscriber> feeds) {
        try {
            for (Subscriber s : feeds) {
                if (s.ending.get() || s.grant == null) {
                    continue;
                }
                if (!clock.instant().isBefore(s.grant.expiresAt())) {
                    end(s, EXPIRED);
                    continue;
                }
                Optional<Principal> now = auth.recheck(s.grant.token());
                if (now.isEmpty()) {
                    end(s, REVOKED);
                } else if (!now.get().isAdmin()) {
                    end(s, UNAUTHORIZED);
                }
            }
        } catch (RuntimeException e) {
            // The database is unreachable: feeds stay open (so does their token's expiry timer);
            // the next check decides. Never thrown: it would end the periodic check.
            log.debug("Security feed: checking the feeds' tokens failed: {}", e.getMessage());
        }
    }

    // Closes a feed once with 1008, with one security log line in the connection's context.
    private void end(Subscriber s, Ending why) {
        if (s.isClosed() || !s.ending.compareAndSet(false, true)) {
            return;
        }
        try (Scope ignored = s.connection != null ? s.connection.attach() : Scope.noop()) {
            log.atInfo()
                    .addKeyValue("event_type", "security")
                    .addKeyValue("security_event_type", why.securityEventType())
                    .addKeyValue("close_code", WebSocketTelemetry.CLOSE_POLICY_VIOLATION)
                    .log(why.message());
        }
        try {
            s.ctx.closeSession(WebSocketTelemetry.CLOSE_POLICY_VIOLATION, why.reason());
        } catch (RuntimeException e) {
            log.debug("Security feed: closing failed: {}", e.getMessage());
        }
    }

    private void onClose(WsCloseContext ctx) {
        Subscriber s = subscriber(ctx);
        if (s != null) {
            s.closed();
        }
        if (s != null && subscribers.remove(s)) {
            log.info("Security feed closed with {}", ctx.status());
        }
    }

    private static Subscriber subscriber(WsContext ctx) {
        Object s = ctx.attributeMap().get(SUBSCRIBER);
        return s instanceof Subscriber sub ? sub : null;
    }

    private void onMessage(WsMessageContext ctx) {
        Subscriber s = subscriber(ctx);
        if (s == null) {
            return;
        }
        JsonNode message = parse(ctx.message());
        String type = message == null ? null : text(message, "type");
        if ("ping".equals(type)) {
            log.debug("Security feed ping");
            s.send("pong", "{\"type\":\"pong\"}");
        } else if ("subscribe".equals(type)) {
            subscribe(s, message);
        } else {
            log.info("Security feed: unknown message type");
            s.send("error", error(message == null ? "not a JSON object" : "unknown message type"));
        }
    }

    private void subscribe(Subscriber s, JsonNode message) {
        JsonNode events = message.get("events");
        Set<String> wanted = new TreeSet<>();
        if (events != null && !events.isNull()) {
            if (!events.isArray()) {
                s.send("error", error("events must be an array of event types"));
                return;
            }
            for (JsonNode e : events) {
                String t = e.isString() ? e.asString() : null;
                if (t == null || !EVENT_TYPES.contains(t)) {
                    s.send(
                            "error",
                            error("unknown event type; known: " + String.join(", ", new TreeSet<>(EVENT_TYPES))));
                    return;
                }
                wanted.add(t);
            }
        }
        s.filter = wanted.isEmpty() ? null : Set.copyOf(wanted);
        log.info("Security feed subscription: {}", wanted.isEmpty() ? "all events" : String.join(",", wanted));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("type", "subscribed");
        answer.put("events", new ArrayList<>(wanted.isEmpty() ? new TreeSet<>(EVENT_TYPES) : wanted));
        s.send("subscribed", Json.write(answer));
    }

    private static String error(String detail) {
        return Json.write(Map.of("type", "error", "error", detail));
    }

    // --- delivery ------------------------------------------------------------------------------

    private void deliver(FeedEvent event) {
        if (ACCESS_REVOKED.equals(event.type())) {
            List<Subscriber> feeds = subscribers.stream()
                    .filter(s -> event.userId() != null && event.userId().equals(s.userId))
                    .toList();
            if (!feeds.isEmpty()) {
                try {
                    timers.execute(() -> recheck(feeds)); // the database is read off the bus's thread
                } catch (RejectedExecutionException e) {
                    // Shutting down.
                }
            }
            return;
        }
        String text = "{\"type\":\"event\",\"event\":" + event.toJson() + "}";
        boolean revokes = event.userId() != null
                && ("account_deactivated".equals(event.type())
                        || ("role_changed".equals(event.type())
                                && !"admin".equals(event.details().get("new_role"))));
        for (Subscriber s : subscribers) {
            if (s.wants(event.type())) {
                s.send("event", text);
            }
            if (revokes && event.userId().equals(s.userId)) {
                end(s, UNAUTHORIZED);
            }
        }
    }

    /** Stops the bus and the timers; open feeds end with the server. */
    @Override
    public void close() {
        timers.shutdownNow();
        bus.close();
    }

    // --- messages ------------------------------------------------------------------------------

    static MessageInfo classify(String text) {
        JsonNode n = parse(text);
        if (n == null) {
            return MessageInfo.of(null);
        }
        return new MessageInfo(text(n, "type"), text(n, "traceparent"), text(n, "tracestate"));
    }

    private static JsonNode parse(String text) {
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            return n != null && n.isObject() ? n : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isString() ? v.asString() : null;
    }

    /** One open feed. Sends are serialised: handlers and the bus's thread both send. */
    private static final class Subscriber {
        final WsContext ctx;
        final String userId;
        final Grant grant;
        final WebSocketConnection connection;
        final AtomicBoolean ending = new AtomicBoolean();
        volatile Set<String> filter; // null: every type
        private Future<?> expiry;
        private boolean closed;

        Subscriber(WsContext ctx, String userId, Grant grant, WebSocketConnection connection) {
            this.ctx = ctx;
            this.userId = userId;
            this.grant = grant;
            this.connection = connection;
        }

        // The timer of a feed that closed meanwhile is cancelled at once: nothing outlives a feed.
        synchronized void expiry(Future<?> timer) {
            if (closed) {
                timer.cancel(false);
            } else {
                expiry = timer;
            }
        }

        synchronized boolean isClosed() {
            return closed;
        }

        synchronized void closed() {
            closed = true;
            if (expiry != null) {
                expiry.cancel(false);
                expiry = null;
            }
        }

        boolean wants(String type) {
            Set<String> f = filter;
            return f == null || f.contains(type);
        }

        void ping() {
            try {
                ctx.sendPing();
            } catch (RuntimeException e) {
                log.debug("Security feed: ping failed: {}", e.getMessage());
            }
        }

        synchronized void send(String type, String text) {
            try {
                VigilJavalinWebSocket.send(ctx, type, text);
            } catch (RuntimeException e) {
                log.debug("Security feed: send failed: {}", e.getMessage());
            }
        }
    }
}
