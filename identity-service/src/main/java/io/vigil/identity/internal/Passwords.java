package io.vigil.identity.internal;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Password hashing (Argon2id with OWASP's parameters, via password4j) and the password policy.
 *
 * <p>A dummy hash, made once at start-up with the same parameters, lets a login for an unknown
 * email cost exactly one Argon2id verification too, so timing does not reveal which emails exist.
 */
public final class Passwords {
    /** OWASP Password Storage Cheat Sheet: Argon2id, m = 19 MiB, t = 2, p = 1. */
    private static final Argon2Function ARGON2ID = Argon2Function.getInstance(19 * 1024, 2, 1, 32, Argon2.ID);

    public static final int MIN_LENGTH = 12;
    public static final int MAX_LENGTH = 128;

    // The most common passwords that satisfy the length rule; a breached-password list belongs here
    // in a deployment that can ship one.
    private static final Set<String> COMMON = Set.of(
            "password1234",
            "password12345",
            "password123456",
            "123456789012",
            "qwertyuiop12",
            "iloveyou1234",
            "administrator",
            "changeme1234",
            "letmein12345",
            "welcome12345",
            "passwordpassword",
            "qwertyqwerty",
            "111111111111",
            "000000000000",
            "abcdefghijkl",
            "abc123abc123");

    private final String dummyHash;

    public Passwords() {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        this.dummyHash = hash(Base64.getEncoder().encodeToString(random));
    }

    /** The PHC-format Argon2id hash of {@code password}, with a fresh random salt. */
    public String hash(String password) {
        return Password.hash(password).addRandomSalt(16).with(ARGON2ID).getResult();
    }

    /** Whether {@code password} matches {@code hash}; a null hash is checked against the dummy. */
    public boolean verify(String password, String hash) {
        String h = hash != null ? hash : dummyHash;
        try {
            boolean ok = Password.check(password, h).with(Argon2Function.getInstanceFromHash(h));
            return ok && hash != null;
        } catch (RuntimeException e) {
            return false; // a malformed stored hash verifies nothing
        }
    }

    /**
     * The policy's objections to {@code password} for an account with {@code email}; empty when it
     * is acceptable. Length and a common-password check follow NIST SP 800-63B (no composition
     * rules, which push users to predictable patterns).
     */
    public List<String> policyViolations(String password, String email) {
        List<String> out = new ArrayList<>();
        int length = password.codePointCount(0, password.length());
        if (length < MIN_LENGTH) {
            out.add("must be at least " + MIN_LENGTH + " characters");
        }
        if (length > MAX_LENGTH) {
            out.add("must be at most " + MAX_LENGTH + " characters");
        }
        if (password.isBlank()) {
            out.add("must not be blank");
        }
        String lower = password.toLowerCase(Locale.ROOT);
        if (COMMON.contains(lower)) {
            out.add("is too common");
        }
        if (lower.codePoints().distinct().count() < 4) {
            out.add("must contain at least 4 different characters");
        }
        if (email != null) {
            String local = email.toLowerCase(Locale.ROOT).split("@", 2)[0];
            if (local.length() >= 4 && lower.contains(local)) {
                out.add("must not contain the email address");
            }
        }
        return out;
    }
}
