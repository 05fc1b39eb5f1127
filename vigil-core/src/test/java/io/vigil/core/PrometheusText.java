package io.vigil.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Parses Prometheus text / OpenMetrics exposition back into samples, so tests assert values. */
record PrometheusText(List<Sample> samples) {

    record Sample(String name, Map<String, String> labels, double value, String exemplar) {}

    static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
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
                    int j = eq + 2; // skip ="
                    while (line.charAt(j) != '"') {
                        if (line.charAt(j) == '\\') {
                            j++;
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
            String valueText = rest.split(" ")[0];
            samples.add(new Sample(name, labels, parseValue(valueText), exemplar));
        }
        return new PrometheusText(samples);
    }

    private static double parseValue(String v) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }

    List<Sample> named(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    Optional<Sample> find(String name, Map<String, String> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .findFirst();
    }

    double value(String name, Map<String, String> labels) {
        return find(name, labels)
                .orElseThrow(() -> new AssertionError("no sample " + name + labels + " in\n" + this))
                .value();
    }
}
