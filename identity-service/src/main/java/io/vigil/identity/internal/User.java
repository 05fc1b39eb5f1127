package io.vigil.identity.internal;

import java.time.Instant;

/** A stored user. The password hash never leaves the service. */
public record User(
        String id,
        String email,
        String fullName,
        Role role,
        boolean active,
        String passwordHash,
        int failedAttempts,
        Instant lockedUntil,
        Instant tokensValidAfter,
        Instant createdAt,
        Instant updatedAt) {

    /** Whether the account is locked at {@code now}. */
    public boolean lockedAt(Instant now) {
        return lockedUntil != null && lockedUntil.isAfter(now);
    }
}
