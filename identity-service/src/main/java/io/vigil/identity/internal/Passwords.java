package io.vigil.identity.internal;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Password hashing (Argon2id with OWASP's parameters, via password4j) and the password policy.
 *
 * <p>A dummy hash, made once at start-up with the same parameters, lets a login for an unknown
 * email cost exactly one Argon2id verification too, so timing does not reveal which emails exist.
 *
 * <p>Argon2id is meant to be expensive (about 19 MiB and tens of milliseconds of CPU each), so the
 * number running at once is bounded: at most {@code concurrency} computations, on platform threads
 * of their own. Requests run on virtual threads, whose few carrier threads a CPU-bound hash would
 * otherwise occupy until nothing else — health checks, token-authenticated reads — gets to run. A
 * request that finds every slot taken waits at most {@code maxWait} and then gets {@link Overloaded}
 * (503 + {@code Retry-After}), so a flood of logins or password changes cannot stall the service.
 */
public final class Passwords implements AutoCloseable {
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
    private final Semaphore slots;
    private final ExecutorService hashers;
    private final long maxWaitNanos;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    /** At most {@code concurrency} Argon2 computations at once; a request waits at most {@code maxWait}. */
    public Passwords(int concurrency, Duration maxWait) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1");
        }
        this.slots = new Semaphore(concurrency, true);
        this.maxWaitNanos = maxWait.toNanos();
        // Requests that need a hash, in any stage (rate limiting, database, waiting, hashing): more
        // than a few rounds of hashing can serve within the wait are refused at the door.
        this.maxInFlight = 8 * concurrency;
        AtomicInteger n = new AtomicInteger();
        this.hashers = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "argon2-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        this.dummyHash = argon2Hash(Base64.getEncoder().encodeToString(random));
    }

    /** The PHC-format Argon2id hash of {@code password}, with a fresh random salt. */
    public String hash(String password) {
        return bounded(() -> argon2Hash(password));
    }

    /** Whether {@code password} matches {@code hash}; a null hash is checked against the dummy. */
    public boolean verify(String password, String hash) {
        String h = hash != null ? hash : dummyHash;
        boolean ok = bounded(() -> {
            try {
                return Password.check(password, h).with(Argon2Function.getInstanceFromHash(h));
            } catch (RuntimeException e) {
                return false; // a malformed stored hash verifies nothing
            }
        });
        return ok && hash != null;
    }

    /** A request admitted to password work; closing it makes room for the next. */
    public interface Admission extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Admits a request that will need password hashing, or sheds it at once (503) when {@code 8 ×
     * concurrency} such requests are already in the service: a flood then costs next to nothing
     * instead of each request parsing, authenticating and queueing on rate-limit rows and pool
     * connections only to time out waiting for a hash.
     *
     * @throws Overloaded when the service holds as many password requests as it can serve
     */
    public Admission admit() {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            throw new Overloaded("Too many password operations at once; retry shortly", 1);
        }
        return inFlight::decrementAndGet;
    }

    private static String argon2Hash(String password) {
        return Password.hash(password).addRandomSalt(16).with(ARGON2ID).getResult();
    }

    private <T> T bounded(Callable<T> work) {
        try {
            if (!slots.tryAcquire(maxWaitNanos, TimeUnit.NANOSECONDS)) {
                throw new Overloaded("Too many password operations at once; retry shortly", 1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Overloaded("Interrupted while waiting for a password operation slot", 1);
        }
        try {
            // The calling (virtual) thread parks here, freeing its carrier while the hash runs.
            return hashers.submit(work).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Overloaded("Interrupted during a password operation", 1);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            slots.release();
        }
    }

    /** Stops the hashing threads. */
    @Override
    public void close() {
        hashers.shutdownNow();
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
