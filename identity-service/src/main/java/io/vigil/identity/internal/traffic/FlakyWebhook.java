package io.vigil.identity.internal.traffic;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * A security-notification webhook ({@code NOTIFY_WEBHOOK_URL}) that refuses some deliveries: every
 * notification whose id falls in one of {@code failEvery} buckets is answered 500 on each attempt
 * (its job retries with backoff, then is dead), the others 204. The traffic generator starts it
 * with {@code --webhook-port}, so the background-job panels show failures, retries and dead jobs.
 * Close it to stop.
 */
public final class FlakyWebhook implements AutoCloseable {
    private final HttpServer server;
    private final LongAdder delivered = new LongAdder();
    private final LongAdder refused = new LongAdder();

    private FlakyWebhook(HttpServer server) {
        this.server = server;
    }

    /** Listens on {@code host:port} (0 = any free port), refusing one notification in {@code failEvery}. */
    public static FlakyWebhook start(String host, int port, int failEvery) throws IOException {
        if (failEvery < 1) {
            throw new IllegalArgumentException("failEvery must be at least 1: " + failEvery);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        FlakyWebhook hook = new FlakyWebhook(server);
        server.createContext("/", exchange -> {
            try (exchange;
                    InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
                String id = exchange.getRequestHeaders().getFirst("Idempotency-Key");
                boolean refuse = id == null || Math.floorMod(id.hashCode(), failEvery) == 0;
                (refuse ? hook.refused : hook.delivered).increment();
                exchange.sendResponseHeaders(refuse ? 500 : 204, -1);
            }
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return hook;
    }

    /** The URL to set as {@code NOTIFY_WEBHOOK_URL}. */
    public URI url() {
        InetSocketAddress address = server.getAddress();
        // Bound to every interface (0.0.0.0, ::): printed as-is that was "http://0:0:0:0:0:0:0:0:9099/notify", which
        // is no URL at all; the service reaches a wildcard listener at localhost. An IPv6 literal needs brackets.
        String host = address.getAddress().isAnyLocalAddress()
                ? "localhost"
                : address.getAddress() instanceof java.net.Inet6Address
                        ? "[" + address.getAddress().getHostAddress() + "]"
                        : address.getHostString();
        return URI.create("http://" + host + ":" + address.getPort() + "/notify");
    }

    /** Deliveries answered 204. */
    public long delivered() {
        return delivered.sum();
    }

    /** Deliveries answered 500. */
    public long refused() {
        return refused.sum();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
