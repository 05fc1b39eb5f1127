package io.vigil.core;

import java.util.Locale;

/** How a domain operation ended. */
public enum Outcome {
    /** It did what was asked. */
    SUCCESS,
    /** It was refused for a domain reason (wrong password, permission denied) — not a fault. */
    FAILURE,
    /** It broke: an unexpected exception. */
    ERROR;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The contract's label value: {@code success}, {@code failure} or {@code error}. */
    public String label() {
        return label;
    }
}
