package io.vigil.identity.telemetry;

import io.vigil.core.Scrubber;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The one seam between the identity domain and telemetry: every domain operation of the telemetry
 * contract (authentication, user, token and password operations, authorization checks, security
 * events) runs through exactly one method here, named after the contract's operation.
 *
 * <p>Operations are <em>wrapped</em>, not reported afterwards, so that an implementation can open a
 * span before the work starts (database spans and nested operations then become its children) and
 * time it precisely. This implementation emits one structured SLF4J event per operation with the
 * contract's field names; the Vigil operation API replaces the body of {@link #run} without any
 * change to callers.
 *
 * <p>Telemetry never breaks the service: a failure to emit is swallowed, and the operation's own
 * result or exception always reaches the caller unchanged.
 */
public final class IdentityTelemetry {
    private static final Logger log = LoggerFactory.getLogger(IdentityTelemetry.class);

    /** Outcome statuses of the contract. */
    public static final String SUCCESS = "success";

    public static final String FAILURE = "failure";
    public static final String ERROR = "error";

    private volatile Map<String, Supplier<Long>> activeTokens = Map.of();

    /** A telemetry seam emitting structured log events. */
    public IdentityTelemetry() {}

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

        /** An additional low-cardinality attribute. */
        Operation attribute(String key, Object value);
    }

    /**
     * Thrown by a body to say "this is a domain failure with this reason" (status {@code failure})
     * rather than an unexpected error (status {@code error}). Implemented by the service's client
     * error exception.
     */
    public interface DomainFailure {
        /** The bounded failure reason, e.g. {@code invalid_credentials}. */
        String failureReason();
    }

    /** Authentication ({@code auth_type} login, refresh, verify): span {@code auth.<type>.<operation>}. */
    public <T> T authentication(String authType, String operation, Function<Operation, T> body) {
        return run(
                "authentication",
                "auth." + authType + "." + operation,
                Map.of("auth_type", authType, "operation", operation),
                body);
    }

    /** A user operation (create, update, delete, get, list, activate, deactivate, unlock). */
    public <T> T userOperation(
            String operationType, String operation, String actorId, String targetId, Function<Operation, T> body) {
        return run(
                "user_operation",
                "user." + operationType + "." + operation,
                attributes(
                        "operation_type",
                        operationType,
                        "operation",
                        operation,
                        "actor_id",
                        actorId,
                        "target_id",
                        targetId),
                body);
    }

    /** A token operation (generate, validate, refresh, revoke) on a token type (access, refresh). */
    public <T> T tokenOperation(String operationType, String tokenType, String operation, Function<Operation, T> body) {
        return run(
                "token_operation",
                "token." + operationType + "." + tokenType + "." + operation,
                Map.of("operation_type", operationType, "token_type", tokenType, "operation", operation),
                body);
    }

    /** A password operation (change, validate, reset, verify); always security relevant. */
    public <T> T passwordOperation(String operationType, String operation, Function<Operation, T> body) {
        return run(
                "password_operation",
                "password." + operationType + "." + operation,
                Map.of("operation_type", operationType, "operation", operation, "security_relevant", true),
                body);
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
        emit(() -> log.atLevel(granted ? org.slf4j.event.Level.DEBUG : org.slf4j.event.Level.WARN)
                .addKeyValue("event_type", "authorization")
                .addKeyValue("span_name", "authz." + resource + "." + action)
                .addKeyValue("resource", resource)
                .addKeyValue("action", action)
                .addKeyValue("is_authorized", granted)
                .addKeyValue("required_roles", String.join(",", requiredRoles))
                .addKeyValue("user_roles", String.join(",", userRoles))
                .addKeyValue("user_id", userId)
                .addKeyValue("status", granted ? SUCCESS : FAILURE)
                .log(granted ? "Authorization granted" : "Authorization denied"));
        return granted;
    }

    /** A security event ({@code account_locked}, {@code refresh_token_reuse}, …) of a severity. */
    public void securityEvent(String eventType, String severity, String userId, Map<String, Object> details) {
        emit(() -> {
            LoggingEventBuilder b = log.atWarn()
                    .addKeyValue("event_type", "security")
                    .addKeyValue("span_name", "security." + eventType)
                    .addKeyValue("security_event_type", eventType)
                    .addKeyValue("severity", severity)
                    .addKeyValue("user_id", userId);
            details.forEach((k, v) -> b.addKeyValue(k, scrub(k, v)));
            b.log("Security event " + eventType);
        });
    }

    /** A failed login, by the contract's bounded {@code reason} ({@code failed_login_attempts_total}). */
    public void failedLogin(String reason) {
        emit(() -> log.atInfo()
                .addKeyValue("event_type", "authentication")
                .addKeyValue("auth_type", "login")
                .addKeyValue("failed_login_reason", reason)
                .log("Failed login"));
    }

    /** A request refused by a rate limit ({@code rate_limit_hits_total{limit_type}}). */
    public void rateLimitHit(String limitType, String limitName) {
        emit(() -> log.atWarn()
                .addKeyValue("event_type", "security")
                .addKeyValue("limit_type", limitType)
                .addKeyValue("limit_name", limitName)
                .log("Rate limit hit"));
    }

    /**
     * Registers the source of the {@code active_tokens} gauge for one token type: a count of issued,
     * unexpired, unrevoked tokens, read from the database when the gauge is collected.
     */
    public void activeTokens(String tokenType, Supplier<Long> count) {
        Objects.requireNonNull(count, "count");
        var copy = new java.util.HashMap<>(activeTokens);
        copy.put(tokenType, count);
        activeTokens = Map.copyOf(copy);
    }

    /** The registered {@code active_tokens} sources, by token type. */
    public Map<String, Supplier<Long>> activeTokenSources() {
        return activeTokens;
    }

    private <T> T run(String eventType, String spanName, Map<String, Object> attrs, Function<Operation, T> body) {
        long start = System.nanoTime();
        OperationState state = new OperationState();
        T result;
        try {
            result = body.apply(state);
        } catch (RuntimeException | Error e) {
            String status = e instanceof DomainFailure ? FAILURE : ERROR;
            if (e instanceof DomainFailure f && state.failureReason == null) {
                state.failureReason = f.failureReason();
            }
            finish(eventType, spanName, attrs, state, status, start, e);
            throw e;
        }
        finish(eventType, spanName, attrs, state, state.failureReason == null ? SUCCESS : FAILURE, start, null);
        return result;
    }

    private void finish(
            String eventType,
            String spanName,
            Map<String, Object> attrs,
            OperationState state,
            String status,
            long startNanos,
            Throwable error) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        emit(() -> {
            LoggingEventBuilder b = (ERROR.equals(status) ? log.atError() : log.atInfo())
                    .addKeyValue("event_type", eventType)
                    .addKeyValue("span_name", spanName)
                    .addKeyValue("status", status)
                    .addKeyValue("duration_seconds", seconds);
            attrs.forEach((k, v) -> {
                if (v != null) {
                    b.addKeyValue(k, v);
                }
            });
            if (state.userId != null) {
                b.addKeyValue("user_id", state.userId);
            }
            if (state.email != null) {
                b.addKeyValue("email", Scrubber.maskEmail(state.email));
            }
            if (state.failureReason != null) {
                b.addKeyValue("failure_reason", state.failureReason);
            }
            if (state.extra != null) {
                state.extra.forEach((k, v) -> b.addKeyValue(k, scrub(k, v)));
            }
            if (ERROR.equals(status) && error != null) {
                b.addKeyValue("exception.type", error.getClass().getName());
                b.addKeyValue("exception.message", Scrubber.defaults().scrubText(String.valueOf(error.getMessage())));
            }
            b.log(spanName + " " + status);
        });
    }

    private static Object scrub(String key, Object value) {
        return value instanceof String s ? Scrubber.defaults().scrubValue(key, s) : value;
    }

    private static Map<String, Object> attributes(Object... kv) {
        var m = new java.util.LinkedHashMap<String, Object>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    private static void emit(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // Telemetry must never break the operation it describes.
        }
    }

    private static final class OperationState implements Operation {
        String userId;
        String email;
        String failureReason;
        Map<String, Object> extra;

        @Override
        public Operation userId(String userId) {
            this.userId = userId;
            return this;
        }

        @Override
        public Operation email(String email) {
            this.email = email;
            return this;
        }

        @Override
        public Operation failure(String reason) {
            this.failureReason = reason;
            return this;
        }

        @Override
        public Operation attribute(String key, Object value) {
            if (extra == null) {
                extra = new java.util.LinkedHashMap<>();
            }
            extra.put(key, value);
            return this;
        }
    }
}
