package io.vigil.core;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vigil.core.internal.FailureLog;
import io.vigil.core.internal.ProblemJson;
import io.vigil.core.internal.StderrFallback;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A tiny standalone HTTP server for services that have none of their own: it serves one {@link
 * MetricsEndpoint} on one path and answers 404 (405 for a method other than GET and HEAD) elsewhere,
 * with an RFC 9457 {@code application/problem+json} body. Each exchange runs on a virtual thread of
 * its own, so a client that never finishes its request holds only that thread, never the scrapes.
 * A client that has not sent its request line and headers within {@value #REQUEST_READ_SECONDS} s has its
 * connection closed, and of the clients still sending their request only the {@value #MAX_READING} latest are kept
 * (a new one closes the oldest), so stalled clients neither pile up nor keep a scrape out. An exchange ends within
 * {@value #EXCHANGE_SECONDS} s in all, and at most {@value #MAX_EXCHANGES} run at once: the connections beyond
 * are closed at once. These bounds belong to this server alone (the JDK's own, {@code sun.net.httpserver.*}, are
 * JVM-wide system properties, which this library leaves to the application). Stop it with {@link #close()}.
 */
public final class MetricsServer implements AutoCloseable {
    /** Seconds a client has to send the request line and headers. */
    static final int REQUEST_READ_SECONDS = 10;
    /** Seconds an exchange may take in all: the request, the scrape and the response. */
    static final int EXCHANGE_SECONDS = 60;
    /** Exchanges still reading their request at once; a new one closes the oldest beyond. */
    static final int MAX_READING = 16;
    /** Exchanges at once, in all; the connections beyond are closed at once. */
    static final int MAX_EXCHANGES = 128;

    private final HttpServer server;
    private final ExchangeExecutor executor;

    private MetricsServer(HttpServer server, ExchangeExecutor executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving {@code endpoint} at {@code path} on {@code host:port}; port 0 picks a free one.
     *
     * @throws UncheckedIOException when the address cannot be bound
     */
    public static MetricsServer start(MetricsEndpoint endpoint, String host, int port, String path) {
        return start(
                endpoint,
                host,
                port,
                path,
                Duration.ofSeconds(REQUEST_READ_SECONDS),
                Duration.ofSeconds(EXCHANGE_SECONDS),
                MAX_READING,
                MAX_EXCHANGES);
    }

    /** {@link #start(MetricsEndpoint, String, int, String)} with other bounds (tests). */
    static MetricsServer start(
            MetricsEndpoint endpoint,
            String host,
            int port,
            String path,
            Duration requestRead,
            Duration exchange,
            int maxReading,
            int maxExchanges) {
        Objects.requireNonNull(endpoint, "endpoint");
        return start(endpoint::scrape, host, port, path, requestRead, exchange, maxReading, maxExchanges);
    }

    /** A server answering with what {@code scrape} makes of a request's {@code Accept} header (tests). */
    static MetricsServer start(
            Function<String, MetricsScrape> scrape,
            String host,
            int port,
            String path,
            Duration requestRead,
            Duration exchange,
            int maxReading,
            int maxExchanges) {
        Objects.requireNonNull(scrape, "scrape");
        FailureLog scrapes = new FailureLog(
                StderrFallback.logger(MetricsServer.class),
                "metrics_server",
                "Collecting metrics for a scrape",
                "scrapes are answered 500");
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/': " + path);
        }
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
            // Not one platform thread: the JDK server reads a request's headers on the executor's thread with no time
            // limit, so one connection that stops half-way through them blocked every later scrape. The executor
            // bounds that read (and the whole exchange) itself, per exchange.
            ExchangeExecutor executor = new ExchangeExecutor(requestRead, exchange, maxReading, maxExchanges);
            server.setExecutor(executor);
            server.createContext("/", ex -> {
                ExchangeExecutor.requestRead();
                handle(ex, scrape, path, scrapes);
            });
            try {
                startDaemon(server);
            } catch (RuntimeException e) {
                executor.close();
                throw e;
            }
            return new MetricsServer(server, executor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind metrics server to " + host + ":" + port, e);
        }
    }

    /**
     * Starts {@code server} from a daemon thread, so that its dispatcher thread — which the JDK creates non-daemon, like
     * the thread that calls {@code start} — is a daemon too. A batch worker serving /metrics while it runs hung after
     * its {@code main} returned: the dispatcher kept the JVM alive, so the shutdown hook that closes Vigil (and this
     * server) never ran. The metrics port must not decide when the process ends.
     */
    private static void startDaemon(HttpServer server) {
        RuntimeException[] failure = new RuntimeException[1];
        Thread starter = Thread.ofPlatform()
                .daemon()
                .name("vigil-metrics-server-start")
                .unstarted(() -> {
                    try {
                        server.start();
                    } catch (RuntimeException e) {
                        failure[0] = e;
                    }
                });
        starter.start();
        boolean interrupted = false;
        while (true) {
            try {
                starter.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // start() does not block: finish waiting, then restore the flag
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    private static void handle(
            HttpExchange exchange, Function<String, MetricsScrape> scraper, String path, FailureLog scrapes)
            throws IOException {
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
            MetricsScrape scrape;
            try {
                scrape = scraper.apply(exchange.getRequestHeaders().getFirst("Accept"));
                scrapes.succeeded();
            } catch (RuntimeException | LinkageError e) {
                // E.g. NoSuchMethodError from OpenTelemetry's exporter on an older Prometheus client (a framework's
                // dependency management): escaping, it closed the connection without an answer and printed its stack
                // trace on stderr for every scrape. Now a 500 the scraper reports, and one WARN line per outage.
                scrapes.failed(e);
                problem(exchange, 500);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", scrape.contentType());
            if (method.equals("HEAD")) {
                // A GET's headers: the JDK server sets no length for HEAD itself (0 would be a wrong one).
                exchange.getResponseHeaders().set("Content-Length", Integer.toString(scrape.body().length));
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
        executor.close();
    }

    /**
     * Runs each exchange on a virtual thread of its own, with deadlines: the JDK server reads the request line and
     * headers on that thread, in blocking mode on the connection's channel, with no time limit of its own (but for
     * the JVM-wide {@code sun.net.httpserver.maxReqTime}). Interrupting a thread blocked on an interruptible channel
     * closes the channel, so a deadline ends the exchange and closes its connection; the server then forgets it.
     *
     * <p>Of the exchanges still reading their request, at most {@code maxReading} are kept: a new one closes the
     * oldest (a scrape's request is read at once, so the oldest is a client that stalls), so many stalled clients
     * cannot keep a scrape out. Beyond {@code maxExchanges} in all, a new connection is refused, which makes the
     * server close it at once: a bound on the threads and sockets held.
     */
    private static final class ExchangeExecutor implements Executor {
        /** The deadline of the exchange this thread runs (a virtual thread runs one exchange, then ends). */
        private static final ThreadLocal<Deadline> CURRENT = new ThreadLocal<>();

        private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("vigil-metrics-server").factory());
        private final ScheduledThreadPoolExecutor timer;
        private final Duration requestRead;
        private final Duration exchange;
        private final int maxReading;
        private final Semaphore slots;
        /** The exchanges still reading their request, oldest first. Guarded by itself. */
        private final Set<Deadline> reading = new LinkedHashSet<>();

        ExchangeExecutor(Duration requestRead, Duration exchange, int maxReading, int maxExchanges) {
            this.requestRead = requestRead;
            this.exchange = exchange;
            this.maxReading = maxReading;
            this.slots = new Semaphore(maxExchanges);
            this.timer = new ScheduledThreadPoolExecutor(
                    1,
                    Thread.ofPlatform().daemon().name("vigil-metrics-deadlines").factory());
            timer.setRemoveOnCancelPolicy(true);
        }

        @Override
        public void execute(Runnable task) {
            if (!slots.tryAcquire()) {
                throw new RejectedExecutionException("too many exchanges at once");
            }
            try {
                threads.execute(() -> {
                    Deadline deadline = new Deadline(Thread.currentThread());
                    CURRENT.set(deadline);
                    try {
                        synchronized (reading) {
                            Iterator<Deadline> oldest = reading.iterator();
                            while (reading.size() >= maxReading && oldest.hasNext()) {
                                oldest.next().thread.interrupt();
                                oldest.remove();
                            }
                            reading.add(deadline);
                        }
                        deadline.schedule(Math.min(requestRead.toNanos(), exchange.toNanos()));
                        task.run();
                    } catch (RejectedExecutionException closing) {
                        // the timer is shut down: the server is stopping and interrupts the exchanges itself
                    } finally {
                        deadline.cancel();
                        synchronized (reading) {
                            reading.remove(deadline);
                        }
                        CURRENT.remove();
                        slots.release();
                    }
                });
            } catch (RuntimeException e) {
                slots.release();
                throw e;
            }
        }

        /** The request line and headers are in: from now on the exchange's own, longer deadline applies. */
        static void requestRead() {
            Deadline deadline = CURRENT.get();
            if (deadline != null) {
                deadline.owner().requestRead(deadline);
            }
        }

        private void requestRead(Deadline deadline) {
            synchronized (reading) {
                reading.remove(deadline);
            }
            deadline.reschedule(exchange.toNanos());
        }

        void close() {
            threads.shutdownNow(); // interrupts the exchanges: their channels close
            timer.shutdownNow();
            try {
                threads.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** One exchange's deadline: interrupts its thread when it passes. */
        private final class Deadline {
            private final Thread thread;
            private final long start = System.nanoTime();
            private ScheduledFuture<?> pending;

            Deadline(Thread thread) {
                this.thread = thread;
            }

            ExchangeExecutor owner() {
                return ExchangeExecutor.this;
            }

            /** Interrupts the thread {@code nanos} after the exchange started. */
            synchronized void schedule(long nanos) {
                long delay = Math.max(0, start + nanos - System.nanoTime());
                pending = timer.schedule(thread::interrupt, delay, TimeUnit.NANOSECONDS);
            }

            synchronized void reschedule(long nanos) {
                if (pending != null && pending.cancel(false)) {
                    try {
                        schedule(nanos);
                    } catch (RejectedExecutionException closing) {
                        pending = null; // the server is stopping; close() interrupts the exchange itself
                    }
                }
            }

            synchronized void cancel() {
                if (pending != null) {
                    pending.cancel(false);
                }
            }
        }
    }
}
