package io.vigil.http.servlet;

import io.vigil.core.MetricsEndpoint;
import io.vigil.core.MetricsScrape;
import io.vigil.http.MetricsAccess;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Serves a {@link MetricsEndpoint} (Prometheus text or OpenMetrics, by {@code Accept}) from a
 * servlet container, optionally behind a bearer token:
 *
 * <pre>{@code
 * context.addServlet(new ServletHolder(new MetricsServlet(vigil.metricsEndpoint(), MetricsAccess.bearerToken(token))), "/metrics");
 * }</pre>
 */
public final class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient MetricsEndpoint endpoint;
    private final transient MetricsAccess access;

    /**
     * Serves {@code endpoint} to the requests {@code access} admits; the others are answered 401 with a problem+json
     * body.
     */
    public MetricsServlet(MetricsEndpoint endpoint, MetricsAccess access) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.access = Objects.requireNonNull(access, "access");
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        if (!access.permits(req.getHeader("Authorization"))) {
            res.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            res.setHeader("WWW-Authenticate", "Bearer realm=\"metrics\"");
            res.setContentType("application/problem+json");
            res.getOutputStream().write(MetricsAccess.UNAUTHORIZED_BODY.getBytes(StandardCharsets.UTF_8));
            return;
        }
        MetricsScrape scrape = endpoint.scrape(req.getHeader("Accept"));
        res.setContentType(scrape.contentType());
        res.setContentLength(scrape.body().length);
        res.getOutputStream().write(scrape.body());
    }
}
