package io.vigil.dashboards;

import java.util.Objects;

/** A Prometheus recording rule: {@code record} (level:metric:operations) computed from {@code expr}. */
public record RecordingRule(String record, String expr) {
    public RecordingRule {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(expr, "expr");
    }
}
