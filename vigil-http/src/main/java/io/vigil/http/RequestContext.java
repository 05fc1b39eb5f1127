package io.vigil.http;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import io.vigil.http.internal.HttpMetrics;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.MDC;

/**
 * One HTTP request being served: its correlation id, client address, route and user, bound to the
 * OpenTelemetry context (so it travels into background work with {@code ContextPropagation}) and,
 * while {@linkplain #attach() attached}, to the SLF4J MDC of the serving thread.
 *
 * <p>Application code reads it with {@link #current()}, typically to record who is authenticated:
 *
 * <pre>{@code
 * RequestContext.current().ifPresent(r -> r.userId(user.id()));
 * }</pre>
 *
 * <p>Adapters (servlet filter, Javalin plugin) create it with {@link HttpServerTelemetry#start} and
 * drive it: {@link #attach()}, {@link #route(String)}, {@link #exception(Throwable)}, {@link
 * #end()}.
 */
public final class RequestContext {
    /** MDC key of the correlation id (contract section 4). */
    public static final String MDC_REQUEST_ID = "request_id";
    /** MDC key of the request method. */
    public static final String MDC_METHOD = "method";
    /** MDC key of the request path (scrubbed, without query). */
    public static final String MDC_PATH = "path";
    /** MDC key of the route template. */
    public static final String MDC_ENDPOINT = "endpoint";
    /** MDC key of the client address. */
    public static final String MDC_IP_ADDRESS = "ip_address";
    /** MDC key of the authenticated user. */
    public static final String MDC_USER_ID = "user_id";

    private static final AttributeKey<String> USER_ID = AttributeKey.stringKey("user.id");
    static final ContextKey<RequestContext> KEY = ContextKey.named("io.vigil.http.request");
    private static final int MAX_USER_ID_LENGTH = 128;

    final HttpServerTelemetry telemetry;
    final HttpServerAccessor<Object, Object> accessor;
    final Object request;
    final Object response;
    final String requestId;
    final String clientAddress;
    final String path;
    final String method;
    final int methodIndex;
    final long startNanos;
    Context context;
    boolean spanStarted;
    private volatile String route;
    private volatile String provisionalRoute;
    private volatile String endpointForLogs;
    volatile HttpMetrics.Series inProgress;
    private volatile Throwable exception;
    private volatile String userId;
    volatile int status;
    private final AtomicBoolean ended = new AtomicBoolean();

    @SuppressWarnings("unchecked")
    RequestContext(
            HttpServerTelemetry telemetry,
            HttpServerAccessor<?, ?> accessor,
            Object request,
            Object response,
            String requestId,
            String clientAddress,
            String path,
            String method,
            int methodIndex,
            long startNanos) {
        this.telemetry = telemetry;
        this.accessor = (HttpServerAccessor<Object, Object>) accessor;
        this.request = request;
        this.response = response;
        this.requestId = requestId;
        this.clientAddress = clientAddress;
        this.path = path;
        this.method = method;
        this.methodIndex = methodIndex;
        this.startNanos = startNanos;
    }

    /** The request being served in the current context (also in work it started), if any. */
    public static Optional<RequestContext> current() {
        return Optional.ofNullable(Context.current().get(KEY));
    }

    /**
     * The correlation id of the current request, or of the log context when there is no request
     * (background work that carried only its MDC), or {@code null}.
     */
    public static String currentRequestId() {
        RequestContext r = Context.current().get(KEY);
        return r != null ? r.requestId : MDC.get(MDC_REQUEST_ID);
    }

    /** The correlation id: the client's valid {@code X-Request-ID}/{@code X-Correlation-ID}, or a new one. */
    public String requestId() {
        return requestId;
    }

    /** The client address (the TCP peer, or from {@code X-Forwarded-For} behind a trusted proxy). */
    public String clientAddress() {
        return clientAddress;
    }

    /** The route template once known, else {@code null}. */
    public String endpoint() {
        String r = route;
        return r != null ? r : provisionalRoute;
    }

    /**
     * The route the request's telemetry names once it has ended: the route, or the provisional one unless the response
     * is a 404 (no route answered it; see {@link #provisionalRoute}); {@code null} for none. Before the end, the route
     * known so far.
     */
    String finalRoute() {
        String r = route;
        if (r != null) {
            return r;
        }
        String provisional = provisionalRoute;
        return provisional != null && status != 404 ? provisional : null;
    }

    /** The authenticated user, once set. */
    public String userId() {
        return userId;
    }

    /** The OpenTelemetry context of this request (its server span, and this request). */
    public Context context() {
        return context;
    }

    /**
     * Records the authenticated user: {@code user_id} in the MDC of the calling thread (and every
     * later attachment), {@code user.id} on the server span, and on the access-log event.
     */
    public void userId(String userId) {
        if (userId == null || userId.isBlank()) {
            return;
        }
        String id = userId.length() > MAX_USER_ID_LENGTH ? userId.substring(0, MAX_USER_ID_LENGTH) : userId;
        id = telemetry.scrubber().scrubText(id); // an email used as a user id is still an email
        this.userId = id;
        Span.fromContext(context).setAttribute(USER_ID, id);
        MDC.put(MDC_USER_ID, id);
    }

    /**
     * Makes this request current on the calling thread — its OpenTelemetry context and its MDC
     * fields — until the returned scope is closed, which restores what was there before (so MDC entries
     * put while attached, e.g. by the handler, end with the request instead of leaking into the next
     * request served by the same thread).
     */
    public Scope attach() {
        Scope otel = context.makeCurrent();
        Map<String, String> previous = MDC.getCopyOfContextMap();
        if (previous == null || previous.isEmpty()) {
            // A serving thread between requests has no MDC (the usual case): the fields go straight into the map the
            // adapter makes for them, and the request leaves nothing behind. A map of ours handed to setContextMap
            // would be copied into another one, twice the maps and entries for the same six fields.
            forEachField(RequestContext::putField);
            return () -> {
                otel.close();
                MDC.clear();
            };
        }
        // Fields of an enclosing scope: the MDC is replaced and restored as a whole, one copy in and one out, instead
        // of a get, put and remove per key (each a thread-local lookup and a copy-on-write invalidation in Logback's
        // adapter).
        Map<String, String> fields = new HashMap<>(previous);
        forEachField((key, value) -> putField(fields, key, value));
        MDC.setContextMap(fields);
        return () -> {
            otel.close();
            MDC.setContextMap(previous);
        };
    }

    /**
     * Whether this request is attached on the calling thread with its MDC intact (the adapter ends a synchronous
     * request before detaching it), so its access-log event needs no attachment of its own; the final route, known
     * only now, is put into the MDC. False after a handler cleared or replaced the MDC, or on another thread.
     */
    boolean attachedHere(String finalEndpoint) {
        if (Context.current().get(KEY) != this || !requestId.equals(MDC.get(MDC_REQUEST_ID))) {
            return false;
        }
        if (!finalEndpoint.equals(MDC.get(MDC_ENDPOINT))) {
            MDC.put(MDC_ENDPOINT, finalEndpoint);
        }
        return true;
    }

    /** This request's MDC fields, each key with its value (null when not known yet): the one list of them. */
    private void forEachField(BiConsumer<String, String> action) {
        action.accept(MDC_REQUEST_ID, requestId);
        action.accept(MDC_METHOD, method);
        action.accept(MDC_PATH, path);
        action.accept(MDC_ENDPOINT, endpointForLogs);
        action.accept(MDC_IP_ADDRESS, clientAddress);
        action.accept(MDC_USER_ID, userId);
    }

    private static void putField(String key, String value) {
        if (value != null) {
            MDC.put(key, value);
        }
    }

    private static void putField(Map<String, String> fields, String key, String value) {
        if (value != null) {
            fields.put(key, value);
        } else {
            fields.remove(key);
        }
    }

    /**
     * The route template that matched, e.g. {@code /api/v1/users/{id}}: it names the span, labels
     * the metrics and enters the MDC as {@code endpoint}. The first call wins.
     */
    public void route(String template) {
        if (template == null || template.isEmpty() || route != null) {
            return;
        }
        route = template;
        routeKnown(template);
    }

    /**
     * A route guessed by the container (a servlet mapping such as {@code /api/*}): used unless
     * {@link #route(String)} names a better one, and dropped when the response is a 404.
     */
    public void provisionalRoute(String template) {
        if (template == null || template.isEmpty() || route != null || provisionalRoute != null) {
            return;
        }
        provisionalRoute = template;
        routeKnown(template);
    }

    private void routeKnown(String template) {
        endpointForLogs = template;
        if (MDC.get(MDC_REQUEST_ID) != null && requestId.equals(MDC.get(MDC_REQUEST_ID))) {
            MDC.put(MDC_ENDPOINT, template); // attached on this thread
        }
        telemetry.routed(this, template);
    }

    /** An exception escaped the application's handler (whether or not the framework then mapped it). */
    public void exception(Throwable error) {
        if (error != null && exception == null) {
            exception = error;
        }
    }

    /** The exception recorded with {@link #exception(Throwable)}, or {@code null}. */
    public Throwable exception() {
        return exception;
    }

    /**
     * Ends the request: records its metrics, ends its span and writes its access-log event, reading
     * the final status and sizes from the response. Idempotent; call it from any thread once the
     * response is complete.
     */
    public void end() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        long nanos = System.nanoTime() - startNanos;
        int status = accessor.status(response);
        this.status = status;
        String route = finalRoute();
        String endpoint = route != null ? route : HttpMetrics.UNMATCHED;
        endpointForLogs = endpoint;
        telemetry.finish(this, endpoint, status, nanos, exception);
    }
}
