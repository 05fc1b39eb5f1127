package io.vigil.conventions.identity;

import io.vigil.core.OperationKind;
import io.vigil.core.Operations;
import java.util.List;

/**
 * The operation kinds of an identity service — the telemetry contract's authentication, user,
 * token and password operations, authorization checks and security events — declared on
 * vigil-core's operation API like any service's own kinds.
 *
 * <p>Nothing here is registered by itself: a service that uses these kinds registers them with
 * {@link #registerWith(Operations)} (so its catalogue lists them before the first
 * operation runs), or lets the first {@link io.vigil.core.Operation} of a kind register it. The
 * class holds no state; every kind is an immutable constant, safe to share between threads and
 * between Vigil runtimes.
 */
public final class IdentityConventions {
    private IdentityConventions() {}

    /**
     * The identity kinds, in the contract's order: {@link Authentication}, {@link UserOperation},
     * {@link TokenOperation}, {@link PasswordOperation}, {@link AuthorizationCheck} and {@link
     * SecurityEvent}.
     *
     * @return an immutable list of the six kinds
     */
    public static List<OperationKind> kinds() {
        return List.of(
                Authentication.KIND,
                UserOperation.KIND,
                TokenOperation.KIND,
                PasswordOperation.KIND,
                AuthorizationCheck.KIND,
                SecurityEvent.KIND);
    }

    /**
     * Registers {@link #kinds()} with {@code operations}, so its {@link Operations#catalogue()}
     * lists them before any of them has run.
     *
     * @return {@code operations}, for chaining
     */
    public static Operations registerWith(Operations operations) {
        kinds().forEach(operations::register);
        return operations;
    }
}
