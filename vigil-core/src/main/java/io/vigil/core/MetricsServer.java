package io.vigil.core;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vigil.core.internal.ProblemJson;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A tiny standalone HTTP server for services that have none of their own: it serves one {@link
 * MetricsEndpoint} on one path and answers 404 (405 for a method other than GET and HEAD) elsewhere,
 * with an RFC 9457 {@code application/problem+json} body. Each exchange runs on a virtual thread of
 * its own, so a client that never finishes its request holds only that thread, never the scrapes;
 * stop it with {@link #close()}.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving {@code endpoint} at {@code path} on {@code host:port}; port 0 picks a free one.
     *
     * @throws UncheckedIOException when the address cannot be bound
     */
    public static MetricsServer start(MetricsEndpoint endpoint, String host, int port, String path) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/': " + path);
        }
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
            // Not one platform thread: the JDK server reads a request's headers on the executor's thread with no time
            // limit, so one connection that stops half-way through them blocked every later scrape.
            ExecutorService executor = Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("vigil-metrics-server").factory());
            server.setExecutor(executor);
            server.createContext("/", exchange -> handle(exchange, endpoint, path));
            server.start();
            return new MetricsServer(server, executor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind metrics server to " + host + ":" + port, e);
        }
    }

    private static void handle(HttpExchange exchange, MetricsEndpoint endpoint, String path) throws IOException {
        try (exchange) {
            if (!exchange.getRequestURI().getPath().equals(path)) {
                problem(exchange, 404);
                return;
            }
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                problem(exchange, 405);
                return;
            }
            MetricsScrape scrape = endpoint.scrape(exchange.getRequestHeaders().getFirst("Accept"));
            exchange.getResponseHeaders().set("Content-Type", scrape.contentType());
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, scrape.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(scrape.body());
            }
        }
    }

    private static void problem(HttpExchange exchange, int status) throws IOException {
        byte[] body = ProblemJson.of(status).toBytes();
        exchange.getResponseHeaders().set("Content-Type", ProblemJson.CONTENT_TYPE);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
