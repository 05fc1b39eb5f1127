package io.vigil.identity.internal;

import io.vigil.identity.IdentityConfig;
import io.vigil.identity.telemetry.IdentityTelemetry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * User management: sign-up, CRUD, activation, password change and unlock, each behind an
 * authorization check and recorded in the audit log in the same transaction as the change.
 */
public final class UserService {
    private final IdentityConfig config;
    private final Database db;
    private final UserStore users;
    private final TokenStore tokens;
    private final AuditLog audit;
    private final Passwords passwords;
    private final IdentityTelemetry telemetry;
    private final Clock clock;

    /** A page of users. */
    public record Page(List<User> items, int page, int pageSize, long total) {}

    /** Fields of a partial update; null means unchanged. */
    public record Changes(String email, String fullName, Role role) {}

    private volatile java.util.function.Consumer<String> accessRevoked = userId -> {};

    public UserService(
            IdentityConfig config,
            Database db,
            UserStore users,
            TokenStore tokens,
            AuditLog audit,
            Passwords passwords,
            IdentityTelemetry telemetry,
            Clock clock) {
        this.config = config;
        this.db = db;
        this.users = users;
        this.tokens = tokens;
        this.audit = audit;
        this.passwords = passwords;
        this.telemetry = telemetry;
        // Microseconds, what PostgreSQL and H2 store: with the clock's nanoseconds, the user a create or update
        // answered
        // with (created_at ….195940869Z) differed from the same user read back (….195941Z, rounded by the database).
        this.clock = Clock.tick(clock, Duration.ofNanos(1_000));
    }

    // --- authorization -------------------------------------------------------------------------

    /**
     * Told, after the commit, of a user whose access tokens ended before they expire (password
     * change, deletion), so connections opened with one of them — the security feed — end now.
     */
    public void onAccessRevoked(java.util.function.Consumer<String> listener) {
        this.accessRevoked = java.util.Objects.requireNonNull(listener, "listener");
    }

    /**
     * Grants admins everything and, where {@code selfAllowed}, a user their own record; every
     * decision is reported, and a denial is a 403.
     */
    public void authorize(Principal p, String action, boolean selfAllowed, String targetId) {
        boolean granted = p.isAdmin() || (selfAllowed && p.userId().equals(targetId));
        telemetry.authorizationCheck(
                "user",
                action,
                selfAllowed ? List.of("admin", "self") : List.of("admin"),
                List.of(p.role().wireName()),
                p.userId(),
                granted);
        if (!granted) {
            throw ApiException.forbidden("Not allowed to " + action + " this user");
        }
    }

    // --- operations ----------------------------------------------------------------------------

    /** Creates a user; {@code actor} is null for self sign-up. */
    public User create(Principal actor, String email, String password, String fullName, Role role) {
        String actorId = actor == null ? null : actor.userId();
        if (actor != null) {
            authorize(actor, "create", false, null);
        }
        return telemetry.userOperation("create", "create_user", actorId, null, op -> {
            op.email(email);
            requirePolicy(password, email);
            String hash = passwords.hash(password);
            Instant now = clock.instant();
            User u = new User(
                    UUID.randomUUID().toString(),
                    email,
                    fullName,
                    role,
                    true,
                    hash,
                    0,
                    null,
                    now.truncatedTo(ChronoUnit.SECONDS),
                    0,
                    now,
                    now);
            op.userId(u.id());
            try {
                db.tx(c -> {
                    users.insert(c, u);
                    audit.record(
                            c,
                            actorId == null ? u.id() : actorId,
                            actorId == null ? "register" : "create_user",
                            "user:" + u.id(),
                            "success",
                            null);
                    return null;
                });
            } catch (Database.DataAccessException e) {
                if (e.isUniqueViolation()) {
                    throw ApiException.conflict("email-taken", "A user with this email already exists");
                }
                throw e;
            }
            return u;
        });
    }

    /**
     * Creates the initial administrator unless a user with that email exists; {@code adminEmail} is looked up and
     * stored as {@link EmailAddress} normalises it, so {@code ADMIN_EMAIL} logs in as any other address does.
     */
    public boolean ensureAdmin(String adminEmail, String password) {
        String email = EmailAddress.lookupKey(adminEmail);
        if (db.read(c -> users.byEmail(c, email)).isPresent()) {
            return false;
        }
        try {
            create(null, email, password, "Administrator", Role.ADMIN);
            return true;
        } catch (ApiException e) {
            if (e.status() == 409) {
                return false; // another instance created it at the same moment
            }
            throw new IllegalArgumentException(
                    "ADMIN_PASSWORD does not satisfy the password policy: "
                            + e.errors().stream()
                                    .map(ApiException.FieldError::message)
                                    .toList(),
                    e);
        }
    }

    public User get(Principal actor, String id) {
        authorize(actor, "read", true, id);
        return telemetry.userOperation("get", "get_user", actor.userId(), id, op -> find(id));
    }

    public User me(Principal actor) {
        return telemetry.userOperation(
                "get", "get_current_user", actor.userId(), actor.userId(), op -> find(actor.userId()));
    }

    public Page list(Principal actor, int page, int pageSize) {
        authorize(actor, "list", false, null);
        return telemetry.userOperation(
                "list",
                "list_users",
                actor.userId(),
                null,
                op -> db.read(c -> {
                    List<User> items = users.page(c, (page - 1) * pageSize, pageSize);
                    op.attribute("result_count", items.size());
                    return new Page(items, page, pageSize, users.count(c));
                }));
    }

    public User update(Principal actor, String id, Changes changes) {
        authorize(actor, "update", true, id);
        if (changes.role() != null) {
            authorize(actor, "change_role", false, id);
        }
        Role[] before = new Role[1];
        User updated = telemetry.userOperation(
                "update",
                "update_user",
                actor.userId(),
                id,
                op -> mutate(actor, id, "update_user", changes.role() == Role.USER, (c, u, now) -> {
                    before[0] = u.role();
                    Role role = changes.role() != null ? changes.role() : u.role();
                    return new User(
                            u.id(),
                            changes.email() != null ? changes.email() : u.email(),
                            changes.fullName() != null ? changes.fullName() : u.fullName(),
                            role,
                            u.active(),
                            u.passwordHash(),
                            u.failedAttempts(),
                            u.lockedUntil(),
                            // A role change must not leave tokens carrying the old role around.
                            role != u.role() ? now.truncatedTo(ChronoUnit.SECONDS) : u.tokensValidAfter(),
                            role != u.role() ? u.sessionVersion() + 1 : u.sessionVersion(),
                            u.createdAt(),
                            now);
                }));
        if (before[0] != null && before[0] != updated.role()) {
            telemetry.securityEvent(
                    "role_changed",
                    "medium",
                    id,
                    Map.of(
                            "actor_id",
                            actor.userId(),
                            "old_role",
                            before[0].wireName(),
                            "new_role",
                            updated.role().wireName()));
        }
        return updated;
    }

    public void delete(Principal actor, String id) {
        authorize(actor, "delete", false, id);
        if (actor.userId().equals(id)) {
            throw ApiException.conflict("cannot-delete-self", "Administrators cannot delete their own account");
        }
        telemetry.userOperation(
                "delete",
                "delete_user",
                actor.userId(),
                id,
                op -> db.tx(c -> {
                    requireAnotherAdmin(c, id);
                    if (!users.delete(c, id)) {
                        throw ApiException.notFound("No user with this id");
                    }
                    tokens.forgetAccessOfUser(c, id);
                    audit.record(c, actor.userId(), "delete_user", "user:" + id, "success", null);
                    return null;
                }));
        accessRevoked.accept(id);
    }

    public User setActive(Principal actor, String id, boolean active) {
        String type = active ? "activate" : "deactivate";
        authorize(actor, type, false, id);
        if (!active && actor.userId().equals(id)) {
            throw ApiException.conflict("cannot-deactivate-self", "Administrators cannot deactivate themselves");
        }
        User changed = telemetry.userOperation(
                type,
                type + "_user",
                actor.userId(),
                id,
                op -> mutate(actor, id, type + "_user", !active, (c, u, now) -> {
                    if (!active) {
                        // A deactivated user's sessions end now, on every instance.
                        tokens.revokeAllOfUser(c, u.id(), now);
                        tokens.forgetAccessOfUser(c, u.id());
                    }
                    return new User(
                            u.id(),
                            u.email(),
                            u.fullName(),
                            u.role(),
                            active,
                            u.passwordHash(),
                            u.failedAttempts(),
                            u.lockedUntil(),
                            active ? u.tokensValidAfter() : now.truncatedTo(ChronoUnit.SECONDS),
                            // Deactivation ends every session for good: reactivating does not revive them.
                            active ? u.sessionVersion() : u.sessionVersion() + 1,
                            u.createdAt(),
                            now);
                }));
        if (!active) {
            telemetry.securityEvent("account_deactivated", "medium", id, Map.of("actor_id", actor.userId()));
        }
        return changed;
    }

    public User unlock(Principal actor, String id) {
        authorize(actor, "unlock", false, id);
        User u = telemetry.userOperation(
                "update",
                "unlock_user",
                actor.userId(),
                id,
                op -> mutate(
                        actor,
                        id,
                        "unlock_user",
                        false,
                        (c, cur, now) -> new User(
                                cur.id(),
                                cur.email(),
                                cur.fullName(),
                                cur.role(),
                                cur.active(),
                                cur.passwordHash(),
                                0,
                                null,
                                cur.tokensValidAfter(),
                                cur.sessionVersion(),
                                cur.createdAt(),
                                now)));
        telemetry.securityEvent("account_unlocked", "low", id, Map.of("actor_id", actor.userId()));
        return u;
    }

    /**
     * Changes the caller's own password and ends all of their sessions. A wrong current password
     * counts towards the lockout, as a failed login does; a locked account is answered 429 without
     * a password check.
     */
    public void changePassword(Principal actor, String current, String replacement) {
        User u = find(actor.userId());
        Instant locked = u.lockedUntil();
        if (u.lockedAt(clock.instant())) {
            long seconds = Math.max(1, Duration.between(clock.instant(), locked).toSeconds() + 1);
            throw new ApiException(
                    429,
                    "account-locked",
                    "Too many requests",
                    "The account is locked after too many failed attempts; retry after " + seconds + " s",
                    List.of(),
                    Map.of("Retry-After", Long.toString(seconds)));
        }
        telemetry.passwordOperation("change", "change_password", op -> {
            op.userId(actor.userId());
            if (!passwords.verify(current, u.passwordHash())) {
                if (db.tx(c -> countFailure(c, u.id()))) {
                    telemetry.securityEvent(
                            "account_locked",
                            "high",
                            u.id(),
                            Map.of(
                                    "failed_attempts", config.lockoutThreshold(),
                                    "locked_seconds", config.lockoutDuration().toSeconds()));
                }
                throw new ApiException(400, "invalid-current-password", "Bad request", "The current password is wrong");
            }
            requirePolicy(replacement, u.email(), "new_password");
            String hash = passwords.hash(replacement);
            mutate(actor, u.id(), "change_password", false, (c, cur, now) -> {
                tokens.revokeAllOfUser(c, cur.id(), now);
                tokens.forgetAccessOfUser(c, cur.id());
                return new User(
                        cur.id(),
                        cur.email(),
                        cur.fullName(),
                        cur.role(),
                        cur.active(),
                        hash,
                        0,
                        cur.lockedUntil(),
                        now.truncatedTo(ChronoUnit.SECONDS),
                        cur.sessionVersion() + 1,
                        cur.createdAt(),
                        now);
            });
            // Only administrators hold connections that outlive a request (the security feed).
            if (actor.isAdmin()) {
                accessRevoked.accept(actor.userId());
            }
            return null;
        });
    }

    // A wrong current password, with the row locked: counts towards the lockout like a failed
    // login; returns whether this failure locked the account.
    private boolean countFailure(Connection c, String id) throws SQLException {
        User cur = users.byId(c, id, true).orElseThrow(() -> ApiException.notFound("No user with this id"));
        Instant now = clock.instant();
        audit.record(c, id, "change_password", "user:" + id, "failure", "invalid_current_password");
        if (cur.lockedAt(now)) {
            return false;
        }
        int attempts = cur.failedAttempts() + 1;
        boolean lock = attempts >= config.lockoutThreshold();
        users.update(c, cur.withFailures(lock ? 0 : attempts, lock ? now.plus(config.lockoutDuration()) : null, now));
        if (lock) {
            audit.record(c, null, "account_locked", "user:" + id, "success", null);
        }
        return lock;
    }

    // Serialises every change that could remove an administrator, on any instance: the active
    // administrators' rows are locked (in id order) before the target's, and a change that would
    // leave none is refused. Some administrator always remains, even under concurrent requests.
    private void requireAnotherAdmin(Connection c, String targetId) throws SQLException {
        List<String> admins = users.lockActiveAdmins(c);
        if (admins.size() == 1 && admins.getFirst().equals(targetId)) {
            throw ApiException.conflict(
                    "last-admin", "The last active administrator cannot be demoted, deactivated or deleted");
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    private User find(String id) {
        return db.read(c -> users.byId(c, id, false)).orElseThrow(() -> ApiException.notFound("No user with this id"));
    }

    @FunctionalInterface
    private interface Mutation {
        User apply(Connection c, User current, Instant now) throws SQLException;
    }

    // Reads the row locked, applies the change, writes it and its audit record in one transaction;
    // with mayRemoveAdmin, first makes sure an administrator remains.
    private User mutate(Principal actor, String id, String action, boolean mayRemoveAdmin, Mutation m) {
        try {
            return db.tx(c -> {
                if (mayRemoveAdmin) {
                    requireAnotherAdmin(c, id);
                }
                Optional<User> cur = users.byId(c, id, true);
                if (cur.isEmpty()) {
                    throw ApiException.notFound("No user with this id");
                }
                User next = m.apply(c, cur.get(), clock.instant());
                users.update(c, next);
                audit.record(c, actor.userId(), action, "user:" + id, "success", null);
                return next;
            });
        } catch (Database.DataAccessException e) {
            if (e.isUniqueViolation()) {
                throw ApiException.conflict("email-taken", "A user with this email already exists");
            }
            throw e;
        }
    }

    private void requirePolicy(String password, String email) {
        requirePolicy(password, email, "password");
    }

    private void requirePolicy(String password, String email, String field) {
        List<String> violations = passwords.policyViolations(password, email);
        if (!violations.isEmpty()) {
            List<ApiException.FieldError> errors = new ArrayList<>();
            violations.forEach(v -> errors.add(new ApiException.FieldError(field, v)));
            throw ApiException.validation(errors);
        }
    }
}
