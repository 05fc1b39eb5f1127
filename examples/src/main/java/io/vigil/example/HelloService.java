package io.vigil.example;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.vigil.core.MetricsScrape;
import io.vigil.core.Vigil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** The smallest Vigil service: one traced endpoint and {@code /metrics}, configured by the environment. */
public final class HelloService {
    public static void main(String[] args) throws Exception {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install(); // OpenTelemetry logs through java.util.logging
        Vigil vigil = Vigil.start();
        Runtime.getRuntime().addShutdownHook(new Thread(vigil::close));
        Tracer tracer = vigil.openTelemetry().getTracer("hello");

        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8000"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/hello", exchange -> {
            Span span = tracer.spanBuilder("GET /hello").startSpan();
            byte[] body =
                    ("hello, trace " + span.getSpanContext().getTraceId() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
            span.end();
        });
        server.createContext(vigil.config().metricsPath(), exchange -> {
            MetricsScrape scrape =
                    vigil.metricsEndpoint().scrape(exchange.getRequestHeaders().getFirst("Accept"));
            exchange.getResponseHeaders().set("Content-Type", scrape.contentType());
            exchange.sendResponseHeaders(200, scrape.body().length);
            exchange.getResponseBody().write(scrape.body());
            exchange.close();
        });
        server.start();
        System.out.println("Listening on http://localhost:" + port + "/hello and "
                + vigil.config().metricsPath());
    }
}
