package io.vigil.identity.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.vigil.conventions.identity.Authentication;
import io.vigil.conventions.identity.AuthorizationCheck;
import io.vigil.conventions.identity.IdentityConventions;
import io.vigil.conventions.identity.PasswordOperation;
import io.vigil.conventions.identity.SecurityEvent;
import io.vigil.conventions.identity.TokenOperation;
import io.vigil.conventions.identity.UserOperation;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.OperationScope;
import io.vigil.core.Operations;
import io.vigil.core.Outcome;
import io.vigil.core.Vigil;
import io.vigil.http.TokenValidationTelemetry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one seam between the identity domain and telemetry: every domain operation of the telemetry
 * contract (authentication, user, token and password operations, authorization checks, security
 * events) runs through exactly one method here, and each is one Vigil {@link Operations} call — the
 * span, the contract's metrics and the structured log event together.
 *
 * <p>Operations are <em>wrapped</em>, not reported afterwards, so the operation's span is current
 * while the work runs: database spans and nested operations become its children, and the login
 * trace has the contract's shape.
 */
public final class IdentityTelemetry implements AutoCloseable {
    /** How often the {@code active_tokens} counts are refreshed without a scrape asking. */
    private static final Duration REFRESH_PERIOD = Duration.ofSeconds(15);

    private static final Logger log = LoggerFactory.getLogger(IdentityTelemetry.class);
    private static final AttributeKey<String> TOKEN_TYPE = AttributeKey.stringKey("token_type");

    /** Outcome statuses of the contract. */
    public static final String SUCCESS = "success";

    public static final String FAILURE = "failure";
    public static final String ERROR = "error";

    private final Operations operations;
    private final TokenValidationTelemetry tokenValidations;
    // Operations are described once per distinct name; the names are code constants.
    private final Map<String, io.vigil.core.Operation> described = new ConcurrentHashMap<>();
    private final Map<String, Supplier<Long>> activeTokens = new ConcurrentHashMap<>();
    private final Map<String, Count> lastActiveTokens = new ConcurrentHashMap<>();
    private final ScheduledExecutorService refresher = newRefresher();
    private final AtomicBoolean refreshPending = new AtomicBoolean();
    private volatile SecurityEventListener securityEventListener;

    /** A seam emitting through {@code vigil}'s operation API and meter. */
    public IdentityTelemetry(Vigil vigil) {
        // The catalogue lists the kinds this service uses from the start, not only once each has run:
        // the identity conventions here, and the database operations its repositories record.
        this.operations = IdentityConventions.registerWith(vigil.operations()).register(DatabaseOperation.KIND);
        // The counter series of the operations this service performs exist at 0 from the first scrape: a series
        // that appeared with the first burst of failed logins or lockouts after a start would hide that burst from
        // rate(), increase() and so from the alerts (Prometheus takes a new series' first sample as its baseline).
        operations.declare(
                describe("authentication", "authenticate_user", "login"),
                describe("authentication", "refresh_access_token", "refresh"),
                describe("authentication", "verify_token", "verify"),
                describe("token_operation", "create_access_token", "generate", "access"),
                describe("token_operation", "create_refresh_token", "generate", "refresh"),
                describe("token_operation", "validate_access_token", "validate", "access"),
                describe("token_operation", "revoke_tokens", "revoke", "access"),
                describe("password_operation", "change_password", "change"),
                describe("password_operation", "verify", "validate"),
                describe("user_operation", "create_user", "create"),
                describe("user_operation", "get_user", "get"),
                describe("user_operation", "list_users", "list"),
                describe("user_operation", "update_user", "update"),
                describe("user_operation", "delete_user", "delete"),
                describe("user_operation", "activate_user", "activate"),
                describe("user_operation", "deactivate_user", "deactivate"),
                // The (type, severity) pairs the service raises (AuthService, UserService, BruteForceAlarm).
                SecurityEvent.of("account_locked", "high"),
                SecurityEvent.of("brute_force_suspected", "high"),
                SecurityEvent.of("refresh_token_reuse", "high"),
                SecurityEvent.of("role_changed", "medium"),
                SecurityEvent.of("account_deactivated", "medium"),
                SecurityEvent.of("account_unlocked", "low"));
        Meter meter = vigil.openTelemetry().getMeter("io.vigil.identity");
        // The library's convention for bearer tokens; the token operation's own event logs each
        // validation already, so the convention's refusal event is off.
        this.tokenValidations =
                TokenValidationTelemetry.builder(vigil).logEventsPerSecond(0).build();
        // The counts are database queries: they run on the refresher's thread, never in a scrape,
        // so a database that does not answer cannot stall /metrics. A scrape serves the last counts
        // and their age, and asks for a fresh count for the next one.
        meter.gaugeBuilder("active_tokens")
                .setDescription("Issued, unexpired, unrevoked tokens by type (last background count)")
                .ofLongs()
                .buildWithCallback(m -> {
                    refreshSoon();
                    lastActiveTokens.forEach((type, c) -> m.record(c.value(), Attributes.of(TOKEN_TYPE, type)));
                });
        meter.gaugeBuilder("active_tokens_age_seconds")
                .setDescription("Seconds since active_tokens was last counted successfully")
                .buildWithCallback(m -> {
                    long now = System.nanoTime();
                    lastActiveTokens.forEach(
                            (type, c) -> m.record((now - c.countedAtNanos()) / 1e9, Attributes.of(TOKEN_TYPE, type)));
                });
        refresher.scheduleWithFixedDelay(
                this::refreshActiveTokens, REFRESH_PERIOD.toMillis(), REFRESH_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    private record Count(long value, long countedAtNanos) {}

    private static ScheduledExecutorService newRefresher() {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "identity-gauges");
            t.setDaemon(true);
            return t;
        });
    }

    // At most one count runs or waits at a time; a scrape's request is dropped while one is pending.
    private void refreshSoon() {
        if (!refreshPending.compareAndSet(false, true)) {
            return;
        }
        try {
            refresher.execute(this::refreshActiveTokens);
        } catch (RejectedExecutionException e) {
            refreshPending.set(false); // closed
        }
    }

    private void refreshActiveTokens() {
        refreshPending.set(false);
        activeTokens.forEach((type, count) -> {
            try {
                lastActiveTokens.put(type, new Count(count.get(), System.nanoTime()));
            } catch (RuntimeException e) {
                // The last count stays, and active_tokens_age_seconds shows how old it is.
                log.debug("active_tokens for {} unavailable: {}", type, e.getMessage());
            }
        });
    }

    /** Stops the background refresh of the {@code active_tokens} counts. */
    @Override
    public void close() {
        refresher.shutdownNow();
    }

    /**
     * The handle an operation's body uses to describe its outcome: who it concerned and, when it
     * failed without throwing, why.
     */
    public interface Operation {
        /** The user the operation concerns (authenticated or acted upon). */
        Operation userId(String userId);

        /** The email involved; only ever emitted masked. */
        Operation email(String email);

        /** Marks the operation as failed (a domain failure, not an error) for this bounded reason. */
        Operation failure(String reason);

        /** An additional attribute, scrubbed. */
        Operation attribute(String key, Object value);
    }

    /**
     * Thrown by a body to say "this is a domain failure with this reason" (status {@code failure})
     * rather than an unexpected error (status {@code error}).
     */
    public interface DomainFailure extends io.vigil.core.DomainFailure {}

    /** Authentication ({@code auth_type} login, refresh, verify): span {@code auth.<type>.<operation>}. */
    public <T> T authentication(String authType, String operation, Function<Operation, T> body) {
        return run(describe("authentication", operation, authType), null, null, body);
    }

    /** A user operation (create, update, delete, get, list, activate, deactivate, unlock). */
    public <T> T userOperation(
            String operationType, String operation, String actorId, String targetId, Function<Operation, T> body) {
        return run(describe("user_operation", operation, operationType), actorId, targetId, body);
    }

    /** A token operation (generate, validate, refresh, revoke) on a token type (access, refresh). */
    public <T> T tokenOperation(String operationType, String tokenType, String operation, Function<Operation, T> body) {
        io.vigil.core.Operation described = describe("token_operation", operation, operationType, tokenType);
        if (!"validate".equals(operationType)) {
            return run(described, null, null, body);
        }
        // Validations also feed the platform counter token_validation_total{status} (valid, expired,
        // invalid), recorded while the operation's span is current so it carries the status too.
        return run(described, null, null, op -> {
            String status = TokenValidationTelemetry.INVALID;
            try {
                T result = body.apply(op);
                status = ((Scope) op).scope.outcome() == Outcome.SUCCESS
                        ? TokenValidationTelemetry.VALID
                        : validationStatus(((Scope) op).reason);
                return result;
            } catch (RuntimeException e) {
                if (e instanceof io.vigil.core.DomainFailure f) {
                    status = validationStatus(f.failureReason());
                }
                throw e;
            } finally {
                tokenValidations.record(status);
            }
        });
    }

    private static String validationStatus(String reason) {
        return reason != null && reason.contains("expired")
                ? TokenValidationTelemetry.EXPIRED
                : TokenValidationTelemetry.INVALID;
    }

    /** A password operation (change, validate, reset, verify); always security relevant. */
    public <T> T passwordOperation(String operationType, String operation, Function<Operation, T> body) {
        return run(describe("password_operation", operation, operationType), null, null, body);
    }

    /**
     * An authorization check of {@code userRoles} against {@code requiredRoles} for {@code action}
     * on {@code resource}; returns the decision unchanged.
     */
    public boolean authorizationCheck(
            String resource,
            String action,
            List<String> requiredRoles,
            List<String> userRoles,
            String userId,
            boolean granted) {
        try (OperationScope op = operations.start(AuthorizationCheck.of(resource, action))) {
            op.userId(userId)
                    .attribute("authz.required_roles", String.join(",", requiredRoles))
                    .attribute("authz.user_roles", String.join(",", userRoles));
            if (!granted) {
                op.failure(userId == null ? "unauthenticated" : "missing_role");
            }
        } catch (RuntimeException e) {
            log.debug("authorization telemetry failed", e);
        }
        return granted;
    }

    /** A security event ({@code account_locked}, {@code refresh_token_reuse}, …) of a severity. */
    public void securityEvent(String eventType, String severity, String userId, Map<String, Object> details) {
        try (OperationScope op = operations.start(SecurityEvent.of(eventType, severity))) {
            op.userId(userId);
            details.forEach((k, v) -> attribute(op, "security.event." + k, v));
        } catch (RuntimeException e) {
            log.debug("security event telemetry failed", e);
        }
        SecurityEventListener l = securityEventListener;
        if (l != null) {
            try {
                l.securityEvent(eventType, severity, userId, details);
            } catch (RuntimeException e) {
                log.debug("security event listener failed", e);
            }
        }
    }

    /** Told of every {@link #securityEvent} after it is recorded (the live security feed). */
    @FunctionalInterface
    public interface SecurityEventListener {
        /** The event; must not block. */
        void securityEvent(String eventType, String severity, String userId, Map<String, Object> details);
    }

    /** Sets the one listener told of every security event (replacing any earlier one). */
    public void onSecurityEvent(SecurityEventListener listener) {
        this.securityEventListener = listener;
    }

    /**
     * A failed login. The authentication operation that failed already counts it in {@code
     * failed_login_attempts_total{reason}}; this only marks the place in the domain code.
     */
    public void failedLogin(String reason) {
        // Counted by the Authentication operation kind on failure.
    }

    /**
     * Registers the source of the {@code active_tokens} gauge for one token type: a count of issued,
     * unexpired, unrevoked tokens, read from the database in the background (at once, every 15 s
     * and after a scrape), never while a scrape waits.
     */
    public void activeTokens(String tokenType, Supplier<Long> count) {
        activeTokens.put(tokenType, Objects.requireNonNull(count, "count"));
        refreshSoon();
    }

    /** The registered {@code active_tokens} sources, by token type. */
    public Map<String, Supplier<Long>> activeTokenSources() {
        return Map.copyOf(activeTokens);
    }

    private io.vigil.core.Operation describe(String kind, String name, String... values) {
        String key = kind + '|' + name + '|' + String.join("|", values);
        io.vigil.core.Operation op = described.get(key);
        if (op == null) {
            op = described.computeIfAbsent(key, k -> switch (kind) {
                case "authentication" -> Authentication.KIND.operation(name, values);
                case "user_operation" -> UserOperation.KIND.operation(name, values);
                case "token_operation" -> TokenOperation.KIND.operation(name, values);
                case "password_operation" -> PasswordOperation.KIND.operation(name, values);
                default -> throw new IllegalArgumentException(kind);
            });
        }
        return op;
    }

    private <T> T run(io.vigil.core.Operation operation, String actorId, String targetId, Function<Operation, T> body) {
        try (OperationScope scope = operations.start(operation)) {
            Scope op = new Scope(scope);
            if (actorId != null) {
                scope.actorId(actorId);
            }
            if (targetId != null) {
                scope.userId(targetId);
            }
            try {
                return body.apply(op);
            } catch (RuntimeException | Error e) {
                // A reason the body already gave wins over the exception's generic one.
                if (scope.outcome() != Outcome.FAILURE) {
                    if (e instanceof io.vigil.core.DomainFailure f) {
                        scope.failure(f.failureReason());
                    } else {
                        scope.error(e);
                    }
                }
                throw e;
            }
        }
    }

    private static void attribute(OperationScope op, String key, Object value) {
        switch (value) {
            case null -> {}
            case Boolean b -> op.attribute(key, b);
            case Integer i -> op.attribute(key, i.longValue());
            case Long l -> op.attribute(key, l);
            case Number n -> op.attribute(key, n.doubleValue());
            default -> op.attribute(key, value.toString());
        }
    }

    /** The domain's view of one running operation. */
    private static final class Scope implements Operation {
        final OperationScope scope;
        String reason;

        Scope(OperationScope scope) {
            this.scope = scope;
        }

        @Override
        public Operation userId(String userId) {
            scope.userId(userId);
            return this;
        }

        @Override
        public Operation email(String email) {
            scope.email(email);
            return this;
        }

        @Override
        public Operation failure(String reason) {
            this.reason = reason;
            scope.failure(reason);
            return this;
        }

        @Override
        public Operation attribute(String key, Object value) {
            IdentityTelemetry.attribute(scope, key, value);
            return this;
        }
    }
}
