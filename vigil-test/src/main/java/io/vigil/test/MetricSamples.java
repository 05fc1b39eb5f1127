package io.vigil.test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Metric samples parsed back from a Prometheus text exposition, so tests assert the exact names
 * and labels a scraper sees.
 */
public final class MetricSamples {
    /** One sample line: {@code name{labels} value # exemplar}. */
    public record Sample(String name, Map<String, String> labels, double value, String exemplar) {}

    private final List<Sample> samples;
    private final String text;

    private MetricSamples(List<Sample> samples, String text) {
        this.samples = List.copyOf(samples);
        this.text = text;
    }

    /** Parses Prometheus text format 0.0.4 or OpenMetrics text. */
    public static MetricSamples parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                samples.add(parseLine(line));
            }
        }
        return new MetricSamples(samples, text);
    }

    private static Sample parseLine(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        String name;
        Map<String, String> labels = new LinkedHashMap<>();
        String rest;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            int i = brace + 1;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String key = line.substring(i, eq);
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (line.charAt(j) != '"') {
                    if (line.charAt(j) == '\\') {
                        j++;
                        char escaped = line.charAt(j);
                        value.append(escaped == 'n' ? '\n' : escaped);
                        j++;
                        continue;
                    }
                    value.append(line.charAt(j++));
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            rest = line.substring(i + 1).strip();
        } else {
            name = line.substring(0, space);
            rest = line.substring(space + 1).strip();
        }
        String exemplar = null;
        int hash = rest.indexOf(" # ");
        if (hash >= 0) {
            exemplar = rest.substring(hash + 3);
            rest = rest.substring(0, hash);
        }
        String v = rest.split(" ")[0];
        double value = switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
        return new Sample(name, labels, value, exemplar);
    }

    /** Every sample of the scrape, in exposition order; immutable. */
    public List<Sample> all() {
        return samples;
    }

    /** Samples with this exact name. */
    public List<Sample> named(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The first sample with this name whose labels include {@code labels}. */
    public Optional<Sample> find(String name, Map<String, String> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .findFirst();
    }

    /** The value of the sample with this name and exactly these labels, or 0 if there is none. */
    public double value(String name, Map<String, String> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.labels().equals(labels))
                .mapToDouble(Sample::value)
                .findFirst()
                .orElse(0.0);
    }

    /**
     * The value of the first sample with this name whose labels include {@code labels} (the scraped
     * series may carry more, such as {@code otel_scope_name}); throws an {@link AssertionError}
     * quoting the exposition when there is none, so a test says what was scraped instead.
     */
    public double require(String name, Map<String, String> labels) {
        return find(name, labels)
                .orElseThrow(() -> new AssertionError("no sample " + name + labels + " in\n" + text))
                .value();
    }

    /** The exposition text these samples were parsed from. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
