package io.vigil.dashboards;

import java.util.Locale;

/** Alert severity, the {@code severity} label Alertmanager routes on. */
public enum Severity {
    /** Someone is paged now. */
    CRITICAL,
    /** A chat notification; look today. */
    WARNING,
    /** Recorded, nobody notified. */
    INFO;

    /** The label value. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
