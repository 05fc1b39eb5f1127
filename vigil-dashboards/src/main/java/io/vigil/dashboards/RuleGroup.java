package io.vigil.dashboards;

import java.util.List;
import java.util.Objects;

/**
 * A Prometheus rule group, written to {@code deploy/prometheus/rules/<file>.yml} with its promtool
 * cases in {@code deploy/prometheus/tests/<file>.test.yml}.
 *
 * @param file file name without extension
 * @param interval evaluation interval
 */
public record RuleGroup(
        String file, String name, String interval, List<RecordingRule> recordingRules, List<AlertRule> alerts) {
    /** Requires file, name and interval and copies the rule lists, so a group is immutable. */
    public RuleGroup {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(interval, "interval");
        recordingRules = List.copyOf(recordingRules);
        alerts = List.copyOf(alerts);
    }
}
