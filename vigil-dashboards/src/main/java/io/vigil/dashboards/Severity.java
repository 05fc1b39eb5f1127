package io.vigil.dashboards;

import java.util.Locale;

/**
 * Alert severity, the {@code severity} label Alertmanager routes on. The four levels are document
 * 003's; {@code deploy/alertmanager/alertmanager.yml} sends each to the channels named here.
 */
public enum Severity {
    /** Users are failing now: PagerDuty, email and chat. */
    CRITICAL,
    /** A security or authentication problem to handle today: email and chat. */
    HIGH,
    /** Degradation to look at: chat. */
    WARNING,
    /** A behaviour pattern worth knowing: the low-priority chat channel, if one is configured. */
    INFO;

    /** The label value. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The channels this severity reaches, as the catalogue lists them. */
    public String channels() {
        return switch (this) {
            case CRITICAL -> "PagerDuty, email, Slack, Discord";
            case HIGH -> "email, Slack, Discord";
            case WARNING -> "Slack, Discord";
            case INFO -> "low-priority Slack channel (none if unset)";
        };
    }
}
