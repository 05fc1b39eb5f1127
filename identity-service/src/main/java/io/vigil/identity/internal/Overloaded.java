package io.vigil.identity.internal;

/**
 * The service has no capacity for this request now (every Argon2 slot stayed busy for the whole
 * bounded wait): the HTTP layer answers 503 with {@code Retry-After}. It is reported as an error,
 * not a domain failure — the client did nothing wrong.
 */
public final class Overloaded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long retryAfterSeconds;

    public Overloaded(String message, long retryAfterSeconds) {
        super(message, null, false, false); // load shedding is control flow: no stack trace
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Whole seconds after which a retry is sensible. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
