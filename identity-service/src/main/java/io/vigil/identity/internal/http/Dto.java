package io.vigil.identity.internal.http;

import io.vigil.identity.internal.User;
import java.time.Instant;
import java.util.List;

/** Request and response bodies (snake_case on the wire). */
public final class Dto {
    private Dto() {}

    public record RegisterRequest(String email, String password, String fullName) {}

    public record LoginRequest(String email, String password) {}

    public record RefreshRequest(String refreshToken) {}

    public record VerifyRequest(String token) {}

    public record LogoutRequest(String refreshToken) {}

    public record CreateUserRequest(String email, String password, String fullName, String role) {}

    public record UpdateUserRequest(String email, String fullName, String role) {}

    public record ChangePasswordRequest(String currentPassword, String newPassword) {}

    public record UserResponse(
            String id,
            String email,
            String fullName,
            String role,
            boolean active,
            boolean locked,
            String createdAt,
            String updatedAt) {
        static UserResponse of(User u, Instant now) {
            return new UserResponse(
                    u.id(),
                    u.email(),
                    u.fullName(),
                    u.role().wireName(),
                    u.active(),
                    u.lockedAt(now),
                    u.createdAt().toString(),
                    u.updatedAt().toString());
        }
    }

    public record TokenResponse(
            String accessToken, String tokenType, long expiresIn, String refreshToken, long refreshExpiresIn) {}

    public record PageResponse(List<UserResponse> items, int page, int pageSize, long total) {}

    public record VerifyResponse(boolean active, String userId, String role, long exp) {}
}
