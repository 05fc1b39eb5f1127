package io.vigil.identity.internal;

import io.vigil.identity.IdentityConfig;
import io.vigil.identity.telemetry.IdentityTelemetry;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sign-up, login with lockout and rate limiting, refresh-token rotation with reuse detection,
 * access-token verification and logout. All state that must hold across instances is in the
 * database; each step runs through {@link IdentityTelemetry}.
 */
public final class AuthService {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final IdentityConfig config;
    private final Database db;
    private final UserStore users;
    private final TokenStore tokens;
    private final AuditLog audit;
    private final Passwords passwords;
    private final Jwt jwt;
    private final RateLimiter rateLimiter;
    private final IdentityTelemetry telemetry;
    private final Clock clock;
    private final SecretKeySpec successorKey;
    private volatile java.util.function.Consumer<String> accessRevoked = userId -> {};

    /** The tokens a successful login or refresh returns. */
    public record TokenPair(
            String accessToken, Instant accessExpiresAt, String refreshToken, Instant refreshExpiresAt) {}

    public AuthService(
            IdentityConfig config,
            Database db,
            UserStore users,
            TokenStore tokens,
            AuditLog audit,
            Passwords passwords,
            Jwt jwt,
            RateLimiter rateLimiter,
            IdentityTelemetry telemetry,
            Clock clock) {
        this.config = config;
        this.db = db;
        this.users = users;
        this.tokens = tokens;
        this.audit = audit;
        this.passwords = passwords;
        this.jwt = jwt;
        this.rateLimiter = rateLimiter;
        this.telemetry = telemetry;
        this.clock = clock;
        this.successorKey = new SecretKeySpec(jwt.derivedSecret("refresh-token-successor"), "HmacSHA256");
    }

    /**
     * Told, after the commit, of a user whose access tokens were revoked before they expire
     * (logout of an administrator, refresh-token reuse), so connections opened with one of them —
     * the security feed — end now rather than at expiry. Must not throw.
     */
    public void onAccessRevoked(java.util.function.Consumer<String> listener) {
        this.accessRevoked = java.util.Objects.requireNonNull(listener, "listener");
    }

    /** Admits a request that needs password hashing, or sheds it (503) when too many are in. */
    public Passwords.Admission admitPasswordWork() {
        return passwords.admit();
    }

    /** Rejects the request with 429 when {@code key}'s bucket is empty. */
    public void rateLimit(String name, String clientAddress, IdentityConfig.RateLimit limit) {
        long wait = rateLimiter.tryAcquire(name, clientAddress, limit); // counts and logs a refusal
        if (wait > 0) {
            throw ApiException.tooManyRequests(wait);
        }
    }

    /**
     * Login: verifies credentials, counts failures towards lockout, then issues a token pair. {@code typedEmail} is
     * looked up as {@link EmailAddress} normalises it, the form registration stored.
     */
    public TokenPair login(String typedEmail, String password, String clientAddress) {
        String email = EmailAddress.lookupKey(typedEmail);
        User user = telemetry.authentication("login", "authenticate_user", op -> {
            op.email(email);
            try {
                rateLimit("login", clientAddress, config.loginRateLimit());
            } catch (ApiException e) {
                op.failure("rate_limited");
                telemetry.failedLogin("rate_limited");
                throw e;
            }
            Optional<User> found = db.read(c -> users.byEmail(c, email));
            // Only an active, unlocked account's password is checked. Unknown emails, locked and
            // inactive accounts get the dummy verification: the same cost, and nothing — metric,
            // span or log — that depends on whether the guessed password was right.
            Instant now = clock.instant();
            boolean checkable =
                    found.isPresent() && found.get().active() && !found.get().lockedAt(now);
            boolean passwordOk = telemetry.passwordOperation("validate", "verify", p -> {
                boolean ok = passwords.verify(password, checkable ? found.get().passwordHash() : null);
                if (!ok) {
                    p.failure("mismatch");
                }
                return ok;
            });
            String userId = found.map(User::id).orElse(null);
            if (userId != null) {
                op.userId(userId);
            }
            LoginOutcome outcome = db.tx(c -> recordAttempt(c, userId, passwordOk));
            return switch (outcome.result) {
                case OK -> outcome.user;
                case LOCKED -> fail(op, "account_locked");
                case INACTIVE -> fail(op, "account_inactive");
                case INVALID -> fail(op, "invalid_credentials");
                case LOCKED_NOW -> {
                    telemetry.securityEvent(
                            "account_locked",
                            "high",
                            userId,
                            Map.of(
                                    "failed_attempts", config.lockoutThreshold(),
                                    "locked_seconds", config.lockoutDuration().toSeconds()));
                    yield fail(op, "invalid_credentials");
                }
            };
        });
        return db.tx(c -> issuePair(c, user, UUID.randomUUID().toString(), randomToken()));
    }

    private User fail(IdentityTelemetry.Operation op, String reason) {
        op.failure(reason);
        telemetry.failedLogin(reason);
        // One answer for every reason: the response never tells which emails exist or are locked.
        throw ApiException.invalidCredentials();
    }

    private enum Result {
        OK,
        INVALID,
        LOCKED,
        LOCKED_NOW,
        INACTIVE
    }

    private record LoginOutcome(Result result, User user) {}

    // Runs with the user's row locked, so concurrent attempts on any instance count exactly. An
    // unknown email (userId null) runs the same statements against an id no user has: the repository
    // metrics, the spans and the time taken do not tell which emails exist.
    private LoginOutcome recordAttempt(java.sql.Connection c, String userId, boolean passwordOk)
            throws java.sql.SQLException {
        Instant now = clock.instant();
        Optional<User> locked = users.byId(c, userId != null ? userId : NO_SUCH_USER, true);
        if (locked.isEmpty()) {
            users.update(c, nobody(now)); // matches no row
            audit.record(c, null, "login", "auth", "failure", "invalid_credentials");
            return new LoginOutcome(Result.INVALID, null);
        }
        User u = locked.get();
        Result result;
        User next;
        if (u.lockedAt(now)) {
            result = Result.LOCKED;
            next = u;
        } else if (!u.active()) {
            // Not counted: an inactive account's password was not checked (see login).
            result = Result.INACTIVE;
            next = u;
        } else if (!passwordOk) {
            int attempts = u.failedAttempts() + 1;
            boolean lock = attempts >= config.lockoutThreshold();
            result = lock ? Result.LOCKED_NOW : Result.INVALID;
            next = u.withFailures(lock ? 0 : attempts, lock ? now.plus(config.lockoutDuration()) : null, now);
        } else {
            result = Result.OK;
            next = u.withFailures(0, null, now);
        }
        users.update(c, next); // also when unchanged, so every outcome runs the same statements
        String resource = "user:" + userId;
        switch (result) {
            case OK -> audit.record(c, userId, "login", resource, "success", null);
            case LOCKED_NOW -> {
                audit.record(c, userId, "login", resource, "failure", "invalid_credentials");
                audit.record(c, null, "account_locked", resource, "success", null);
            }
            default ->
                audit.record(
                        c, userId, "login", resource, "failure", result.name().toLowerCase(java.util.Locale.ROOT));
        }
        return new LoginOutcome(result, next);
    }

    /** A user id no row has (not a UUID, which every real id is). */
    private static final String NO_SUCH_USER = "-";

    private static User nobody(Instant now) {
        return new User(NO_SUCH_USER, "-", "-", Role.USER, false, "-", 0, null, now, 0, now, now);
    }

    /**
     * Rotates a refresh token; presenting an already rotated or revoked one revokes its family —
     * except a retry: the token rotated less than {@code REFRESH_REUSE_GRACE} ago, whose successor
     * has not been used yet, gets that same successor again (with a new access token). A client
     * whose answer was lost (a 503 after the commit, a dropped connection) can retry safely.
     */
    public TokenPair refresh(String refreshToken) {
        return telemetry.authentication("refresh", "refresh_access_token", op -> {
            String hash = sha256(refreshToken);
            RefreshResult r = db.tx(c -> {
                Optional<TokenStore.RefreshToken> found = tokens.refreshByHashForUpdate(c, hash);
                if (found.isEmpty()) {
                    return new RefreshResult(null, null, "invalid_token");
                }
                TokenStore.RefreshToken t = found.get();
                Instant now = clock.instant();
                if (t.spent()) {
                    Optional<TokenPair> again = retryWithinGrace(c, t, refreshToken, now);
                    if (again.isPresent()) {
                        op.attribute("refresh_retry", true);
                        audit.record(c, t.userId(), "refresh_retry", "user:" + t.userId(), "success", null);
                        return new RefreshResult(again.get(), t, null);
                    }
                    int revoked = tokens.revokeFamily(c, t.familyId(), now);
                    // The thief may hold the family's access tokens too: they end now, not at expiry.
                    tokens.revokeAccessOfFamily(c, t.familyId());
                    audit.record(
                            c,
                            t.userId(),
                            "refresh_token_reuse",
                            "user:" + t.userId(),
                            "failure",
                            "revoked " + revoked);
                    return new RefreshResult(null, t, "token_reuse");
                }
                if (!t.expiresAt().isAfter(now)) {
                    return new RefreshResult(null, t, "token_expired");
                }
                Optional<User> u = users.byId(c, t.userId(), false);
                if (u.isEmpty() || !u.get().active()) {
                    tokens.revokeFamily(c, t.familyId(), now);
                    return new RefreshResult(null, t, "account_inactive");
                }
                tokens.markRotated(c, t.id(), now);
                TokenPair pair = issuePair(c, u.get(), t.familyId(), successorOf(refreshToken));
                audit.record(c, t.userId(), "refresh", "user:" + t.userId(), "success", null);
                return new RefreshResult(pair, t, null);
            });
            if (r.token != null) {
                op.userId(r.token.userId());
            }
            if (r.pair != null) {
                return r.pair;
            }
            op.failure(r.failure);
            if ("token_reuse".equals(r.failure)) {
                accessRevoked.accept(r.token.userId());
                telemetry.securityEvent(
                        "refresh_token_reuse", "high", r.token.userId(), Map.of("family_id", r.token.familyId()));
            }
            throw ApiException.unauthorized(
                    "invalid-refresh-token", "The refresh token is invalid, expired or revoked");
        });
    }

    // The same successor as the first rotation, when this presentation is a retry of it: rotated
    // (not revoked) within the grace, and the successor is live and unused. Anything else is reuse.
    private Optional<TokenPair> retryWithinGrace(
            java.sql.Connection c, TokenStore.RefreshToken t, String refreshToken, Instant now)
            throws java.sql.SQLException {
        if (t.revokedAt() != null
                || t.rotatedAt() == null
                || !now.isBefore(t.rotatedAt().plus(config.refreshReuseGrace()))) {
            return Optional.empty();
        }
        String successor = successorOf(refreshToken);
        Optional<TokenStore.RefreshToken> next = tokens.refreshByHashForUpdate(c, sha256(successor));
        if (next.isEmpty()
                || next.get().spent()
                || !next.get().familyId().equals(t.familyId())
                || !next.get().expiresAt().isAfter(now)) {
            return Optional.empty();
        }
        Optional<User> u = users.byId(c, t.userId(), false);
        if (u.isEmpty() || !u.get().active()) {
            return Optional.empty();
        }
        Jwt.Issued access = issueAccess(c, u.get(), t.familyId(), now);
        return Optional.of(new TokenPair(
                access.token(), access.expiresAt(), successor, next.get().expiresAt()));
    }

    /**
     * The refresh token that replaces {@code refreshToken} at rotation: HMAC-SHA256 of it under a
     * secret derived from the signing key. Derived rather than stored, so a retry can be given the
     * same successor while the database still holds only SHA-256 hashes of refresh tokens (a dump
     * yields no usable token, and no successor can be computed without the key and the presented
     * token); every instance with the signing key derives the same one.
     */
    private String successorOf(String refreshToken) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(successorKey);
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(mac.doFinal(refreshToken.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    private static String randomToken() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    private record RefreshResult(TokenPair pair, TokenStore.RefreshToken token, String failure) {}

    private Jwt.Issued issueAccess(java.sql.Connection c, User user, String familyId, Instant now) {
        return telemetry.tokenOperation("generate", "access", "create_access_token", op -> {
            op.userId(user.id());
            Jwt.Issued issued = jwt.issue(user.id(), user.role(), user.sessionVersion(), now, config.accessTokenTtl());
            sql(() -> tokens.insertAccess(c, issued.tokenId(), user.id(), familyId, issued.expiresAt()));
            return issued;
        });
    }

    // Issues an access token and the given refresh token of the given family, in the caller's
    // transaction; only the refresh token's hash is stored.
    private TokenPair issuePair(java.sql.Connection c, User user, String familyId, String refresh) {
        Instant now = clock.instant();
        Jwt.Issued access = issueAccess(c, user, familyId, now);
        telemetry.tokenOperation("generate", "refresh", "create_refresh_token", op -> {
            op.userId(user.id());
            sql(() -> tokens.insertRefresh(
                    c,
                    UUID.randomUUID().toString(),
                    sha256(refresh),
                    familyId,
                    user.id(),
                    now,
                    now.plus(config.refreshTokenTtl())));
            return null;
        });
        return new TokenPair(access.token(), access.expiresAt(), refresh, now.plus(config.refreshTokenTtl()));
    }

    /** {@code POST /auth/verify}: the principal of a valid access token, or 401. */
    public Principal verify(String token) {
        return telemetry.authentication("verify", "verify_token", op -> {
            Principal p = authenticate(token);
            op.userId(p.userId());
            return p;
        });
    }

    /**
     * Validates an access token completely: signature and lifetime, then against the database (the
     * token is not revoked, the user exists, is active and has not invalidated older tokens).
     */
    public Principal authenticate(String token) {
        return telemetry.tokenOperation("validate", "access", "validate_access_token", op -> {
            Validation v = validate(token, true);
            if (v.userId() != null) {
                op.userId(v.userId());
            }
            op.attribute("validation_status", v.failure() == null ? "valid" : v.failure());
            if (v.failure() == null) {
                return v.principal();
            }
            if ("expired".equals(v.failure())) {
                throw ApiException.unauthorized("token-expired", "The access token has expired");
            }
            throw ApiException.unauthorized(
                    "invalid-token",
                    v.userId() == null ? "The access token is invalid" : "The access token has been revoked");
        });
    }

    /**
     * Checks again an access token {@link #authenticate} accepted earlier, for a connection that
     * outlives the request that opened it (the security feed): the same checks, without telemetry
     * or statement spans, as it runs in the background. Expiry is the caller's to check against the
     * token's {@code exp} (the signature check allows for clock skew).
     *
     * @return the principal now (its role read again), or empty when the token is no longer valid
     */
    public Optional<Principal> recheck(String token) {
        Validation v = validate(token, false);
        return Optional.ofNullable(v.principal());
    }

    // failure: null (valid), "expired", or "invalid" (userId set when the token itself was sound but
    // is revoked or its user is gone, inactive or on a newer session version).
    private record Validation(Principal principal, String userId, String failure) {}

    private Validation validate(String token, boolean traced) {
        Jwt.Claims claims;
        try {
            claims = jwt.verify(token, clock.instant());
        } catch (Jwt.InvalidToken e) {
            return new Validation(null, null, e.expired() ? "expired" : "invalid");
        }
        record Check(Optional<User> user, boolean revoked) {}
        Database.Work<Check> read =
                c -> new Check(users.byId(c, claims.userId(), false), tokens.accessRevoked(c, claims.tokenId()));
        Check check = traced ? db.read(read) : db.readUntraced(read);
        // The session version, not the issue time, decides: iat has whole seconds only, and a
        // token issued in the same second as a password change must be refused too.
        if (check.revoked
                || check.user.isEmpty()
                || !check.user.get().active()
                || claims.sessionVersion() != check.user.get().sessionVersion()) {
            return new Validation(null, claims.userId(), "invalid");
        }
        // The role is read from the database, so a demotion takes effect at once.
        return new Validation(
                new Principal(claims.userId(), check.user.get().role(), claims.tokenId(), claims.expiresAt()),
                claims.userId(),
                null);
    }

    /** Revokes the caller's access token and, when given, the refresh token's whole family. */
    public void logout(Principal principal, String refreshToken) {
        telemetry.tokenOperation("revoke", "access", "revoke_tokens", op -> {
            op.userId(principal.userId());
            db.tx(c -> {
                Instant now = clock.instant();
                tokens.revokeAccess(c, principal.tokenId(), principal.tokenExpiresAt());
                if (refreshToken != null) {
                    Optional<TokenStore.RefreshToken> t = tokens.refreshByHashForUpdate(c, sha256(refreshToken));
                    // Someone else's refresh token is ignored, not revoked: logout must not be a weapon.
                    if (t.isPresent() && t.get().userId().equals(principal.userId())) {
                        tokens.revokeFamily(c, t.get().familyId(), now);
                    }
                }
                audit.record(c, principal.userId(), "logout", "user:" + principal.userId(), "success", null);
                return null;
            });
            // Only administrators hold connections that outlive a request: no bus message per logout.
            if (principal.isAdmin()) {
                accessRevoked.accept(principal.userId());
            }
            return null;
        });
    }

    /** Counts for the {@code active_tokens} gauge. */
    public long activeTokens(String tokenType) {
        Instant now = clock.instant();
        return db.readUntraced(
                c -> "access".equals(tokenType) ? tokens.countActiveAccess(c, now) : tokens.countActiveRefresh(c, now));
    }

    /** Now, truncated to whole seconds as JWT times are. */
    Instant nowSeconds() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    interface SqlRunnable {
        void run() throws java.sql.SQLException;
    }

    static void sql(SqlRunnable r) {
        try {
            r.run();
        } catch (java.sql.SQLException e) {
            throw new Database.DataAccessException(e);
        }
    }
}
