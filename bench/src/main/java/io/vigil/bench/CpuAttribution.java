package io.vigil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the request threads' CPU goes, by component, from the CPU samples (async-profiler, {@code itimer}: the
 * process's CPU time, kernel time included) that {@code PROFILE=1 bench/http-load.sh} takes in each measured round:
 * the table bench/README quotes for the HTTP target.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.vigil.bench.CpuAttribution MODE=US_PER_REQUEST=a.txt,b.txt ...
 * }</pre>
 *
 * <p>Each sample of a request thread ({@code JettyServerThreadPool}, {@code qtp}) is billed to the innermost frame
 * that is not the JDK's, so a {@code writev} Jetty calls is Jetty's and a {@code HashMap} lookup the SDK makes is the
 * SDK's. The components: the server (Jetty, Javalin, the route), Vigil's HTTP adapter, the rest of Vigil's core,
 * OpenTelemetry (API, SDK, semantic-convention extractors), logging (Logback, vigil-logback) and the OpenTelemetry
 * Java agent. Shares become microseconds per request through the request threads' measured CPU per request
 * ({@code thread-cpu.py}'s median, passed as {@code US_PER_REQUEST}), so the table adds up to what the load run
 * measured rather than to a count of signals.
 *
 * <p>Why the server row matters: plain and instrumented modes run the same Jetty and Javalin code for the same
 * request, so what that row gains in an instrumented mode is the server's own code running slower beside the
 * instrumentation (caches and branch predictors shared with it), which no change inside Vigil's code can remove.
 */
public final class CpuAttribution {
    static final List<String> COMPONENTS = List.of(
            "server (Jetty, Javalin, route)",
            "Vigil HTTP adapter (io.vigil.http)",
            "Vigil core (io.vigil.core)",
            "OpenTelemetry API, SDK, semconv",
            "logging (Logback, vigil-logback)",
            "OpenTelemetry Java agent",
            "JDK only (no other frame)");

    private CpuAttribution() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: CpuAttribution MODE=US_PER_REQUEST=collapsed.txt[,collapsed.txt...] ...");
            System.exit(2);
        }
        List<String> modes = new ArrayList<>();
        List<Map<String, Double>> micros = new ArrayList<>();
        List<Long> sampleCounts = new ArrayList<>();
        for (String arg : args) {
            String[] parts = arg.split("=", 3);
            double usPerRequest = Double.parseDouble(parts[1]);
            Map<String, Long> counts = new LinkedHashMap<>();
            long total = 0;
            for (String file : parts[2].split(",")) {
                total += count(Path.of(file), counts);
            }
            Map<String, Double> us = new LinkedHashMap<>();
            for (String component : COMPONENTS) {
                us.put(component, total == 0 ? 0 : counts.getOrDefault(component, 0L) * usPerRequest / total);
            }
            modes.add(parts[0]);
            micros.add(us);
            sampleCounts.add(total);
        }
        StringBuilder header = new StringBuilder("| request threads, µs CPU / request |");
        StringBuilder rule = new StringBuilder("|---|");
        for (int i = 0; i < modes.size(); i++) {
            header.append(' ').append(modes.get(i)).append(" |");
            rule.append("---|");
        }
        if (modes.size() > 1) {
            for (int i = 1; i < modes.size(); i++) {
                header.append(' ')
                        .append(modes.get(i))
                        .append(" − ")
                        .append(modes.get(0))
                        .append(" |");
                rule.append("---|");
            }
        }
        System.out.println(header);
        System.out.println(rule);
        for (String component : COMPONENTS) {
            boolean any = micros.stream().anyMatch(m -> m.get(component) >= 0.05);
            if (!any) {
                continue;
            }
            StringBuilder row = new StringBuilder("| ").append(component).append(" |");
            for (Map<String, Double> m : micros) {
                row.append(String.format(Locale.ROOT, " %.1f |", m.get(component)));
            }
            for (int i = 1; i < micros.size(); i++) {
                row.append(String.format(
                        Locale.ROOT,
                        " %+.1f |",
                        micros.get(i).get(component) - micros.get(0).get(component)));
            }
            System.out.println(row);
        }
        StringBuilder totals = new StringBuilder("| all (measured; samples) |");
        for (int i = 0; i < micros.size(); i++) {
            double sum = micros.get(i).values().stream()
                    .mapToDouble(Double::doubleValue)
                    .sum();
            totals.append(String.format(Locale.ROOT, " %.1f (%d) |", sum, sampleCounts.get(i)));
        }
        for (int i = 1; i < micros.size(); i++) {
            double a = micros.get(0).values().stream()
                    .mapToDouble(Double::doubleValue)
                    .sum();
            double b = micros.get(i).values().stream()
                    .mapToDouble(Double::doubleValue)
                    .sum();
            totals.append(String.format(Locale.ROOT, " %+.1f |", b - a));
        }
        System.out.println(totals);
    }

    /**
     * Adds the request threads' samples of one profile (async-profiler's collapsed stacks with thread names: {@code
     * [name tid=N];root;...;leaf count}) to {@code counts}; returns how many there were.
     */
    static long count(Path file, Map<String, Long> counts) throws IOException {
        long n = 0;
        for (String line : Files.readAllLines(file)) {
            int space = line.lastIndexOf(' ');
            if (!line.startsWith("[") || space < 0) {
                continue;
            }
            String[] frames = line.substring(0, space).split(";");
            if (!requestThread(frames[0])) {
                continue;
            }
            long samples = Long.parseLong(line.substring(space + 1).trim());
            counts.merge(component(frames), samples, Long::sum);
            n += samples;
        }
        return n;
    }

    private static boolean requestThread(String thread) {
        return thread.startsWith("[JettyServerThre") || thread.startsWith("[qtp");
    }

    /** The component of the innermost Java frame that is not the JDK's; native and JVM frames are skipped. */
    static String component(String[] frames) {
        for (int i = frames.length - 1; i > 0; i--) {
            String frame = frames[i];
            if (frame.contains("::") || frame.indexOf('/') < 0) {
                continue; // the JVM's own C++ frames, libc, [unknown]
            }
            String type = frame.replace('/', '.');
            if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")) {
                continue;
            }
            if (type.startsWith("io.opentelemetry.javaagent")) {
                return COMPONENTS.get(5);
            }
            if (type.startsWith("io.vigil.http.")) {
                return COMPONENTS.get(1);
            }
            if (type.startsWith("io.vigil.core.")) {
                return COMPONENTS.get(2);
            }
            if (type.startsWith("io.opentelemetry.")) {
                return COMPONENTS.get(3);
            }
            if (type.startsWith("ch.qos.logback.")
                    || type.startsWith("org.slf4j.")
                    || type.startsWith("io.vigil.logback.")) {
                return COMPONENTS.get(4);
            }
            return COMPONENTS.get(0);
        }
        return COMPONENTS.getLast();
    }
}
