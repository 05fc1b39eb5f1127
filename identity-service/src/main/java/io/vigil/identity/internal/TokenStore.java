package io.vigil.identity.internal;

import static io.vigil.identity.internal.UserStore.setTime;
import static io.vigil.identity.internal.UserStore.time;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/** SQL for refresh tokens, issued and revoked access tokens, and the development signing key. */
public final class TokenStore {

    /** A stored refresh token (its hash only). */
    public record RefreshToken(
            String id, String familyId, String userId, Instant expiresAt, Instant rotatedAt, Instant revokedAt) {
        /** Whether this token was already used or revoked: presenting it again is reuse. */
        public boolean spent() {
            return rotatedAt != null || revokedAt != null;
        }
    }

    public void insertRefresh(
            Connection c, String id, String hash, String familyId, String userId, Instant now, Instant expiresAt)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO refresh_tokens (id, token_hash, family_id,"
                + " user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, hash);
            ps.setString(3, familyId);
            ps.setString(4, userId);
            setTime(ps, 5, now);
            setTime(ps, 6, expiresAt);
            ps.executeUpdate();
        }
    }

    /** The token with this hash, locked for the rest of the transaction. */
    public Optional<RefreshToken> refreshByHashForUpdate(Connection c, String hash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, family_id, user_id, expires_at, rotated_at,"
                + " revoked_at FROM refresh_tokens WHERE token_hash = ? FOR UPDATE")) {
            ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new RefreshToken(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        time(rs, "expires_at"),
                        time(rs, "rotated_at"),
                        time(rs, "revoked_at")));
            }
        }
    }

    public void markRotated(Connection c, String id, Instant now) throws SQLException {
        update(c, "UPDATE refresh_tokens SET rotated_at = ? WHERE id = ?", now, id);
    }

    /** Revokes every live token of a family; returns how many. */
    public int revokeFamily(Connection c, String familyId, Instant now) throws SQLException {
        return update(
                c,
                "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                now,
                familyId);
    }

    /** Revokes every live refresh token of a user; returns how many. */
    public int revokeAllOfUser(Connection c, String userId, Instant now) throws SQLException {
        return update(
                c, "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", now, userId);
    }

    public void insertAccess(Connection c, String jti, String userId, String familyId, Instant expiresAt)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO access_tokens (jti, user_id, family_id, expires_at) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, jti);
            ps.setString(2, userId);
            ps.setString(3, familyId);
            setTime(ps, 4, expiresAt);
            ps.executeUpdate();
        }
    }

    /** Revokes every access token issued with a refresh-token family (when the family is stolen). */
    public int revokeAccessOfFamily(Connection c, String familyId) throws SQLException {
        int n;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO revoked_access_tokens (jti, expires_at)"
                + " SELECT a.jti, a.expires_at FROM access_tokens a WHERE a.family_id = ?"
                + " AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = a.jti)")) {
            ps.setString(1, familyId);
            n = ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM access_tokens WHERE family_id = ?")) {
            ps.setString(1, familyId);
            ps.executeUpdate();
        }
        return n;
    }

    /** Revokes one access token: refused from now on, and no longer counted as active. */
    public void revokeAccess(Connection c, String jti, Instant expiresAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM access_tokens WHERE jti = ?")) {
            ps.setString(1, jti);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, jti);
            setTime(ps, 2, expiresAt);
            ps.executeUpdate();
        }
    }

    /** Forgets every issued access token of a user (they are refused through tokens_valid_after). */
    public void forgetAccessOfUser(Connection c, String userId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM access_tokens WHERE user_id = ?")) {
            ps.setString(1, userId);
            ps.executeUpdate();
        }
    }

    public boolean accessRevoked(Connection c, String jti) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM revoked_access_tokens WHERE jti = ?")) {
            ps.setString(1, jti);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    public long countActiveRefresh(Connection c, Instant now) throws SQLException {
        return count(
                c,
                "SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL AND rotated_at IS NULL"
                        + " AND expires_at > ?",
                now);
    }

    public long countActiveAccess(Connection c, Instant now) throws SQLException {
        return count(c, "SELECT COUNT(*) FROM access_tokens WHERE expires_at > ?", now);
    }

    /** Deletes rows that can no longer matter (expired tokens and revocations). */
    public int purgeExpired(Connection c, Instant now) throws SQLException {
        int n = 0;
        for (String table : new String[] {"access_tokens", "revoked_access_tokens", "refresh_tokens"}) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE expires_at < ?")) {
                setTime(ps, 1, now);
                n += ps.executeUpdate();
            }
        }
        return n;
    }

    public Optional<String> signingKey(Connection c, String kid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT jwk FROM signing_keys WHERE kid = ?")) {
            ps.setString(1, kid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** Stores a key unless one with this id exists; returns whether it was stored. */
    public boolean insertSigningKey(Connection c, String kid, String jwk, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO signing_keys (kid, jwk, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, kid);
            ps.setString(2, jwk);
            setTime(ps, 3, now);
            return ps.executeUpdate() == 1;
        }
    }

    private static int update(Connection c, String sql, Instant now, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            setTime(ps, 1, now);
            ps.setString(2, id);
            return ps.executeUpdate();
        }
    }

    private static long count(Connection c, String sql, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            setTime(ps, 1, now);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
