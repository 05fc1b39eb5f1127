package io.vigil.identity.internal;

import java.time.Instant;

/**
 * A stored user. The password hash never leaves the service. {@code sessionVersion} is carried by
 * every access token issued to the user; incrementing it ends all of them at once.
 */
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
        long sessionVersion,
        Instant createdAt,
        Instant updatedAt) {

    /** This user with a new failed-login count and lock, as of {@code now}. */
    public User withFailures(int failedAttempts, Instant lockedUntil, Instant now) {
        return new User(
                id,
                email,
                fullName,
                role,
                active,
                passwordHash,
                failedAttempts,
                lockedUntil,
                tokensValidAfter,
                sessionVersion,
                createdAt,
                now);
    }

    /** Whether the account is locked at {@code now}. */
    public boolean lockedAt(Instant now) {
        return lockedUntil != null && lockedUntil.isAfter(now);
    }
}
