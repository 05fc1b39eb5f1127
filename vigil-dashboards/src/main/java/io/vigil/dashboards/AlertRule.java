package io.vigil.dashboards;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Prometheus alerting rule with the annotations every Vigil alert carries ({@code summary},
 * {@code description}, {@code runbook}, {@code dashboard}), where it comes from, and the promtool
 * cases that prove it fires when it should and stays silent otherwise.
 *
 * @param severityReason why this severity: the document that sets it, or the reasoning
 * @param labels extra labels besides {@code severity}
 * @param dashboardUid the Grafana dashboard to open first
 * @param exemplars PromQL of the histogram whose exemplars lead to example traces of what the alert
 *     measures (annotation {@code exemplars}; the notification links it in Grafana Explore), or
 *     {@code null} when the alert's signal has no exemplars
 * @param covers which source-document alert this one implements, and how it was translated
 */
public record AlertRule(
        String name,
        String expr,
        String forDuration,
        Severity severity,
        String severityReason,
        Map<String, String> labels,
        String summary,
        String description,
        String runbook,
        String dashboardUid,
        String exemplars,
        String covers,
        List<AlertTest> tests) {
    /** Requires every text but {@code exemplars} and copies labels and tests, so a rule is immutable. */
    public AlertRule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(expr, "expr");
        Objects.requireNonNull(forDuration, "forDuration");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(severityReason, "severityReason");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(runbook, "runbook");
        Objects.requireNonNull(dashboardUid, "dashboardUid");
        Objects.requireNonNull(covers, "covers");
        tests = List.copyOf(tests);
    }

    /** All labels the rule adds: {@code severity} first, then the extra ones. */
    public Map<String, String> allLabels() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("severity", severity.label());
        labels.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> all.put(e.getKey(), e.getValue()));
        return all;
    }

    /**
     * The annotations in a stable order, with {@code catalogue}: the path, relative to the generated directory, of the
     * {@code CATALOGUE.md} whose "Runbooks" section has this alert's heading ({@code <slug>/CATALOGUE.md}). The
     * notification template links the runbook there: one {@code RUNBOOK_URL} served every service's alerts from the
     * first service's catalogue, where the others' headings do not exist.
     */
    public Map<String, String> annotations(String catalogue) {
        Map<String, String> a = annotations();
        a.put("catalogue", Objects.requireNonNull(catalogue, "catalogue"));
        return a;
    }

    /** The annotations in a stable order. */
    public Map<String, String> annotations() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("summary", summary);
        a.put("description", description);
        a.put("runbook", runbook);
        a.put("dashboard", "/d/" + dashboardUid);
        if (exemplars != null) {
            a.put("exemplars", exemplars);
        }
        return a;
    }

    /** Starts a rule. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Builds an {@link AlertRule}. */
    public static final class Builder {
        private final String name;
        private String expr;
        private String forDuration = "5m";
        private Severity severity = Severity.WARNING;
        private String severityReason = "";
        private final Map<String, String> labels = new LinkedHashMap<>();
        private String summary;
        private String description;
        private String runbook;
        private String dashboardUid;
        private String exemplars;
        private String covers = "";
        private final List<AlertTest> tests = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        /** The PromQL alert expression, scoped to the service's job by the caller; required. */
        public Builder expr(String expr) {
            this.expr = expr;
            return this;
        }

        /** How long {@code expr} must hold before the alert fires, as a Prometheus duration (default {@code 5m}). */
        public Builder forDuration(String duration) {
            this.forDuration = duration;
            return this;
        }

        /** The severity and why: the document that sets it, or the reasoning when documents differ. */
        public Builder severity(Severity severity, String reason) {
            this.severity = severity;
            this.severityReason = reason;
            return this;
        }

        /** Adds (or replaces) a label besides {@code severity}. */
        public Builder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        /** The one-line {@code summary} annotation; it may use {@code $labels} and {@code $value}. Required. */
        public Builder summary(String text) {
            this.summary = text;
            return this;
        }

        /** The {@code description} annotation: what is wrong and its effect on users. Required. */
        public Builder description(String text) {
            this.description = text;
            return this;
        }

        /** The {@code runbook} annotation: the first steps to take. Required. */
        public Builder runbook(String text) {
            this.runbook = text;
            return this;
        }

        /** The uid of the Grafana dashboard to open first (annotation {@code dashboard}). Required. */
        public Builder dashboard(String uid) {
            this.dashboardUid = uid;
            return this;
        }

        /** The histogram (PromQL) whose exemplars are example traces of what this alert measures. */
        public Builder exemplars(String histogramQuery) {
            this.exemplars = histogramQuery;
            return this;
        }

        /** Which source-document alert this one implements, and how it was translated (default empty). */
        public Builder covers(String source) {
            this.covers = source;
            return this;
        }

        /** Adds a promtool case that the generated rule file must pass. */
        public Builder test(AlertTest.Builder test) {
            tests.add(test.build());
            return this;
        }

        /**
         * The immutable rule; throws {@link NullPointerException} when a required text is missing. The builder is not
         * thread-safe.
         */
        public AlertRule build() {
            return new AlertRule(
                    name,
                    expr,
                    forDuration,
                    severity,
                    severityReason,
                    labels,
                    summary,
                    description,
                    runbook,
                    dashboardUid,
                    exemplars,
                    covers,
                    tests);
        }
    }
}
