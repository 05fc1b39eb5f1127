package io.vigil.dashboards;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Prometheus recording rule: {@code record} (level:metric:operations) computed from {@code expr},
 * with the promtool cases that check what it records.
 */
public record RecordingRule(String record, String expr, List<Case> cases) {
    /** Requires {@code record} and {@code expr} and copies the cases, so a rule is immutable. */
    public RecordingRule {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(expr, "expr");
        cases = List.copyOf(cases);
    }

    /** A rule without promtool cases. */
    public RecordingRule(String record, String expr) {
        this(record, expr, List.of());
    }

    /**
     * A {@code promtool test rules} expression case: from {@code input} (one sample a minute), at
     * {@code evalTime} the rule records exactly one series, with {@code labels} and {@code value}.
     */
    public record Case(
            String name, List<AlertTest.Series> input, String evalTime, Map<String, String> labels, String value) {
        /** Requires a name and copies input and labels, so a case is immutable. */
        public Case {
            Objects.requireNonNull(name, "name");
            input = List.copyOf(input);
            labels = Map.copyOf(labels);
        }
    }
}
