package io.vigil.http.servlet;

import io.opentelemetry.context.Scope;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.internal.Problems;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.MappingMatch;
import java.io.IOException;
import java.util.Objects;

/**
 * A Jakarta Servlet 6 filter applying {@link HttpServerTelemetry} to every request: server span,
 * HTTP metrics, correlation headers, MDC and access log. Map it first, on {@code /*}, for {@code
 * REQUEST} dispatches:
 *
 * <pre>{@code
 * context.addFilter(new FilterHolder(new VigilHttpFilter(http)), "/*", EnumSet.of(DispatcherType.REQUEST));
 * }</pre>
 *
 * <p>Mapped for {@code ASYNC} dispatches as well ({@code EnumSet.of(REQUEST, ASYNC)}), it also runs the handler of an
 * {@code AsyncContext.dispatch()} in the request's context and answers what that handler throws.
 *
 * <p>The route template ({@code endpoint} label) is, in order: the request attribute {@link
 * #ROUTE_ATTRIBUTE} set by the application or a framework adapter, Spring MVC's best matching
 * pattern, or the servlet mapping pattern ({@code /api/*}, but not a catch-all {@code /*}); a request no servlet mapped, or any 404
 * answered by a mapping pattern alone, is {@code unmatched}. Asynchronous requests end when their
 * {@code AsyncContext} completes. On Jetty, a request answered by an error page the container writes after the chain
 * returned ({@code sendError}, an unknown path's 404, an exception rethrown to the container) ends once that page is
 * sent, so its size and duration include it.
 */
public final class VigilHttpFilter implements Filter {
    /** Request attribute holding the route template, for frameworks that know it. */
    public static final String ROUTE_ATTRIBUTE = "io.vigil.http.route";
    /** Request attribute holding the {@link RequestContext} of the request. */
    public static final String CONTEXT_ATTRIBUTE = RequestContext.class.getName();

    private static final String SPRING_PATTERN = "org.springframework.web.servlet.HandlerMapping.bestMatchingPattern";
    /** Spring MVC on the class path: its route is observed as it is matched (see {@link RouteObservingRequest}). */
    private static final boolean SPRING_MVC = present("org.springframework.web.servlet.HandlerMapping");
    /** The maximum depth of {@code ServletException} causes unwrapped for the recorded exception. */
    private static final int MAX_WRAPPERS = 8;

    /** What the filter does with an exception that escapes the application. */
    public enum UnhandledExceptions {
        /**
         * Answer {@code 500} with an RFC 9457 {@code application/problem+json} body carrying only the
         * request id (when the response is not yet committed), instead of the container's error page,
         * which may show the exception message. The default. (A failure that is the request's fault —
         * its body ended before its {@code Content-Length}, or never came — is answered 400 or 408
         * with such a body whatever this setting, and is no server fault.)
         */
        ANSWER_PROBLEM,
        /** Rethrow to the container, for applications with their own error pages. */
        RETHROW
    }

    private final HttpServerTelemetry telemetry;
    private final UnhandledExceptions unhandled;
    private final boolean observeSpringRoutes;

    /** A filter answering unhandled exceptions with a problem+json 500. */
    public VigilHttpFilter(HttpServerTelemetry telemetry) {
        this(telemetry, UnhandledExceptions.ANSWER_PROBLEM);
    }

    /**
     * A filter recording through {@code telemetry} that answers, or rethrows, an unhandled exception as {@code
     * unhandled} says.
     */
    public VigilHttpFilter(HttpServerTelemetry telemetry, UnhandledExceptions unhandled) {
        this(telemetry, unhandled, SPRING_MVC);
    }

    /** With the Spring MVC route observation on or off whatever the class path (tests). */
    VigilHttpFilter(HttpServerTelemetry telemetry, UnhandledExceptions unhandled, boolean observeSpringRoutes) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.unhandled = Objects.requireNonNull(unhandled, "unhandled");
        this.observeSpringRoutes = observeSpringRoutes;
    }

    /**
     * Names the route template of the current request, for servlets and frameworks that route
     * themselves; it enters the MDC as {@code endpoint} at once. Setting {@link #ROUTE_ATTRIBUTE}
     * instead works too, but takes effect only when the request ends.
     */
    public static void route(ServletRequest request, String template) {
        request.setAttribute(ROUTE_ATTRIBUTE, template);
        if (request.getAttribute(CONTEXT_ATTRIBUTE) instanceof RequestContext context) {
            context.route(template);
        }
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (req.getDispatcherType() == DispatcherType.ASYNC
                && req.getAttribute(CONTEXT_ATTRIBUTE) instanceof RequestContext started
                && req instanceof HttpServletRequest request
                && res instanceof HttpServletResponse response) {
            asyncDispatch(request, response, chain, started);
            return;
        }
        if (!(req instanceof HttpServletRequest request)
                || !(res instanceof HttpServletResponse response)
                || req.getAttribute(CONTEXT_ATTRIBUTE) != null) {
            chain.doFilter(req, res); // not HTTP, or already instrumented by an outer dispatch
            return;
        }
        RequestContext context = start(request, response);
        if (context == null) {
            chain.doFilter(req, res);
            return;
        }
        // Attached until the request has ended, so that a synchronous request's access-log event is written in the
        // MDC it already has instead of a second swap in and out.
        Scope attached = context.attach();
        HttpServletRequest served = observeSpringRoutes ? new RouteObservingRequest(request, context) : request;
        boolean rethrown = false; // uncommitted, to the container, which answers with its error page
        try {
            chain.doFilter(served, response);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            int clientError = Problems.clientErrorStatus(e);
            if (clientError != 0 && !response.isCommitted()) {
                // The request's fault (its body ended early or never came): a 4xx, not a server fault.
                answerProblem(response, clientError, context);
                return;
            }
            context.exception(cause(e));
            if (response.isCommitted()) {
                throw e; // too late to answer; the container aborts the response
            }
            if (unhandled == UnhandledExceptions.RETHROW || e instanceof Error) {
                // The container answers 500 after we rethrow; record the status it will send.
                response.setStatus(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
                rethrown = true;
                throw e;
            }
            answerProblem(response, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, context);
        } finally {
            try {
                routeFromAttributes(request, context);
                if (request.isAsyncStarted()) {
                    request.getAsyncContext().addListener(new EndOnComplete(request, context));
                } else if (!ServletAccessor.endAfterErrorPage(request, response, rethrown, () -> endQuietly(context))) {
                    context.end();
                }
            } finally {
                attached.close();
            }
        }
    }

    /**
     * An {@code AsyncContext.dispatch()} of a request this filter started (with the filter mapped for {@code ASYNC}
     * too): the handler that runs now — Spring MVC's completion of a {@code Callable} or {@code DeferredResult} — runs
     * in the request's trace and MDC, and what it throws is answered like a synchronous handler's exception. Without
     * this, the container logged that exception twice (Tomcat: two ERROR lines with neither trace_id nor request_id)
     * next to the access line, and answered with its own error page.
     */
    private void asyncDispatch(
            HttpServletRequest request, HttpServletResponse response, FilterChain chain, RequestContext context)
            throws IOException, ServletException {
        try (Scope ignored = context.attach()) {
            chain.doFilter(request, response);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            context.exception(cause(e));
            if (response.isCommitted() || unhandled == UnhandledExceptions.RETHROW || e instanceof Error) {
                throw e;
            }
            answerProblem(response, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, context);
        }
    }

    /**
     * Ends a request whose error page the container wrote after the chain returned, from the container's completion
     * callback: outside the request's scope (its access line attaches the request itself), and never throwing into
     * the container.
     */
    private static void endQuietly(RequestContext context) {
        try {
            context.end();
        } catch (RuntimeException e) {
            // Telemetry must not fail the response, which is complete by now.
        }
    }

    private static void answerProblem(HttpServletResponse response, int status, RequestContext context)
            throws IOException {
        response.resetBuffer(); // keeps headers, including the correlation id
        response.setStatus(status);
        response.setContentType(Problems.CONTENT_TYPE);
        response.setCharacterEncoding("UTF-8");
        response.getOutputStream().write(Problems.body(status, null, context.requestId()));
    }

    private RequestContext start(HttpServletRequest request, HttpServletResponse response) {
        RequestContext context;
        try {
            context = telemetry.start(request, response, ServletAccessor.INSTANCE);
        } catch (RuntimeException e) {
            return null; // telemetry must not stop the request
        }
        if (context != null) {
            request.setAttribute(CONTEXT_ATTRIBUTE, context);
            context.provisionalRoute(mappingPattern(request));
        }
        return context;
    }

    /** The servlet mapping as a route template, or {@code null} for the default servlet (no route). */
    private static String mappingPattern(HttpServletRequest request) {
        HttpServletMapping mapping = request.getHttpServletMapping();
        if (mapping == null || mapping.getMappingMatch() == null) {
            return null;
        }
        MappingMatch match = mapping.getMappingMatch();
        String pattern = mapping.getPattern();
        if (match == MappingMatch.DEFAULT || "/*".equals(pattern)) {
            return null; // a catch-all mapping (the default servlet, a framework's front servlet) names no route
        }
        return match == MappingMatch.CONTEXT_ROOT || pattern.isEmpty()
                ? request.getContextPath() + "/"
                : request.getContextPath() + pattern;
    }

    private static void routeFromAttributes(HttpServletRequest request, RequestContext context) {
        if (request.getAttribute(ROUTE_ATTRIBUTE) instanceof String template) {
            context.route(template);
        } else if (request.getAttribute(SPRING_PATTERN) instanceof String pattern) {
            springRoute(request, context, pattern);
        }
    }

    /**
     * Spring MVC's best matching pattern as the route. It is relative to the DispatcherServlet, so the context path
     * and a path-prefix servlet mapping ({@code /api/*}) are put in front, as for servlet mapping patterns. Its
     * catch-all {@code /**} — the static-resource handler every Spring Boot application has, which also answers the
     * 404 of every path nothing else matched — names no route, like the catch-all servlet mapping {@code /*}: it is
     * provisional, so such a 404 is {@code unmatched} instead of one {@code /**} series.
     */
    private static void springRoute(HttpServletRequest request, RequestContext context, String pattern) {
        HttpServletMapping mapping = request.getHttpServletMapping();
        String prefix = request.getContextPath();
        if (mapping != null && mapping.getMappingMatch() == MappingMatch.PATH && request.getServletPath() != null) {
            prefix += request.getServletPath();
        }
        String template = prefix.isEmpty() ? pattern : prefix + (pattern.startsWith("/") ? pattern : "/" + pattern);
        if (pattern.equals("/**")) {
            context.provisionalRoute(template);
        } else {
            context.route(template);
        }
    }

    /**
     * The exception the application threw, without the {@code ServletException}s that frameworks wrap it in (Spring
     * MVC's "Request processing failed"): its type is the {@code exception_type} label and the span's exception.
     */
    private static Throwable cause(Throwable error) {
        Throwable t = error;
        for (int depth = 0; depth < MAX_WRAPPERS && t instanceof ServletException && t.getCause() != null; depth++) {
            t = t.getCause();
        }
        return t;
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, VigilHttpFilter.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * The request as Spring MVC sees it: the route is taken when Spring stores its best matching pattern, before the
     * handler runs, so the handler's log lines carry {@code endpoint} and the span is named by then (read only when
     * the request ended, they had no {@code endpoint}). Used only where Spring MVC is on the class path.
     */
    private static final class RouteObservingRequest extends HttpServletRequestWrapper {
        private final RequestContext context;

        RouteObservingRequest(HttpServletRequest request, RequestContext context) {
            super(request);
            this.context = context;
        }

        @Override
        public void setAttribute(String name, Object value) {
            super.setAttribute(name, value);
            if (SPRING_PATTERN.equals(name)
                    && value instanceof String pattern
                    && getDispatcherType() == DispatcherType.REQUEST
                    && getAttribute(ROUTE_ATTRIBUTE) == null) {
                try {
                    springRoute(this, context, pattern);
                } catch (RuntimeException e) {
                    // Telemetry must not fail the request; the route is read again when it ends.
                }
            }
        }
    }

    /** Ends an asynchronous request when the container completes it. */
    private record EndOnComplete(HttpServletRequest request, RequestContext context) implements AsyncListener {
        @Override
        public void onComplete(AsyncEvent event) {
            routeFromAttributes(request, context);
            context.end();
        }

        @Override
        public void onError(AsyncEvent event) {
            context.exception(cause(event.getThrowable()));
        }

        @Override
        public void onTimeout(AsyncEvent event) {}

        @Override
        public void onStartAsync(AsyncEvent event) {
            event.getAsyncContext().addListener(this);
        }
    }
}
