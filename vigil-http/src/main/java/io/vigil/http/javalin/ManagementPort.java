package io.vigil.http.javalin;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Handler;
import io.vigil.core.MetricsEndpoint;
import io.vigil.core.MetricsScrape;
import io.vigil.http.MetricsAccess;
import io.vigil.http.internal.StrictFraming;
import io.vigil.http.internal.UnreadBodyDrain;
import io.vigil.http.jetty.ProblemJsonErrorHandler;
import java.util.Objects;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A Javalin 7 server for a management port (metrics, health checks: a port only the scraper and the orchestrator
 * reach), configured as Vigil's services configure theirs, without HTTP telemetry (probes and scrapes are not
 * traffic):
 *
 * <pre>{@code
 * Javalin.create(config -> {
 *     ManagementPort.configure(config, "management");
 *     config.routes.get("/metrics", ManagementPort.metrics(vigil.metricsEndpoint(), MetricsAccess.open()));
 * });
 * }</pre>
 *
 * <p>{@link #configure} gives the server threads of its own (at most 16, daemon, for accepting and selecting; the
 * handlers run on virtual threads, so clients that stall in their writes hold none of them), so it answers even when
 * the application's port is saturated; HEAD on a GET route runs that route (Javalin alone answers an empty 200); a wrong method on a path that exists is a 405, not a 404; and what Jetty refuses
 * before any handler runs (a bad request line, a bad {@code %} escape, conflicting {@code Content-Length} headers,
 * {@code Transfer-Encoding} in an HTTP/1.0 request, 431, 414, 505) is answered by {@link ProblemJsonErrorHandler}: RFC 9457 problem+json, not Jetty's HTML page. The
 * application still maps Javalin's own 404 and 405 to the problem documents of its choice.
 */
public final class ManagementPort {
    private static final int MAX_THREADS = 16;
    private static final int MIN_THREADS = 2;

    private ManagementPort() {}

    /** Configures {@code config} as a management port whose Jetty threads are named {@code threadName}. */
    public static void configure(JavalinConfig config, String threadName) {
        Objects.requireNonNull(threadName, "threadName");
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, MIN_THREADS);
        threads.setName(threadName);
        threads.setDaemon(true);
        // The handlers run on virtual threads (named after the pool), the selector and acceptor on the pool's: a
        // client that pipelines scrapes and never reads the answers parks a virtual thread in its write instead of
        // holding one of the 16, so twenty such clients no longer leave the liveness probe unanswered.
        threads.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor(threadName + "-"));
        config.jetty.threadPool = threads;
        config.http.prefer405over404 = true;
        // The server's handler answers what Jetty refuses before the servlet runs; the context's, sendError inside.
        ProblemJsonErrorHandler errors = new ProblemJsonErrorHandler();
        config.jetty.modifyServer(server -> {
            server.setErrorHandler(errors);
            // A body sent to a path or method that takes none (POST /metrics) is answered 404/405 unread: read and
            // discarded afterwards, bounded as on the application's port, so its client gets the answer, not a reset.
            server.addEventListener(new LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(LifeCycle event) {
                    if (!(server.getHandler() instanceof UnreadBodyDrain)) {
                        server.insertHandler(new UnreadBodyDrain(
                                VigilJavalinPlugin.UNREAD_BODY_MAX_BYTES, VigilJavalinPlugin.UNREAD_BODY_MAX_MILLIS));
                    }
                }
            });
        });
        config.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(errors));
        // An HTTP/1.0 request with Transfer-Encoding is 400 and the connection closed, as on the application's port.
        config.jetty.modifyHttpConfiguration(StrictFraming::install);
        // HEAD on a GET route runs the route (a scrape's content type and length, a readiness check's 503), not
        // Javalin's empty 200.
        config.registerPlugin(new HeadRoutes());
    }

    /**
     * A handler serving {@code endpoint} (Prometheus text or OpenMetrics, by {@code Accept}) to the requests {@code
     * access} admits; the others are answered 401 with {@link MetricsAccess#UNAUTHORIZED_BODY}. Register it for GET;
     * on a server {@link #configure}d here (or with {@link VigilJavalinPlugin}) HEAD runs it too.
     */
    public static Handler metrics(MetricsEndpoint endpoint, MetricsAccess access) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(access, "access");
        return ctx -> {
            if (!access.permits(ctx.header("Authorization"))) {
                ctx.status(401)
                        .header("WWW-Authenticate", "Bearer realm=\"metrics\"")
                        .contentType("application/problem+json")
                        .result(MetricsAccess.UNAUTHORIZED_BODY);
                return;
            }
            MetricsScrape scrape = endpoint.scrape(ctx.header("Accept"));
            ctx.contentType(scrape.contentType()).result(scrape.body());
        };
    }
}
