package io.vigil.example;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.vigil.core.MetricsScrape;
import io.vigil.core.Vigil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** The smallest Vigil service: one traced endpoint and {@code /metrics}, configured by the environment. */
public final class HelloService {
    private HelloService() {}

    public static void main(String[] args) throws Exception {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install(); // OpenTelemetry logs through java.util.logging
        Vigil vigil = Vigil.start();
        Runtime.getRuntime().addShutdownHook(new Thread(vigil::close));
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8000"));
        HttpServer server = serve(vigil, port);
        System.out.println(
                "Listening on http://localhost:" + server.getAddress().getPort() + "/hello and " + metricsPath(vigil));
    }

    /**
     * {@code METRICS_ENDPOINT}, unless it names {@code /hello}: the service's own path would hide the metrics, while a
     * telemetry setting must never break a service.
     */
    static String metricsPath(Vigil vigil) {
        String path = vigil.config().metricsPath();
        if (path.equals("/hello")) {
            LoggerFactory.getLogger(HelloService.class)
                    .warn("METRICS_ENDPOINT=/hello is this service's own path; serving the metrics at /metrics");
            return "/metrics";
        }
        return path;
    }

    /** Serves {@code GET /hello} and the metrics on {@code port} (0: any free one); returns the started server. */
    static HttpServer serve(Vigil vigil, int port) throws IOException {
        Tracer tracer = vigil.openTelemetry().getTracer("hello");
        String metricsPath = metricsPath(vigil);
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        // One context for every path: the JDK's contexts match by prefix (/hellooo, /metrics/x) and answer what
        // none matches with an HTML page; errors here are problem+json like the rest of Vigil's.
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            if (!path.equals("/hello") && !path.equals(metricsPath)) {
                problem(exchange, 404, "Not Found");
            } else if (!exchange.getRequestMethod().equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                problem(exchange, 405, "Method Not Allowed");
            } else if (path.equals("/hello")) {
                Span span = tracer.spanBuilder("GET /hello").startSpan();
                byte[] body =
                        ("hello, trace " + span.getSpanContext().getTraceId() + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
                span.end();
            } else {
                MetricsScrape scrape = vigil.metricsEndpoint()
                        .scrape(exchange.getRequestHeaders().getFirst("Accept"));
                exchange.getResponseHeaders().set("Content-Type", scrape.contentType());
                exchange.sendResponseHeaders(200, scrape.body().length);
                exchange.getResponseBody().write(scrape.body());
                exchange.close();
            }
        });
        server.start();
        return server;
    }

    /** An RFC 9457 problem document with just the status. */
    private static void problem(HttpExchange exchange, int status, String title) throws IOException {
        byte[] body = ("{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status + "}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/problem+json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }
}
