package io.vigil.core;

/**
 * Implemented by exceptions that mean a domain refusal rather than a fault: an operation that
 * throws one ends with {@link Outcome#FAILURE} and its {@link #failureReason()}, not {@link
 * Outcome#ERROR}.
 */
public interface DomainFailure {
    /** A reason from the operation kind's bounded set, e.g. {@code invalid_credentials}. */
    String failureReason();
}
