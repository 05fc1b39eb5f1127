package io.vigil.identity.internal;

import java.util.Locale;
import java.util.Optional;

/** The roles of the service. */
public enum Role {
    ADMIN,
    USER;

    /** The wire and database name. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> parse(String s) {
        for (Role r : values()) {
            if (r.wireName().equals(s)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
