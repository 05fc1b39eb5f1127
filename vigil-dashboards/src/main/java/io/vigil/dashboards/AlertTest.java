package io.vigil.dashboards;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@code promtool test rules} case for one alert: input series (promtool's expanding notation,
 * one sample per minute) and what must be firing at given times. An empty expectation means the
 * alert must not be firing (neither inactive-but-expected nor pending counts as firing).
 */
public record AlertTest(String name, List<Series> input, List<Check> checks) {
    /** Requires a name and copies the lists, so a case is immutable. */
    public AlertTest {
        Objects.requireNonNull(name, "name");
        input = List.copyOf(input);
        checks = List.copyOf(checks);
    }

    /** One input series, e.g. {@code http_requests_total{job="identity-service",status_code="500"}} and {@code 0+60x30}. */
    public record Series(String series, String values) {}

    /** What is expected at {@code evalTime}; an empty list: not firing. */
    public record Check(String evalTime, List<Expected> alerts) {
        /** Copies the expected alerts, so a check is immutable. */
        public Check {
            alerts = List.copyOf(alerts);
        }

        /** Whether the alert must be firing at {@code evalTime} (some alert expected). */
        public boolean fires() {
            return !alerts.isEmpty();
        }
    }

    /**
     * One firing alert: the labels of the expression's result (the rule's own labels are added), and
     * how {@code $value} is rendered in its annotations, or {@code null} when they do not use it.
     */
    public record Expected(Map<String, String> labels, String renderedValue) {
        /** Copies the labels, so an expectation is immutable. */
        public Expected {
            labels = Map.copyOf(labels);
        }
    }

    /** Starts a case with one input series. */
    public static Builder given(String name, String series, String values) {
        return new Builder(name).and(series, values);
    }

    /** Builds an {@link AlertTest}. */
    public static final class Builder {
        private final String name;
        private final List<Series> input = new ArrayList<>();
        private final List<Check> checks = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        /** One more input series. */
        public Builder and(String series, String values) {
            input.add(new Series(series, values));
            return this;
        }

        /** At {@code time} the alert must fire once with these result labels and rendered value. */
        public Builder firesAt(String time, Map<String, String> labels, String renderedValue) {
            checks.add(new Check(time, List.of(new Expected(labels, renderedValue))));
            return this;
        }

        /** At {@code time} the alert must not be firing. */
        public Builder silentAt(String time) {
            checks.add(new Check(time, List.of()));
            return this;
        }

        /** The immutable case; the builder is not thread-safe. */
        public AlertTest build() {
            return new AlertTest(name, input, checks);
        }
    }
}
