package io.vigil.identity.internal.traffic;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives a realistic traffic mix against a running identity service for a bounded time — sign-ups,
 * good and bad logins, lockouts, refreshes (and refresh-token reuse), reads, admin CRUD and
 * forbidden calls, and the security feed's WebSockets with each of their refusals ({@link FeedTraffic})
 * — so that every metric, log query and trace of the stack has data; then prints
 * throughput, status codes and latency percentiles per operation.
 *
 * <p>{@code --pipeline-url URL} also drives the event pipeline's ingest API for the same time
 * ({@link PipelineTraffic}; without {@code --url}, only it). {@code --webhook-port N} runs a
 * notification webhook on that port that refuses some deliveries ({@link FlakyWebhook}; start the
 * service with {@code NOTIFY_WEBHOOK_URL=http://localhost:N/notify}), so its background jobs fail,
 * retry and die.
 *
 * <p>{@code --mix read} instead sends a read-heavy mix ({@code GET /users/me} and token
 * verification with a few logged-in users), for comparing runs with observability on and off.
 *
 * <p>{@link #run} blocks its caller for the run, also on a task of the common {@link ForkJoinPool}
 * ({@code CompletableFuture.supplyAsync}): it waits as a managed block, so the pool makes up the
 * worker — the JDK's HttpClient completes every WebSocket handshake there, and would otherwise
 * wait for the run's end.
 */
public final class TrafficGenerator {
    private static final Pattern STRING_FIELD = Pattern.compile("\"([a-z_]+)\"\\s*:\\s*\"([^\"]*)\"");
    private static final String PASSWORD = "traffic passphrase 2024";
    private static final Set<String> OPTIONS = Set.of(
            "url",
            "duration",
            "concurrency",
            "mix",
            "admin-email",
            "admin-password",
            "pipeline-url",
            "webhook-port",
            "webhook-fail-every");
    private static final String USAGE = "usage: java -jar identity-service.jar traffic --url URL --duration SECONDS"
            + " [--concurrency N] [--mix full|read] [--admin-email E --admin-password P]"
            + " [--pipeline-url URL] [--webhook-port N [--webhook-fail-every K]]";

    private final String base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Stats> stats = new ConcurrentHashMap<>();
    private final List<String> users = new CopyOnWriteArrayList<>();
    private final List<String[]> sessions = new CopyOnWriteArrayList<>(); // {access, refresh}
    private final List<String> spentRefreshTokens = new CopyOnWriteArrayList<>();
    private final Map<String, String> predecessors = new ConcurrentHashMap<>(); // refresh token -> the one it replaced
    private final LongAdder transportErrors = new LongAdder();
    private final String adminEmail;
    private final String adminPassword;
    private volatile String adminToken;

    private TrafficGenerator(String base, String adminEmail, String adminPassword) {
        this.base = base.replaceAll("/+$", "");
        this.adminEmail = adminEmail;
        this.adminPassword = adminPassword;
    }

    /** Per-operation counts and latencies. */
    private static final class Stats {
        final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        final List<long[]> latencies = new CopyOnWriteArrayList<>();
        final ThreadLocal<long[]> buffer = new ThreadLocal<>();
        final ThreadLocal<int[]> used = ThreadLocal.withInitial(() -> new int[1]);

        void record(int status, long nanos) {
            statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
            long[] b = buffer.get();
            int[] n = used.get();
            if (b == null || n[0] == b.length) {
                b = new long[4096];
                buffer.set(b);
                latencies.add(b);
                n[0] = 0;
            }
            b[n[0]++] = nanos;
        }

        long[] sortedLatencies() {
            long[] all = latencies.stream()
                    .flatMapToLong(Arrays::stream)
                    .filter(v -> v > 0)
                    .toArray();
            Arrays.sort(all);
            return all;
        }
    }

    /** Runs the generator with command-line arguments; returns the process exit code. */
    public static int run(String[] args) {
        Map<String, String> opts = new TreeMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (args[i].equals("--help") || args[i].equals("-h")) {
                System.out.println(USAGE); // asked for: stdout and success, not "missing value for --help"
                return 0;
            }
            if (!args[i].startsWith("--")) {
                return usage("unexpected argument: " + args[i]);
            }
            // A misspelt option (--durration 5) was taken and ignored: the run went on with the default.
            if (!OPTIONS.contains(args[i].substring(2))) {
                return usage("unknown option " + args[i]);
            }
            if (i + 1 == args.length) {
                return usage("missing value for " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        String url = opts.get("url");
        String pipelineUrl = opts.get("pipeline-url");
        if (pipelineUrl != null && !pipelineUrl.matches("https?://.+")) {
            return usage("--pipeline-url takes http://host:port");
        }
        if ((url == null && pipelineUrl == null) || (url != null && !url.matches("https?://.+"))) {
            return usage("--url http://host:port is required");
        }
        long seconds;
        int concurrency;
        try {
            seconds = Long.parseLong(opts.getOrDefault("duration", "30"));
            concurrency = Integer.parseInt(opts.getOrDefault("concurrency", "4"));
        } catch (NumberFormatException e) {
            return usage("--duration and --concurrency take integers");
        }
        if (seconds < 1 || seconds > 86_400 || concurrency < 1 || concurrency > 512) {
            return usage("--duration must be 1–86400 and --concurrency 1–512");
        }
        String mix = opts.getOrDefault("mix", "full");
        if (!mix.equals("full") && !mix.equals("read")) {
            return usage("--mix is full or read");
        }
        if (pipelineUrl != null || opts.containsKey("webhook-port")) {
            return withExtras(opts, url, pipelineUrl, seconds, concurrency, mix);
        }
        TrafficGenerator g = new TrafficGenerator(
                url,
                opts.getOrDefault(
                        "admin-email",
                        Optional.ofNullable(System.getenv("ADMIN_EMAIL")).orElse("")),
                opts.getOrDefault(
                        "admin-password",
                        Optional.ofNullable(System.getenv("ADMIN_PASSWORD")).orElse("")));
        return g.drive(Duration.ofSeconds(seconds), concurrency, mix);
    }

    /** The run with the pipeline's traffic and/or the flaky webhook alongside identity-service's. */
    private static int withExtras(
            Map<String, String> opts, String url, String pipelineUrl, long seconds, int concurrency, String mix) {
        FlakyWebhook webhook = null;
        try {
            if (opts.containsKey("webhook-port")) {
                webhook = FlakyWebhook.start(
                        "0.0.0.0",
                        Integer.parseInt(opts.get("webhook-port")),
                        Integer.parseInt(opts.getOrDefault("webhook-fail-every", "3")));
                System.out.println("traffic: notification webhook on " + webhook.url() + " (set NOTIFY_WEBHOOK_URL)");
            }
        } catch (NumberFormatException e) {
            return usage("--webhook-port and --webhook-fail-every take integers");
        } catch (java.io.IOException | IllegalArgumentException e) {
            return usage("cannot start the webhook: " + e.getMessage());
        }
        try {
            java.util.concurrent.CompletableFuture<Integer> pipeline = pipelineUrl == null
                    ? java.util.concurrent.CompletableFuture.completedFuture(0)
                    : java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> PipelineTraffic.run(pipelineUrl, Duration.ofSeconds(seconds), concurrency));
            Map<String, String> identityOpts = new TreeMap<>(opts);
            identityOpts.keySet().removeAll(List.of("pipeline-url", "webhook-port", "webhook-fail-every"));
            int identity = 0;
            if (url != null) {
                List<String> args = new ArrayList<>();
                identityOpts.forEach((k, v) -> {
                    args.add("--" + k);
                    args.add(v);
                });
                identity = run(args.toArray(String[]::new));
            }
            int code = Math.max(identity, pipeline.join());
            if (webhook != null) {
                System.out.printf(
                        Locale.ROOT,
                        "traffic: webhook delivered %d, refused %d%n",
                        webhook.delivered(),
                        webhook.refused());
            }
            return code;
        } finally {
            if (webhook != null) {
                webhook.close();
            }
        }
    }

    private static int usage(String problem) {
        System.err.println("traffic: " + problem);
        System.err.println(USAGE);
        return 2;
    }

    private int drive(Duration duration, int concurrency, String mix) {
        System.out.printf(
                Locale.ROOT,
                "traffic: %s mix against %s for %d s with %d workers%n",
                mix,
                base,
                duration.toSeconds(),
                concurrency);
        if (!adminEmail.isEmpty()) {
            adminToken = login(adminEmail, adminPassword, "admin_login")
                    .map(s -> s[0])
                    .orElse(null);
            if (adminToken == null) {
                System.out.println("traffic: admin login failed; admin CRUD is skipped");
            }
        }
        // A few users to start with, so reads and refreshes have sessions from the first second.
        for (int i = 0; i < Math.min(concurrency, 8); i++) {
            signUpAndLogin();
        }
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < concurrency; w++) {
                workers.submit(() -> {
                    int failing = 0; // steps in a row that met a transport error
                    while (System.nanoTime() < deadline) {
                        long errorsBefore = transportErrors.sum();
                        try {
                            if (mix.equals("read")) {
                                readStep();
                            } else {
                                fullStep();
                            }
                        } catch (RuntimeException e) {
                            transportErrors.increment();
                        }
                        // A service that stopped answering is not hammered in a tight loop (tens of thousands of
                        // refused connections a second): back off 50 ms, doubling to 2 s, until a step gets through.
                        failing = transportErrors.sum() > errorsBefore ? failing + 1 : 0;
                        if (failing > 0 && !backOff(failing, deadline)) {
                            return;
                        }
                    }
                });
            }
            if (mix.equals("full") && adminToken != null) {
                // The security feed's WebSockets: held feeds, messages and each refusal (FeedTraffic).
                workers.submit(() -> new FeedTraffic(
                                base,
                                // A client of its own: its upgrades do not wait behind the mix's requests.
                                HttpClient.newBuilder()
                                        .connectTimeout(Duration.ofSeconds(5))
                                        .build(),
                                () -> adminToken,
                                () -> {
                                    String[] s = randomSession();
                                    return s == null ? null : s[0];
                                },
                                (op, status, nanos) -> stats.computeIfAbsent(op, k -> new Stats())
                                        .record(status, nanos),
                                transportErrors::increment)
                        .run(deadline));
            }
            awaitTermination(workers, duration.plusSeconds(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return report((System.nanoTime() - start) / 1e9);
    }

    /**
     * Waits before the next step after {@code failing} steps in a row met a transport error: 50 ms, doubling up to
     * 2 s, never past {@code deadline}. Returns false when interrupted.
     */
    static boolean backOff(int failing, long deadline) {
        long millis = Math.min(2_000, 50L << Math.min(failing - 1, 6));
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        try {
            Thread.sleep(Math.max(0, Math.min(millis, left)));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Shuts {@code workers} down and waits up to {@code max} for them. On a ForkJoinPool worker the
     * wait is a managed block, so the pool runs its other tasks on a thread it adds meanwhile: the
     * JDK's HttpClient completes each WebSocket handshake ({@code sendAsync}) on the common pool, and
     * a caller holding a worker of it (on two cores its only one) held up every feed the run opened
     * until the handshake timed out.
     */
    static void awaitTermination(ExecutorService workers, Duration max) throws InterruptedException {
        workers.shutdown();
        ForkJoinPool.managedBlock(new ForkJoinPool.ManagedBlocker() {
            @Override
            public boolean block() throws InterruptedException {
                workers.awaitTermination(max.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            }

            @Override
            public boolean isReleasable() {
                return workers.isTerminated();
            }
        });
    }

    private void readStep() {
        String[] s = randomSession();
        if (s == null) {
            signUpAndLogin();
            return;
        }
        if (ThreadLocalRandom.current().nextInt(10) == 0) {
            call("verify", "POST", "/api/v1/auth/verify", "{\"token\":\"" + s[0] + "\"}", null);
        } else {
            call("get_me", "GET", "/api/v1/users/me", null, s[0]);
        }
    }

    private void fullStep() {
        int dice = ThreadLocalRandom.current().nextInt(100);
        if (dice < 8) {
            signUpAndLogin();
        } else if (dice < 20) {
            String email = randomUser();
            if (email != null) {
                login(email, PASSWORD, "login_good");
            }
        } else if (dice < 28) {
            String email = randomUser();
            if (email != null) {
                call("login_bad", "POST", "/api/v1/auth/login", credentials(email, "not the password 0"), null);
            }
        } else if (dice < 30) {
            lockout();
        } else if (dice < 40) {
            refresh();
        } else if (dice < 64) {
            String[] s = randomSession();
            if (s != null) {
                call("get_me", "GET", "/api/v1/users/me", null, s[0]);
            }
        } else if (dice < 70) {
            String[] s = randomSession();
            if (s != null) {
                call("verify", "POST", "/api/v1/auth/verify", "{\"token\":\"" + s[0] + "\"}", null);
            }
        } else if (dice < 80) {
            crud();
        } else if (dice < 88) {
            String[] s = randomSession();
            if (s != null) { // a plain user listing users: 403
                call("forbidden_list", "GET", "/api/v1/users", null, s[0]);
            }
        } else if (dice < 92) {
            call(
                    "unknown_user_login",
                    "POST",
                    "/api/v1/auth/login",
                    credentials("ghost-" + UUID.randomUUID() + "@example.com", "whatever it is 1"),
                    null);
        } else if (dice < 95) {
            call("malformed", "POST", "/api/v1/auth/login", "{\"email\":", null);
        } else if (dice < 97) {
            call("invalid_token", "GET", "/api/v1/users/me", null, "not.a.token");
        } else {
            String[] s = randomSession();
            if (s != null && sessions.remove(s)) {
                call("logout", "POST", "/api/v1/auth/logout", "{\"refresh_token\":\"" + s[1] + "\"}", s[0]);
            }
        }
    }

    private void signUpAndLogin() {
        String email = "traffic-" + UUID.randomUUID().toString().substring(0, 12) + "@example.com";
        Response r = call(
                "register",
                "POST",
                "/api/v1/auth/register",
                "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"Traffic User\"}",
                null);
        if (r.status == 201) {
            users.add(email);
            login(email, PASSWORD, "login_good");
        }
    }

    private void lockout() {
        String email = "lockout-" + UUID.randomUUID().toString().substring(0, 12) + "@example.com";
        Response r = call(
                "register",
                "POST",
                "/api/v1/auth/register",
                "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"Lockout User\"}",
                null);
        if (r.status != 201) {
            return;
        }
        // More failures than any sensible LOCKOUT_THRESHOLD, then the right password, refused.
        for (int i = 0; i < 6; i++) {
            call("login_bad", "POST", "/api/v1/auth/login", credentials(email, "not the password 0"), null);
        }
        call("login_locked", "POST", "/api/v1/auth/login", credentials(email, PASSWORD), null);
        String id = field(r.body, "id");
        if (adminToken != null && id != null) {
            call("admin_unlock", "POST", "/api/v1/users/" + id + "/unlock", null, adminToken);
        }
    }

    private void refresh() {
        if (!spentRefreshTokens.isEmpty() && ThreadLocalRandom.current().nextInt(10) == 0) {
            // Reuse of a rotated token: the service revokes the family and raises a security event.
            String old = spentRefreshTokens.remove(ThreadLocalRandom.current().nextInt(spentRefreshTokens.size()));
            call("refresh_reuse", "POST", "/api/v1/auth/refresh", "{\"refresh_token\":\"" + old + "\"}", null);
            return;
        }
        String[] s = randomSession();
        if (s == null || !sessions.remove(s)) {
            return;
        }
        Response r = call("refresh", "POST", "/api/v1/auth/refresh", "{\"refresh_token\":\"" + s[1] + "\"}", null);
        if (r.status == 200) {
            // The token s[1] replaced now has a used successor: presenting it again is theft. (s[1]
            // itself would not be: within REFRESH_REUSE_GRACE it is a retry and gets its successor.)
            String replaced = predecessors.remove(s[1]);
            if (replaced != null && spentRefreshTokens.size() < 1000) {
                spentRefreshTokens.add(replaced);
            }
            String next = field(r.body, "refresh_token");
            if (next != null && predecessors.size() < 10_000) {
                predecessors.put(next, s[1]);
            }
            addSession(field(r.body, "access_token"), next);
        }
    }

    private void crud() {
        if (adminToken == null) {
            return;
        }
        String email = "crud-" + UUID.randomUUID().toString().substring(0, 12) + "@example.com";
        Response created = call(
                "admin_create",
                "POST",
                "/api/v1/users",
                "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"Crud User\"}",
                adminToken);
        if (created.status == 401) {
            adminToken = login(adminEmail, adminPassword, "admin_login")
                    .map(s -> s[0])
                    .orElse(null);
            return;
        }
        String id = field(created.body, "id");
        if (id == null) {
            return;
        }
        String path = "/api/v1/users/" + id;
        call("admin_get", "GET", path, null, adminToken);
        call("admin_update", "PATCH", path, "{\"full_name\":\"Crud User Renamed\"}", adminToken);
        call("admin_list", "GET", "/api/v1/users?page=1&page_size=20", null, adminToken);
        call("admin_deactivate", "POST", path + "/deactivate", null, adminToken);
        call("admin_activate", "POST", path + "/activate", null, adminToken);
        call("admin_delete", "DELETE", path, null, adminToken);
    }

    private Optional<String[]> login(String email, String password, String op) {
        Response r = call(op, "POST", "/api/v1/auth/login", credentials(email, password), null);
        if (r.status != 200) {
            return Optional.empty();
        }
        String access = field(r.body, "access_token");
        String refresh = field(r.body, "refresh_token");
        if (op.equals("admin_login")) {
            // The admin session stays out of the pool: random logouts and "forbidden" calls are users'.
            return access == null ? Optional.empty() : Optional.of(new String[] {access, refresh});
        }
        return Optional.ofNullable(addSession(access, refresh));
    }

    private String[] addSession(String access, String refresh) {
        if (access == null || refresh == null) {
            return null;
        }
        String[] s = {access, refresh};
        sessions.add(s);
        while (sessions.size() > 500) {
            sessions.removeFirst();
        }
        return s;
    }

    private String[] randomSession() {
        List<String[]> snapshot = sessions;
        int n = snapshot.size();
        if (n == 0) {
            return null;
        }
        try {
            return snapshot.get(ThreadLocalRandom.current().nextInt(n));
        } catch (IndexOutOfBoundsException e) {
            return null; // shrunk meanwhile
        }
    }

    private String randomUser() {
        int n = users.size();
        return n == 0 ? null : users.get(ThreadLocalRandom.current().nextInt(n));
    }

    private static String credentials(String email, String password) {
        return "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}";
    }

    private static String field(String json, String name) {
        Matcher m = STRING_FIELD.matcher(json);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return m.group(2);
            }
        }
        return null;
    }

    private record Response(int status, String body) {}

    private Response call(String op, String method, String path, String body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        long t0 = System.nanoTime();
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            stats.computeIfAbsent(op, k -> new Stats()).record(r.statusCode(), System.nanoTime() - t0);
            return new Response(r.statusCode(), r.body());
        } catch (java.io.IOException e) {
            transportErrors.increment();
            return new Response(0, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Response(0, "");
        }
    }

    private int report(double elapsedSeconds) {
        long total = 0;
        long serverErrors = 0;
        Map<Integer, Long> byStatus = new TreeMap<>();
        List<long[]> all = new ArrayList<>();
        StringBuilder ops = new StringBuilder();
        ops.append(String.format(
                Locale.ROOT,
                "%-20s %8s %9s %9s %9s  %s%n",
                "operation",
                "count",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "statuses"));
        for (var e : new TreeMap<>(stats).entrySet()) {
            Stats s = e.getValue();
            long[] lat = s.sortedLatencies();
            all.add(lat);
            Map<Integer, Long> st = new TreeMap<>();
            s.statuses.forEach((k, v) -> st.put(k, v.sum()));
            st.forEach((k, v) -> byStatus.merge(k, v, Long::sum));
            long n = st.values().stream().mapToLong(Long::longValue).sum();
            total += n;
            serverErrors += st.entrySet().stream()
                    .filter(x -> x.getKey() >= 500)
                    .mapToLong(Map.Entry::getValue)
                    .sum();
            ops.append(String.format(
                    Locale.ROOT,
                    "%-20s %8d %9.2f %9.2f %9.2f  %s%n",
                    e.getKey(),
                    n,
                    pct(lat, 0.50),
                    pct(lat, 0.95),
                    pct(lat, 0.99),
                    st));
        }
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        System.out.print(ops);
        System.out.printf(
                Locale.ROOT,
                "total: %d requests in %.1f s = %.1f req/s; latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms;"
                        + " statuses %s; 5xx %d; transport errors %d%n",
                total,
                elapsedSeconds,
                total / elapsedSeconds,
                pct(merged, 0.50),
                pct(merged, 0.95),
                pct(merged, 0.99),
                byStatus,
                serverErrors,
                transportErrors.sum());
        return serverErrors == 0 && transportErrors.sum() == 0 ? 0 : 1;
    }

    private static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }
}
