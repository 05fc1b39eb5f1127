package io.vigil.http.javalin;

import io.javalin.config.JavalinState;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.plugin.Plugin;
import io.javalin.router.Endpoint;
import io.javalin.router.HandlerWrapper;
import io.javalin.router.ParsedEndpoint;
import io.vigil.core.MetricsEndpoint;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.MetricsAccess;
import io.vigil.http.RequestContext;
import io.vigil.http.internal.Problems;
import io.vigil.http.internal.QueryStrings;
import io.vigil.http.internal.SingletonFields;
import io.vigil.http.internal.SlowBodyGuard;
import io.vigil.http.internal.StrictFraming;
import io.vigil.http.internal.UnreadBodyDrain;
import io.vigil.http.jetty.ProblemJsonErrorHandler;
import io.vigil.http.servlet.VigilHttpFilter;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Objects;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * Instruments a Javalin 7 application with {@link HttpServerTelemetry}:
 *
 * <pre>{@code
 * Javalin.create(config -> config.registerPlugin(new VigilJavalinPlugin(HttpServerTelemetry.create(vigil))));
 * }</pre>
 *
 * <p>Javalin 7 serves through a servlet on Jetty 12, so the plugin installs the same {@link
 * VigilHttpFilter} a servlet application uses — one implementation, identical telemetry — and adds
 * what only Javalin knows: the matched route template ({@code ctx.endpoints().matchedHttpEndpoint()})
 * and exceptions thrown by handlers, which Javalin's exception mapper would otherwise swallow. An
 * existing {@code config.router.handlerWrapper(...)} keeps working: it is wrapped, not replaced.
 *
 * <p>Errors are RFC 9457 {@code application/problem+json} from every layer the plugin reaches: it
 * installs {@link ProblemJsonErrorHandler} on the Jetty server and context (requests Jetty refuses
 * itself; an HTTP/1.0 request with {@code Transfer-Encoding}, whose framing RFC 9112 §6.1 calls faulty, is one
 * of them: 400, and the connection closed), and a request whose body ends before its {@code Content-Length} or
 * never comes is answered 400 (408 when the read timed out) before the application's exception handlers see it —
 * the client's fault, so neither a 5xx nor an {@code http_exceptions_total}. With {@link #refuseCodedBodies()}, a
 * request whose body has a content coding other than {@code identity} ({@code Content-Encoding: gzip}, …) is answered
 * 415 before its route's handler runs. A request whose query string does not decode (a bad {@code %} escape, bytes that
 * are not UTF-8) is refused by the plugin's own {@code before} handler with a {@link MalformedQueryException}, answered
 * 400 with a detail naming the parameter, before any other handler reads it (register the plugin before the
 * application's own {@code before} handlers; an application may answer that exception in its own form). So is a
 * request that repeats {@code Content-Type} or {@code Authorization} with different values ({@link
 * RepeatedHeaderException}): handlers read the first, a proxy in front may have read another. A WebSocket upgrade
 * request runs no {@code before} handler: its query and fields are checked by the plugin's {@code wsBeforeUpgrade}
 * handler, and refused the same way, as a plain HTTP 400 instead of the upgrade.
 *
 * <p>Slow bodies: a body arriving slower than {@value #MIN_REQUEST_BYTES_PER_SECOND} bytes a second, measured over
 * the time the server waited for it once that exceeds {@value #SLOW_BODY_GRACE_MILLIS} ms, is answered 408 at its
 * next read ({@code internal.SlowBodyGuard}); one that stops is answered 408 at the connector's idle timeout (Jetty's
 * 30 s). Jetty's own {@code setMinRequestDataRate} is not set: it also counted the server's own pauses between two
 * reads against the client, and refused whole small bodies under load.
 *
 * <p>Bodies left unread: what a handler did not read of a body before it answered (a 413 on the declared length, a 415,
 * a 404 with a body) is read and discarded once the answer is written, at most {@value #UNREAD_BODY_MAX_BYTES} bytes
 * for at most {@value #UNREAD_BODY_MAX_MILLIS} ms ({@code internal.UnreadBodyDrain}), so that a client writing its
 * whole body before it reads receives the answer instead of a connection reset.
 *
 * <p>WebSocket routes: a request to one that is no valid opening handshake is answered by the plugin as RFC 6455 and
 * RFC 9110 ask (another method: 405 with {@code Allow: GET}; no upgrade or another version: 426; a bad {@code
 * Sec-WebSocket-Key}: 400), before the route's handlers run; and no upgrade request creates an HTTP session (a
 * {@code Set-Cookie}).
 */
public final class VigilJavalinPlugin extends Plugin<Void> {
    /**
     * The slowest a request body may arrive, in bytes a second over the time the server waited for it. On virtual
     * threads (both reference services) a client that stalls holds no pool thread, but without a minimum one that
     * sends a byte just before each idle timeout held its connection, its parked thread and its partial body for as
     * long as it liked; enough such clients use up the process's file descriptors. A real client's body arrives far
     * faster.
     */
    public static final long MIN_REQUEST_BYTES_PER_SECOND = 1024;

    /** How long the server waits for a body in all before {@link #MIN_REQUEST_BYTES_PER_SECOND} applies. */
    public static final long SLOW_BODY_GRACE_MILLIS = 1000;

    /**
     * The most of a body its handler left unread that the server reads and discards after the answer. Jetty alone
     * discards 8 KiB and closes, and closing on unread bytes resets the connection: a client still writing its body
     * (no {@code Expect: 100-continue}) got a broken pipe or a reset, and lost the answer with it. Discarding holds no
     * memory and no thread; past this bound, or {@link #UNREAD_BODY_MAX_MILLIS}, the connection is closed as before.
     */
    public static final long UNREAD_BODY_MAX_BYTES = 64L * 1024 * 1024;

    /** How long at most the server reads and discards a body its handler left unread. */
    public static final long UNREAD_BODY_MAX_MILLIS = 10_000;

    private final HttpServerTelemetry telemetry;
    private MetricsEndpoint metrics;
    private String metricsPath;
    private MetricsAccess metricsAccess;
    private boolean refuseCodedBodies;

    /** A plugin recording through {@code telemetry}; register it once per Javalin instance. */
    public VigilJavalinPlugin(HttpServerTelemetry telemetry) {
        super();
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /**
     * Also serves {@code endpoint} at {@code path} (usually {@code vigil.config().metricsPath()}) on
     * the application's port, to whoever {@code access} permits. Requests to it carry no HTTP
     * telemetry of their own (the path is excluded by default).
     */
    public VigilJavalinPlugin serveMetrics(MetricsEndpoint endpoint, String path, MetricsAccess access) {
        this.metrics = Objects.requireNonNull(endpoint, "endpoint");
        this.metricsPath = Objects.requireNonNull(path, "path");
        this.metricsAccess = Objects.requireNonNull(access, "access");
        return this;
    }

    /**
     * Answers a request whose body has a content coding other than {@code identity} ({@code Content-Encoding: gzip},
     * …) with 415 and {@code Accept-Encoding: identity} (RFC 9110 §15.5.16, §12.5.3) before its route's handler runs,
     * so before any of it is read. For applications none of whose handlers decode a coded body (the reference services):
     * read as text, a gzip body was answered 400 or 422 as if the JSON in it were wrong. Off by default, because an
     * observability plugin must not refuse what an application's own handler may decode.
     */
    public VigilJavalinPlugin refuseCodedBodies() {
        this.refuseCodedBodies = true;
        return this;
    }

    @Override
    public void onInitialize(JavalinState state) {
        VigilHttpFilter filter = new VigilHttpFilter(telemetry);
        ProblemJsonErrorHandler errors = new ProblemJsonErrorHandler(telemetry);
        // Jetty decodes an HTTP/1.0 body as chunked when it says Transfer-Encoding: refused before any handler runs.
        state.jetty.modifyHttpConfiguration(StrictFraming::install);
        state.jetty.modifyServletContextHandler(handler -> {
            handler.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
            // Behind the telemetry filter, so that the requests it answers itself are counted and correlated too.
            handler.addFilter(
                    new FilterHolder(new WebSocketHandshakes(state)), "/*", EnumSet.of(DispatcherType.REQUEST));
            handler.setErrorHandler(errors);
        });
        // What Jetty refuses before Javalin runs (431, 414, bad escapes, 505…) is answered by the
        // server's error handler: problem+json too, not Jetty's HTML page.
        state.jetty.modifyServer(server -> {
            server.setErrorHandler(errors);
            // Javalin sets the server's handler after this runs: the guard goes in front of it as the server starts.
            server.addEventListener(new LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(LifeCycle event) {
                    if (!(server.getHandler() instanceof SlowBodyGuard)) {
                        // Behind the guard, so that a body discarded after the answer is held to the same rate.
                        server.insertHandler(new UnreadBodyDrain(UNREAD_BODY_MAX_BYTES, UNREAD_BODY_MAX_MILLIS));
                        server.insertHandler(new SlowBodyGuard(MIN_REQUEST_BYTES_PER_SECOND, SLOW_BODY_GRACE_MILLIS));
                    }
                }
            });
        });
        // Javalin drops a query parameter whose escapes it cannot decode and reads bytes that are not UTF-8 as U+FFFD:
        // ?page=%zz was answered as if no page had been asked for. Checked once per request, before any other handler
        // (the plugin's are registered first), rather than by every handler that reads a parameter.
        // Likewise a Content-Type or Authorization sent twice with different values: handlers read the first.
        state.routes.before(VigilJavalinPlugin::refuseMalformed);
        state.routes.exception(MalformedQueryException.class, (e, ctx) -> answerRefusal(e.getMessage(), ctx));
        state.routes.exception(RepeatedHeaderException.class, (e, ctx) -> answerRefusal(e.getMessage(), ctx));
        if (metrics != null) {
            state.routes.get(metricsPath, ManagementPort.metrics(metrics, metricsAccess));
        }
        // A WebSocket upgrade request runs no HTTP route: name it by its WebSocket endpoint before
        // the upgrade ends the request, so its span and metrics carry the route, not "unmatched".
        // Nor does it run before handlers, so its query is checked here (the plugin's wsBeforeUpgrade runs first):
        // ?x=%zz was upgraded, and ctx.queryParam read it as absent. Refused as any other request, before the upgrade.
        state.routes.wsBeforeUpgrade(ctx -> {
            if (ctx.req().getAttribute(VigilHttpFilter.CONTEXT_ATTRIBUTE) instanceof RequestContext request
                    && ctx.endpoint() != null) {
                request.route(ctx.endpoint().path);
            }
            refuseMalformed(ctx);
        });
        // Javalin applies the wrapper when a handler runs, so a wrapper set by the application is
        // read now and composed with ours. (The getter is Kotlin-internal, hence its name.)
        HandlerWrapper previous = state.router.getHandlerWrapper$javalin();
        state.router.handlerWrapper(endpoint -> observe(
                state, endpoint, previous != null ? previous.wrap(endpoint) : endpoint.handler, refuseCodedBodies));
    }

    /** Throws the refusal for a query that does not decode or a header field repeated with different values. */
    private static void refuseMalformed(Context ctx) {
        String fault = QueryStrings.malformed(ctx.queryString());
        if (fault != null) {
            throw new MalformedQueryException(fault);
        }
        String repeated = SingletonFields.repeated(ctx.req());
        if (repeated != null) {
            throw new RepeatedHeaderException(repeated);
        }
    }

    private static void answerRefusal(String detail, Context ctx) {
        RequestContext request = (RequestContext) ctx.req().getAttribute(VigilHttpFilter.CONTEXT_ATTRIBUTE);
        byte[] body = Problems.body(400, detail, request == null ? null : request.requestId());
        ctx.status(400).contentType(Problems.CONTENT_TYPE).result(body);
        if (ctx.req().getHeader("Sec-WebSocket-Version") != null && !ctx.res().isCommitted()) {
            // A refused WebSocket upgrade: Javalin writes no result on that path, so the body is written here.
            ctx.res().setContentLength(body.length);
            try {
                ctx.res().getOutputStream().write(body);
            } catch (IOException gone) {
                // The client went away: nothing left to answer.
            }
        }
    }

    private static Handler observe(JavalinState state, Endpoint endpoint, Handler handler, boolean refuseCoded) {
        // Only the route's own handler: a before or after filter runs whatever the request's body is.
        boolean checkCoding = refuseCoded && endpoint.method.isHttpMethod();
        return ctx -> {
            RequestContext request = (RequestContext) ctx.req().getAttribute(VigilHttpFilter.CONTEXT_ATTRIBUTE);
            if (request != null && request.endpoint() == null) {
                Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
                String route = matched != null ? matched.path : lookUpRoute(state, ctx);
                request.route(route);
            }
            if (checkCoding && refusedCoding(ctx, request)) {
                return;
            }
            try {
                handler.handle(ctx);
            } catch (Exception e) {
                int clientError = Problems.clientErrorStatus(e);
                if (clientError != 0 && !ctx.res().isCommitted()) {
                    // The request's fault (a body shorter than its Content-Length, an expected body
                    // that never came): answered here, before an application's catch-all handler
                    // turns it into a 500 and an ERROR.
                    ctx.status(clientError)
                            .contentType(Problems.CONTENT_TYPE)
                            .result(Problems.body(clientError, null, request == null ? null : request.requestId()));
                    return;
                }
                if (request != null) {
                    request.exception(e);
                }
                throw e;
            }
        };
    }

    /**
     * Answers 415 when the request has a body in a content coding other than {@code identity}; whether it did. Per
     * request on the route's handler, not on the server, so a wrong path or method is still 404 or 405.
     */
    private static boolean refusedCoding(Context ctx, RequestContext request) {
        String coding = Problems.unsupportedContentCoding(ctx.header("Content-Encoding"));
        if (coding == null || !hasBody(ctx)) {
            return false;
        }
        ctx.status(415)
                .header("Accept-Encoding", "identity")
                .contentType(Problems.CONTENT_TYPE)
                .result(Problems.body(
                        415,
                        "Content-Encoding '" + coding + "' is not supported; send the body uncoded (identity)",
                        request == null ? null : request.requestId()));
        return true;
    }

    private static boolean hasBody(Context ctx) {
        return ctx.req().getContentLengthLong() > 0 || ctx.header("Transfer-Encoding") != null;
    }

    /** Every GET route without a HEAD route of its own gets one running the GET handler ({@link HeadRoutes}). */
    @Override
    public void onStart(JavalinState state) {
        HeadRoutes.mirrorGetRoutes(state);
    }

    /**
     * The route a request will match, for handlers that run before matching ({@code before}
     * filters such as authentication): a 401 they answer is counted under the route it protects.
     */
    private static String lookUpRoute(JavalinState state, Context ctx) {
        String path = ctx.path();
        String contextPath = ctx.contextPath();
        if (contextPath.length() > 1 && path.startsWith(contextPath)) {
            path = path.substring(contextPath.length());
        }
        HandlerType method = ctx.method();
        ParsedEndpoint entry = state.internalRouter.findFirstHttpHandlerEntry(method, path);
        if (entry == null && method == HandlerType.HEAD) {
            entry = state.internalRouter.findFirstHttpHandlerEntry(HandlerType.GET, path);
        }
        return entry == null ? null : entry.endpoint.path;
    }

    @Override
    public String name() {
        return "vigil-http";
    }
}
