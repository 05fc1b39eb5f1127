package io.vigil.pipeline;

import io.javalin.Javalin;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.vigil.core.Vigil;
import io.vigil.http.MetricsAccess;
import io.vigil.http.javalin.AllowedMethods;
import io.vigil.http.javalin.ManagementPort;
import io.vigil.http.javalin.PortBinding;
import io.vigil.pipeline.IngestApi.Problem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code METRICS_PORT}: the metrics path ({@code METRICS_ENDPOINT}, Prometheus text or OpenMetrics by {@code
 * Accept}) on Jetty, configured as identity-service's management port ({@link ManagementPort}): threads of its own,
 * no HTTP telemetry, and every error problem+json — Jetty's own refusals (a bad request line, a bad {@code %} escape,
 * conflicting headers), which the JDK server vigil-core's {@code MetricsServer} runs on answered with an HTML page
 * before any handler ran, as well as 404 elsewhere and 405 for a method other than GET and HEAD.
 */
final class MetricsPort implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsPort.class);

    private final Javalin server;

    private MetricsPort(Javalin server) {
        this.server = server;
    }

    /** Serves {@code vigil}'s metrics on {@code host:port} (0: a free port); a port in use names METRICS_PORT. */
    static MetricsPort start(Vigil vigil, String host, int port) {
        String path = vigil.config().metricsPath();
        Handler metrics = ManagementPort.metrics(vigil.metricsEndpoint(), MetricsAccess.open());
        Javalin server = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.jetty.host = host;
            cfg.jetty.port = port;
            ManagementPort.configure(cfg, "metrics");
            AllowedMethods resources = new AllowedMethods().route(cfg, HandlerType.GET, path, metrics);
            cfg.routes.head(path, metrics); // the content type, as a GET's (Jetty drops the body)
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.atError().setCause(e).log("Unhandled error on the metrics port");
                new Problem(500, "internal-error", "An unexpected error occurred").write(ctx);
            });
            Problem.unrouted(cfg.routes, resources::allow);
        });
        return new MetricsPort(PortBinding.start(server, "METRICS_PORT", port));
    }

    /** The port actually listened on. */
    int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }
}
