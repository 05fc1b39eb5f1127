-- Access tokens carry the user's session version (claim "sv"). A password change, deactivation or
-- role change increments it, so every access token issued before is refused at once: exact, where
-- comparing the token's iat (whole seconds) with tokens_valid_after let same-second tokens through.
ALTER TABLE users ADD COLUMN session_version BIGINT DEFAULT 0 NOT NULL;

-- The refresh-token family an access token was issued with: when a rotated refresh token is
-- presented again (theft), the family's access tokens are revoked with it, not left to their TTL.
ALTER TABLE access_tokens ADD COLUMN family_id VARCHAR(36);

CREATE INDEX access_tokens_family ON access_tokens (family_id);
