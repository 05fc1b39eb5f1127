package io.vigil.identity.internal;

/** The authenticated caller of a request. */
public record Principal(String userId, Role role, String tokenId, java.time.Instant tokenExpiresAt) {
    public boolean isAdmin() {
        return role == Role.ADMIN;
    }
}
