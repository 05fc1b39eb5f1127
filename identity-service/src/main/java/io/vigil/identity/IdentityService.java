package io.vigil.identity;

import io.javalin.Javalin;
import io.vigil.core.Vigil;
import io.vigil.http.RateLimitTelemetry;
import io.vigil.http.javalin.PortBinding;
import io.vigil.identity.internal.AuditEvents;
import io.vigil.identity.internal.AuditLog;
import io.vigil.identity.internal.AuthService;
import io.vigil.identity.internal.BackgroundJobs;
import io.vigil.identity.internal.Database;
import io.vigil.identity.internal.Jwt;
import io.vigil.identity.internal.Passwords;
import io.vigil.identity.internal.RateLimiter;
import io.vigil.identity.internal.TokenStore;
import io.vigil.identity.internal.UserService;
import io.vigil.identity.internal.UserStore;
import io.vigil.identity.internal.feed.BruteForceAlarm;
import io.vigil.identity.internal.feed.SecurityFeed;
import io.vigil.identity.internal.http.HttpApi;
import io.vigil.identity.telemetry.IdentityTelemetry;
import io.vigil.jdbc.VigilJdbc;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running identity service: database migrated, initial administrator ensured, HTTP API listening.
 *
 * <pre>{@code
 * try (Vigil vigil = Vigil.start();
 *      IdentityService service = IdentityService.start(IdentityConfig.fromEnvironment(System.getenv()), vigil)) {
 *     ...
 * }
 * }</pre>
 *
 * <p>Instances are stateless: everything that must hold across them (refresh tokens, revocations,
 * lockout counters, rate-limit buckets, the development signing key) is in the database.
 */
public final class IdentityService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IdentityService.class);

    private final Database db;
    private final Javalin app;
    private final Javalin management; // null when metrics and health are on the public port
    private final HttpApi api;
    private final Passwords passwords;
    private final BackgroundJobs jobs;
    private final AuditEvents auditEvents;
    private final IdentityTelemetry telemetry;
    private final SecurityFeed feed;
    private final Duration shutdownTimeout;
    private final AtomicBoolean closed = new AtomicBoolean();

    private IdentityService(
            Database db,
            Javalin app,
            Javalin management,
            HttpApi api,
            Passwords passwords,
            BackgroundJobs jobs,
            AuditEvents auditEvents,
            IdentityTelemetry telemetry,
            SecurityFeed feed,
            Duration shutdownTimeout) {
        this.db = db;
        this.app = app;
        this.management = management;
        this.api = api;
        this.passwords = passwords;
        this.jobs = jobs;
        this.auditEvents = auditEvents;
        this.telemetry = telemetry;
        this.feed = feed;
        this.shutdownTimeout = shutdownTimeout;
    }

    /**
     * Migrates the database, ensures the initial administrator and starts listening.
     *
     * @throws IllegalArgumentException for an unusable setting (signing key, admin password…)
     */
    public static IdentityService start(IdentityConfig config, Vigil vigil) {
        return start(config, vigil, Clock.systemUTC());
    }

    /** {@link #start(IdentityConfig, Vigil)} on a given clock (tests move time forward). */
    static IdentityService start(IdentityConfig config, Vigil vigil, Clock clock) {
        return start(config, SecurityFeedConfig.defaults(), vigil, clock);
    }

    /** {@link #start(IdentityConfig, Vigil)} with the security feed's settings. */
    public static IdentityService start(IdentityConfig config, SecurityFeedConfig feedConfig, Vigil vigil) {
        return start(config, feedConfig, vigil, Clock.systemUTC());
    }

    static IdentityService start(IdentityConfig config, SecurityFeedConfig feedConfig, Vigil vigil, Clock clock) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(feedConfig, "feedConfig");
        Objects.requireNonNull(vigil, "vigil");
        Objects.requireNonNull(clock, "clock");
        log.info(config.summary());
        Database db = new Database(config, VigilJdbc.create(vigil));
        IdentityTelemetry telemetry = null;
        Passwords passwords = new Passwords(config.passwordHashConcurrency(), config.passwordHashMaxWait());
        Javalin management = null;
        BackgroundJobs jobs = null;
        AuditEvents auditEvents = null;
        SecurityFeed feed = null;
        try {
            telemetry = new IdentityTelemetry(vigil);
            UserStore users = new UserStore();
            TokenStore tokens = new TokenStore();
            // Expired tokens are purged by a recurring job (any one instance runs it); security
            // notifications are queued jobs, enqueued with the audit record of the change.
            jobs = new BackgroundJobs(config, vigil, db, tokens);
            // vigil-audit's table and log event; with KAFKA_BOOTSTRAP_SERVERS, also the Kafka outbox.
            auditEvents = new AuditEvents(config, vigil, db, jobs::notify, clock);
            AuditLog audit = auditEvents.auditLog();
            Jwt jwt = new Jwt(signingKey(config, db, tokens), config.issuer());
            AuthService auth = new AuthService(
                    config,
                    db,
                    users,
                    tokens,
                    audit,
                    passwords,
                    jwt,
                    new RateLimiter(
                            db,
                            config.embeddedDatabase(),
                            Map.of(
                                    "login", config.loginRateLimit(),
                                    "register", config.registerRateLimit(),
                                    "password_change_user", config.passwordChangeRateLimit(),
                                    "password_change", config.passwordChangeAddressRateLimit()),
                            // Counted by vigil-http; the WARN event naming the limit is the RateLimiter's.
                            RateLimitTelemetry.builder(vigil)
                                    .logEventsPerSecond(0)
                                    .build(),
                            new BruteForceAlarm(telemetry)::refused),
                    telemetry,
                    clock);
            UserService userService = new UserService(config, db, users, tokens, audit, passwords, telemetry, clock);
            telemetry.activeTokens("access", () -> auth.activeTokens("access"));
            telemetry.activeTokens("refresh", () -> auth.activeTokens("refresh"));
            if (config.adminEmail().isPresent()) {
                if (userService.ensureAdmin(
                        config.adminEmail().get(), config.adminPassword().orElseThrow())) {
                    log.info("Initial administrator created");
                }
            }
            HttpApi api = new HttpApi(config, vigil, db, auth, userService, jwt, clock);
            feed = new SecurityFeed(config, feedConfig, vigil, db, auth, telemetry, clock);
            telemetry.onSecurityEvent(feed::publish);
            auth.onAccessRevoked(feed::accessRevoked);
            userService.onAccessRevoked(feed::accessRevoked);
            api.extend(feed::install);
            if (!config.metricsOnServicePort()) {
                management = PortBinding.start(api.createManagement(), "MANAGEMENT_PORT", config.managementPort());
            }
            Javalin app = PortBinding.start(api.create(), "PORT", config.port());
            jobs.start();
            auditEvents.start();
            log.info(
                    "identity-service listening on {}:{}, metrics and health on {}",
                    config.host(),
                    app.port(),
                    management == null ? "the same port (METRICS_TOKEN required)" : "port " + management.port());
            return new IdentityService(
                    db, app, management, api, passwords, jobs, auditEvents, telemetry, feed, config.shutdownTimeout());
        } catch (RuntimeException e) {
            if (feed != null) {
                feed.close();
            }
            if (auditEvents != null) {
                auditEvents.close();
            }
            if (jobs != null) {
                jobs.close();
            }
            if (telemetry != null) {
                telemetry.close();
            }
            if (management != null) {
                management.stop();
            }
            passwords.close();
            db.close();
            throw e;
        }
    }

    private static String signingKey(IdentityConfig config, Database db, TokenStore tokens) {
        if (config.signingKeyJwk().isPresent()) {
            return config.signingKeyJwk().get();
        }
        // Development: one generated key per database, so all instances on it agree and tokens
        // survive restarts. Production sets JWT_SIGNING_KEY and keeps the private key out of the DB.
        String generated = Jwt.generateKey();
        return db.tx(c -> {
            if (tokens.insertSigningKey(c, "development", generated, Instant.now())) {
                log.warn("Generated a development JWT signing key and stored it in the database;"
                        + " set JWT_SIGNING_KEY in production");
            }
            return tokens.signingKey(c, "development").orElseThrow();
        });
    }

    /** The live security feed of this instance (for tests: its open feeds and timers). */
    SecurityFeed feed() {
        return feed;
    }

    /** The port actually listened on. */
    public int port() {
        return app.port();
    }

    /** HTTP sessions the API server holds now: none outlive their request. */
    long sessionsHeld() {
        return api.sessionsHeld();
    }

    /** The management port (metrics, health); the public port when they are served there. */
    public int managementPort() {
        return management == null ? app.port() : management.port();
    }

    /**
     * Every route as {@code METHOD path}, e.g. {@code GET /api/v1/users/{id}}; the security feed's
     * WebSocket upgrade is {@code GET /api/v1/ws/security-events}.
     */
    List<String> routes() {
        List<String> all = new java.util.ArrayList<>();
        api.routes().forEach(r -> all.add(r.method().name() + " " + r.path()));
        all.add("GET " + SecurityFeed.PATH);
        return List.copyOf(all);
    }

    /**
     * Stops gracefully, logging one line per phase: readiness answers 503; the listener closes, so
     * new connections are refused; the requests in flight finish (for at most {@code
     * SHUTDOWN_TIMEOUT}, then they are cut off); the job scheduler stops polling and waits for the
     * jobs running here (at most {@code SHUTDOWN_TIMEOUT}); then the connection pool closes. Telemetry is the
     * caller's to flush afterwards, so these requests' spans and logs are part of it. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long start = System.nanoTime();
        api.stopBeingReady();
        log.info("Shutdown: readiness answers 503");
        telemetry.close();
        PortBinding.stopAccepting(app); // a request still receiving its body keeps its idle timeout
        log.info(
                "Shutdown: no longer accepting connections; waiting up to {} ms for {} requests in flight",
                shutdownTimeout.toMillis(),
                api.inFlight());
        app.stop(); // Jetty waits for the requests in flight, bounded by its stop timeout
        feed.close();
        long cut = api.inFlight();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (cut == 0) {
            log.info("Shutdown: requests in flight finished; HTTP server stopped after {} ms", tookMs);
        } else {
            log.warn("Shutdown: {} requests still running after {} ms were cut off", cut, tookMs);
        }
        // After the requests (they may still enqueue jobs), before the pool (jobs running here finish
        // on it, bounded by SHUTDOWN_TIMEOUT).
        long jobsStart = System.nanoTime();
        jobs.close();
        log.info(
                "Shutdown: job scheduler stopped; jobs running here finished after {} ms",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - jobsStart));
        auditEvents.close(); // the batch being published ends; what is left stays in the outbox
        if (management != null) {
            management.stop();
        }
        passwords.close();
        db.close();
        log.info("Shutdown: database pool closed");
    }
}
