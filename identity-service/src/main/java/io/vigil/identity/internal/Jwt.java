package io.vigil.identity.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies access tokens: JWTs of type {@code at+jwt} (RFC 9068), signed with ES256 (EC
 * P-256 key) or RS256 (RSA key), whose public key is published as a JWK set.
 */
public final class Jwt {
    private static final JOSEObjectType ACCESS_TOKEN_TYPE = new JOSEObjectType("at+jwt");
    // Tolerated clock difference between instances when checking expiry and not-before.
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(5);

    private final JWK key;
    private final JWSAlgorithm algorithm;
    private final JWSSigner signer;
    private final JWSVerifier verifier;
    private final String issuer;
    private final Map<String, Object> jwks;

    /** Claim: the user's session version when the token was issued. */
    private static final String SESSION_VERSION = "sv";

    /**
     * A verified access token's claims; {@code sessionVersion} is -1 when the token has none (it is
     * then refused by the database check, as a token of an ended session).
     */
    public record Claims(
            String userId, Role role, String tokenId, Instant issuedAt, Instant expiresAt, long sessionVersion) {}

    /** An issued access token. */
    public record Issued(String token, String tokenId, Instant expiresAt) {}

    /** Why a token was refused; the values are the contract's {@code token_validation_total{status}}. */
    public static final class InvalidToken extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean expired;

        InvalidToken(String message, boolean expired) {
            super(message, null, false, false);
            this.expired = expired;
        }

        public boolean expired() {
            return expired;
        }
    }

    /** @param privateJwk a private EC P-256 or RSA JWK as JSON */
    public Jwt(String privateJwk, String issuer) {
        try {
            JWK parsed = JWK.parse(privateJwk);
            if (!parsed.isPrivate()) {
                throw new IllegalArgumentException("JWT_SIGNING_KEY must be a private key (JWK with \"d\")");
            }
            if (parsed.getKeyID() == null) {
                parsed = withKid(parsed, parsed.computeThumbprint().toString());
            }
            this.key = parsed;
            if (parsed instanceof ECKey ec) {
                if (!Curve.P_256.equals(ec.getCurve())) {
                    throw new IllegalArgumentException("JWT_SIGNING_KEY: EC keys must be on P-256");
                }
                algorithm = JWSAlgorithm.ES256;
                signer = new ECDSASigner(ec);
                verifier = new ECDSAVerifier(ec.toPublicJWK());
            } else if (parsed instanceof RSAKey rsa) {
                if (rsa.size() < 2048) {
                    throw new IllegalArgumentException("JWT_SIGNING_KEY: RSA keys must have at least 2048 bits");
                }
                algorithm = JWSAlgorithm.RS256;
                signer = new RSASSASigner(rsa);
                verifier = new RSASSAVerifier(rsa.toPublicJWK());
            } else {
                throw new IllegalArgumentException("JWT_SIGNING_KEY must be an EC (P-256) or RSA key");
            }
        } catch (ParseException e) {
            throw new IllegalArgumentException("JWT_SIGNING_KEY is not a valid JWK", e);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("JWT_SIGNING_KEY cannot be used: " + e.getMessage(), e);
        }
        this.issuer = issuer;
        this.jwks = new JWKSet(key.toPublicJWK()).toJSONObject(true);
    }

    /**
     * A 256-bit secret for {@code purpose}, derived from this private key: HMAC-SHA256 keyed with
     * the private scalar (EC) or exponent (RSA) over the purpose label. Every instance holding the
     * signing key derives the same secret and nothing else has to be distributed; a different label
     * gives an unrelated secret, so the signing key itself is never used for anything but signing.
     */
    public byte[] derivedSecret(String purpose) {
        byte[] privatePart = key instanceof ECKey ec
                ? ec.getD().decode()
                : ((RSAKey) key).getPrivateExponent().decode();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(privatePart, "HmacSHA256"));
            return mac.doFinal(("vigil-identity:" + purpose).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        } finally {
            Arrays.fill(privatePart, (byte) 0);
        }
    }

    /** A fresh EC P-256 private key as JWK JSON, for development. */
    public static String generateKey() {
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyUse(KeyUse.SIGNATURE)
                    .keyID(UUID.randomUUID().toString())
                    .generate()
                    .toJSONString();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a signing key", e);
        }
    }

    /** The public key set, for {@code /.well-known/jwks.json}. */
    public Map<String, Object> jwks() {
        return jwks;
    }

    /** Signs an access token for {@code userId} in session version {@code sessionVersion}. */
    public Issued issue(String userId, Role role, long sessionVersion, Instant now, Duration ttl) {
        String jti = UUID.randomUUID().toString();
        Instant exp = now.plus(ttl);
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(userId)
                .audience(issuer)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(exp))
                .jwtID(jti)
                .claim("role", role.wireName())
                .claim(SESSION_VERSION, sessionVersion)
                .build();
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(algorithm)
                        .type(ACCESS_TOKEN_TYPE)
                        .keyID(key.getKeyID())
                        .build(),
                claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
        return new Issued(jwt.serialize(), jti, exp);
    }

    /** Verifies signature, type, issuer, audience and lifetime; does not consult the database. */
    public Claims verify(String token, Instant now) throws InvalidToken {
        SignedJWT jwt;
        JWTClaimsSet c;
        try {
            jwt = SignedJWT.parse(token);
            c = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidToken("malformed token", false);
        }
        JWSHeader h = jwt.getHeader();
        // The algorithm is pinned: a token naming any other (none, HS256 with the public key…) fails.
        if (!algorithm.equals(h.getAlgorithm())
                || !ACCESS_TOKEN_TYPE.equals(h.getType())
                || !key.getKeyID().equals(h.getKeyID())) {
            throw new InvalidToken("unexpected token header", false);
        }
        try {
            if (!jwt.verify(verifier)) {
                throw new InvalidToken("bad signature", false);
            }
        } catch (JOSEException e) {
            throw new InvalidToken("bad signature", false);
        }
        if (!issuer.equals(c.getIssuer())
                || c.getAudience() == null
                || !c.getAudience().equals(List.of(issuer))) {
            throw new InvalidToken("wrong issuer or audience", false);
        }
        if (c.getSubject() == null
                || c.getJWTID() == null
                || c.getIssueTime() == null
                || c.getExpirationTime() == null) {
            throw new InvalidToken("missing claims", false);
        }
        Instant exp = c.getExpirationTime().toInstant();
        if (!exp.plus(CLOCK_SKEW).isAfter(now)) {
            throw new InvalidToken("token expired", true);
        }
        if (c.getNotBeforeTime() != null
                && c.getNotBeforeTime().toInstant().minus(CLOCK_SKEW).isAfter(now)) {
            throw new InvalidToken("token not yet valid", false);
        }
        Object role = c.getClaim("role");
        Role r = role instanceof String s ? Role.parse(s).orElse(null) : null;
        if (r == null) {
            throw new InvalidToken("unknown role", false);
        }
        Object sv = c.getClaim(SESSION_VERSION);
        long sessionVersion = sv instanceof Number n && n.longValue() >= 0 ? n.longValue() : -1;
        return new Claims(c.getSubject(), r, c.getJWTID(), c.getIssueTime().toInstant(), exp, sessionVersion);
    }

    private static JWK withKid(JWK k, String kid) {
        if (k instanceof ECKey ec) {
            return new ECKey.Builder(ec).keyID(kid).build();
        }
        if (k instanceof RSAKey rsa) {
            return new RSAKey.Builder(rsa).keyID(kid).build();
        }
        return k;
    }
}
