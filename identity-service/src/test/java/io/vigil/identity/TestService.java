package io.vigil.identity;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.identity.internal.Jwt;
import java.time.Clock;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** One running identity service on a free port, with telemetry on (no export) and a known admin. */
final class TestService implements AutoCloseable {
    static final String ADMIN_EMAIL = "admin@example.com";
    static final String ADMIN_PASSWORD = "root passphrase 2024";
    /** One key for every service of a test run, so tests can mint and forge tokens knowingly. */
    static final String SIGNING_KEY = Jwt.generateKey();

    final Vigil vigil;
    /** Every span the service ended, exported synchronously. */
    final InMemorySpanExporter spans = InMemorySpanExporter.create();

    final IdentityService service;
    final Api api;
    /** The management port: metrics and health. */
    final Api management;

    final String databaseUrl;

    TestService(String databaseUrl, UnaryOperator<IdentityConfig.Builder> customize) {
        this(databaseUrl, customize, Clock.systemUTC());
    }

    TestService(String databaseUrl, UnaryOperator<IdentityConfig.Builder> customize, Clock clock) {
        this(databaseUrl, customize, clock, SecurityFeedConfig.defaults());
    }

    /** A service whose security feed has {@code feed}'s settings. */
    TestService(String databaseUrl, SecurityFeedConfig feed) {
        this(databaseUrl, b -> b, Clock.systemUTC(), feed);
    }

    TestService(
            String databaseUrl, UnaryOperator<IdentityConfig.Builder> customize, Clock clock, SecurityFeedConfig feed) {
        this(databaseUrl, customize, clock, feed, t -> t);
    }

    /** A service whose telemetry configuration {@code telemetry} adjusts. */
    TestService(
            String databaseUrl,
            UnaryOperator<IdentityConfig.Builder> customize,
            UnaryOperator<VigilConfig.Builder> telemetry) {
        this(databaseUrl, customize, Clock.systemUTC(), SecurityFeedConfig.defaults(), telemetry);
    }

    private TestService(
            String databaseUrl,
            UnaryOperator<IdentityConfig.Builder> customize,
            Clock clock,
            SecurityFeedConfig feed,
            UnaryOperator<VigilConfig.Builder> telemetry) {
        this.databaseUrl = databaseUrl;
        this.vigil = Vigil.builder()
                .config(telemetry
                        .apply(VigilConfig.builder().serviceName("identity-service"))
                        .build())
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                .build();
        IdentityConfig.Builder b = IdentityConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .managementPort(0)
                .databaseUrl(databaseUrl)
                .databasePoolSize(4)
                .admin(ADMIN_EMAIL, ADMIN_PASSWORD)
                .signingKeyJwk(SIGNING_KEY)
                .lockoutThreshold(3)
                .lockoutDuration(Duration.ofMinutes(10))
                .loginRateLimit(new IdentityConfig.RateLimit(10_000, Duration.ofMinutes(1)))
                .registerRateLimit(new IdentityConfig.RateLimit(10_000, Duration.ofMinutes(1)))
                .passwordChangeRateLimit(
                        new IdentityConfig.RateLimit(10_000, Duration.ofMinutes(1)),
                        new IdentityConfig.RateLimit(10_000, Duration.ofMinutes(1)));
        if (databaseUrl.startsWith("jdbc:postgresql:")) {
            b.databaseUser(TestDatabases.PG_USER);
        }
        this.service = IdentityService.start(customize.apply(b).build(), feed, vigil, clock);
        this.api = new Api(service.port());
        this.management = new Api(service.managementPort());
    }

    TestService(String databaseUrl) {
        this(databaseUrl, b -> b);
    }

    /**
     * Runs {@code request} and returns its result once the server has also ended the request's telemetry. The client
     * has the whole response before the server's filter ends the server span (named {@code serverSpan}, e.g. {@code
     * POST /api/v1/auth/login}), which it does after recording the HTTP metrics and writing the access line: a test
     * reading those right after the response raced them.
     */
    <T> T answered(String serverSpan, java.util.function.Supplier<T> request) {
        long before = serverSpans(serverSpan);
        T result = request.get();
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> serverSpans(serverSpan) > before);
        return result;
    }

    private long serverSpans(String name) {
        return spans.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.SERVER
                        && s.getName().equals(name))
                .count();
    }

    /** Signs up a user with {@code password} and returns an access token of theirs. */
    String tokenOfNewUser(String email, String password) {
        Api.Response r = api.post(
                "/api/v1/auth/register",
                java.util.Map.of("email", email, "password", password, "full_name", "Test"),
                null);
        if (r.status() != 201) {
            throw new AssertionError("sign-up failed: " + r.status() + " " + r.text());
        }
        return api.login(email, password).get("access_token").asString();
    }

    /** The single number {@code sql} selects from this service's database. */
    long count(String sql, Object... args) throws java.sql.SQLException {
        try (java.sql.Connection c = TestDatabases.connect(databaseUrl);
                java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    String adminToken() {
        return api.login(ADMIN_EMAIL, ADMIN_PASSWORD).get("access_token").asString();
    }

    @Override
    public void close() {
        service.close();
        vigil.close();
    }
}
