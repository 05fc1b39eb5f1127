package io.vigil.identity.internal.traffic;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Drives the event pipeline's ingest API ({@code POST /api/v1/events}, {@code GET /health}) with
 * the traffic generator ({@code --pipeline-url}): events of a few types, idempotent retries (the
 * same key and body: answered again, not ingested twice), a key reused with another body (422),
 * malformed, invalid and mistyped requests (400, 422, 415) and health probes, so every panel of
 * the pipeline dashboard has data. One traffic command drives the whole stack: the pipeline's API
 * is the second service identity-service's users reach, and its events land in the same Kafka.
 */
public final class PipelineTraffic {
    private static final List<String> TYPES = List.of("page_view", "click", "signup", "purchase", "search");

    private final String base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Map<Integer, LongAdder>> statuses = new ConcurrentHashMap<>();
    private final LongAdder transportErrors = new LongAdder();

    private PipelineTraffic(String base) {
        this.base = base.replaceAll("/+$", "");
    }

    /**
     * Runs the mix for {@code duration} with {@code concurrency} workers, prints the statuses per
     * operation and returns 0 when nothing answered 5xx and no request failed in transport.
     */
    public static int run(String base, Duration duration, int concurrency) {
        PipelineTraffic t = new PipelineTraffic(base);
        System.out.printf(
                Locale.ROOT,
                "traffic: event pipeline mix against %s for %d s with %d workers%n",
                t.base,
                duration.toSeconds(),
                concurrency);
        long deadline = System.nanoTime() + duration.toNanos();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < concurrency; w++) {
                workers.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        t.step();
                    }
                });
            }
            TrafficGenerator.awaitTermination(workers, duration.plusSeconds(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return t.report();
    }

    /** Ingests {@code n} valid events one after the other; returns how many were accepted (202). */
    public static int ingest(String base, int n) {
        PipelineTraffic t = new PipelineTraffic(base);
        int accepted = 0;
        for (int i = 0; i < n; i++) {
            if (t.post("event", t.event(), null, "application/json") == 202) {
                accepted++;
            }
        }
        return accepted;
    }

    private void step() {
        int dice = ThreadLocalRandom.current().nextInt(100);
        if (dice < 70) {
            post("event", event(), null, "application/json");
        } else if (dice < 80) {
            String key = UUID.randomUUID().toString();
            String body = event();
            post("event_with_key", body, key, "application/json");
            post("event_retried", body, key, "application/json"); // the same answer, ingested once
        } else if (dice < 84) {
            String key = UUID.randomUUID().toString();
            post("event_with_key", event(), key, "application/json");
            post("key_reused", event(), key, "application/json"); // another body: 422
        } else if (dice < 88) {
            post("malformed", "{\"event_type\":", null, "application/json");
        } else if (dice < 92) {
            post("invalid", "{\"event_type\":\"Not Valid!\",\"colour\":1}", null, "application/json");
        } else if (dice < 95) {
            post("wrong_type", event(), null, "text/plain");
        } else {
            send("health", HttpRequest.newBuilder(URI.create(base + "/health")).GET());
        }
    }

    private String event() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "{\"event_type\":\"" + TYPES.get(r.nextInt(TYPES.size())) + "\",\"source\":\"traffic\","
                + "\"occurred_at\":\"" + Instant.now() + "\",\"payload\":{\"n\":" + r.nextInt(1000)
                + ",\"session\":\"" + UUID.randomUUID() + "\"}}";
    }

    private int post(String op, String body, String key, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/api/v1/events"))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return send(op, b);
    }

    private int send(String op, HttpRequest.Builder request) {
        try {
            int status = http.send(
                            request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
            statuses.computeIfAbsent(op, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(status, s -> new LongAdder())
                    .increment();
            return status;
        } catch (java.io.IOException e) {
            transportErrors.increment();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private int report() {
        long serverErrors = 0;
        for (var e : new TreeMap<>(statuses).entrySet()) {
            Map<Integer, Long> st = new TreeMap<>();
            e.getValue().forEach((k, v) -> st.put(k, v.sum()));
            serverErrors += st.entrySet().stream()
                    .filter(x -> x.getKey() >= 500)
                    .mapToLong(Map.Entry::getValue)
                    .sum();
            System.out.printf(Locale.ROOT, "pipeline %-16s %s%n", e.getKey(), st);
        }
        System.out.printf(Locale.ROOT, "pipeline: 5xx %d; transport errors %d%n", serverErrors, transportErrors.sum());
        return serverErrors == 0 && transportErrors.sum() == 0 ? 0 : 1;
    }
}
