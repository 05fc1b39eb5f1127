package io.vigil.dashboards;

import io.vigil.core.OperationKind;
import io.vigil.dashboards.internal.CatalogueMarkdown;
import io.vigil.dashboards.internal.GrafanaJson;
import io.vigil.dashboards.internal.LayoutSvg;
import io.vigil.dashboards.internal.RulesYaml;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Writes one service's dashboards and rules: Grafana dashboards, Prometheus rule files and their
 * promtool tests, Loki ruler rules, {@code CATALOGUE.md} and the layout picture, generated from the
 * service's {@link MetricCatalogue} for its {@link ServiceTarget}. Only metrics the catalogue holds
 * get rows, panels and alerts. Uids and file names carry the service, so several services can be
 * generated into one directory.
 *
 * <p>From the command line:
 *
 * <pre>
 * java -cp ... io.vigil.dashboards.Generator --kinds com.example.OrdersKinds --job orders \
 *     --service orders --out deploy [--platform vigil-http,vigil-core,prometheus,db-pool] \
 *     [--instance orders:9464]
 * </pre>
 *
 * where {@code --kinds} names a class with a public no-argument constructor implementing {@code
 * Supplier<Collection<OperationKind>>}. {@code ./mvnw -pl vigil-dashboards -am -Pregenerate
 * process-classes} runs it for identity-service into {@code deploy/}; a test fails when the
 * committed files differ.
 */
public final class Generator {
    /** Directories (relative to the output directory) holding generated files of one or more services. */
    public static final List<String> GENERATED_DIRS =
            List.of("grafana/dashboards", "prometheus/rules", "prometheus/tests", "loki/rules/fake");

    /** Exit code for bad arguments. */
    public static final int USAGE_EXIT = 2;

    static final String USAGE = """
            usage: Generator --kinds <class> --job <job> --service <name> --out <dir> [--platform <sources>] [--instance <host:port>]
              --kinds     a class implementing java.util.function.Supplier<java.util.Collection<io.vigil.core.OperationKind>>
                          with a public no-argument constructor: the service's operation kinds
              --job       the Prometheus job the service is scraped under (alerts are scoped to it)
              --service   the service's service.name (the service label of its logs and span metrics)
              --out       directory to write into (this service's generated files there are replaced;
                          other services' files are kept)
              --platform  comma-separated metric sources it exposes, or 'all' (all but %s);
                          default: those its kinds imply
                          (%s); known: %s
              --instance  host:port of a scrape target in the promtool cases; default <job>:%d
            """;

    private Generator() {}

    /**
     * The service's catalogue, {@code <slug>/CATALOGUE.md}, relative to the generated directory: its "Runbooks" section
     * has one heading per alert, and every alert names it in its {@code catalogue} annotation.
     */
    public static String catalogueFile(ServiceTarget target) {
        return target.slug() + "/CATALOGUE.md";
    }

    /**
     * Every generated file for {@code target}, by path relative to the output directory. Every name
     * carries the service's {@link ServiceTarget#slug() slug}, so several services generated into one
     * directory (one Grafana, one Prometheus, one Loki) never overwrite each other: {@code
     * grafana/dashboards/<uid>.json}, {@code prometheus/rules/<slug>-<group>.yml} and their {@code
     * prometheus/tests/<slug>-<group>.test.yml}, {@code loki/rules/fake/<slug>-log-alerts.yml}, and
     * {@code <slug>/CATALOGUE.md} and {@code <slug>/dashboards-layout.svg}.
     */
    public static Map<String, String> files(MetricCatalogue catalogue, ServiceTarget target) {
        Map<String, String> files = new TreeMap<>();
        List<Dashboard> dashboards = StandardDashboards.all(catalogue, target);
        for (Dashboard d : dashboards) {
            files.put("grafana/dashboards/" + d.uid() + ".json", GrafanaJson.render(d));
        }
        List<RuleGroup> groups = StandardAlerts.groups(catalogue, target);
        String runbooks = catalogueFile(target);
        for (RuleGroup g : groups) {
            String file = target.slug() + "-" + g.file();
            files.put("prometheus/rules/" + file + ".yml", RulesYaml.rules(List.of(g), runbooks));
            files.put(
                    "prometheus/tests/" + file + ".test.yml",
                    RulesYaml.tests(g, "../rules/" + file + ".yml", runbooks));
        }
        RuleGroup logs = StandardAlerts.logAlerts(catalogue, target);
        files.put(
                "loki/rules/fake/" + target.slug() + "-" + logs.file() + ".yml",
                RulesYaml.rules(List.of(logs), runbooks));
        files.put(runbooks, CatalogueMarkdown.render(target, dashboards, groups, List.of(logs)));
        files.put(target.slug() + "/dashboards-layout.svg", LayoutSvg.render(dashboards));
        return files;
    }

    /**
     * Every path in {@link #GENERATED_DIRS} that {@link #files} may produce for {@code target}, with
     * any catalogue: the files {@link #write} may replace or delete. Other services' files are never
     * among them.
     */
    static Set<String> owned(ServiceTarget target) {
        Set<String> owned = new LinkedHashSet<>();
        for (String name : StandardDashboards.NAMES) {
            owned.add("grafana/dashboards/" + StandardDashboards.uid(target, name) + ".json");
        }
        for (String file : StandardAlerts.FILES) {
            owned.add("prometheus/rules/" + target.slug() + "-" + file + ".yml");
            owned.add("prometheus/tests/" + target.slug() + "-" + file + ".test.yml");
            owned.add("loki/rules/fake/" + target.slug() + "-" + file + ".yml");
        }
        return owned;
    }

    /**
     * Writes {@link #files} under {@code root}, deleting this service's files in {@link
     * #GENERATED_DIRS} that are no longer generated (a dashboard or group whose metrics left the
     * catalogue); other files there (other services') are kept. Returns how many files were written.
     */
    public static int write(Path root, MetricCatalogue catalogue, ServiceTarget target) throws IOException {
        Map<String, String> files = files(catalogue, target);
        for (String path : owned(target)) {
            if (!files.containsKey(path)) {
                Files.deleteIfExists(root.resolve(path));
            }
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path p = root.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
        }
        return files.size();
    }

    /** Runs {@link #run} and exits with its code. */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * The command line without exiting: 0 when the files were written, {@value #USAGE_EXIT} with the
     * reason and the usage on {@code err} when an argument is missing or wrong, 1 when writing fails.
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Args parsed;
        try {
            parsed = Args.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("Generator: " + e.getMessage());
            err.print(usage());
            return USAGE_EXIT;
        }
        try {
            Path root = parsed.out().toAbsolutePath().normalize();
            int n = write(root, parsed.catalogue(), parsed.target());
            out.println("Generated " + n + " files for job " + parsed.target().job() + " under " + root);
            return 0;
        } catch (IOException e) {
            err.println("Generator: cannot write " + parsed.out() + ": " + e);
            return 1;
        }
    }

    private static String usage() {
        return USAGE.formatted(
                String.join(",", new java.util.TreeSet<>(PlatformMetrics.NAMED_ONLY)),
                String.join(",", PlatformMetrics.implied(List.of())) + " + db-pool/consumer/token-store by kind",
                String.join(",", PlatformMetrics.sources()),
                ServiceTarget.DEFAULT_METRICS_PORT);
    }

    /** The parsed, validated command line. */
    record Args(MetricCatalogue catalogue, ServiceTarget target, Path out) {
        private static final Set<String> OPTIONS =
                Set.of("--kinds", "--job", "--service", "--out", "--platform", "--instance");

        static Args parse(String[] args) {
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                if (!OPTIONS.contains(option)) {
                    throw new IllegalArgumentException("unknown argument '" + option + "'");
                }
                if (i + 1 >= args.length || args[i + 1].isBlank() || args[i + 1].startsWith("--")) {
                    throw new IllegalArgumentException(option + " needs a value");
                }
                if (values.put(option, args[++i]) != null) {
                    throw new IllegalArgumentException(option + " is given twice");
                }
            }
            for (String required : List.of("--kinds", "--job", "--service", "--out")) {
                if (!values.containsKey(required)) {
                    throw new IllegalArgumentException("missing " + required);
                }
            }
            Collection<OperationKind> kinds = kinds(values.get("--kinds"));
            Set<String> sources = sources(values.get("--platform"), kinds);
            String job = values.get("--job");
            ServiceTarget target = new ServiceTarget(
                    job,
                    values.get("--service"),
                    values.getOrDefault("--instance", job + ":" + ServiceTarget.DEFAULT_METRICS_PORT));
            return new Args(
                    MetricCatalogue.of(kinds, PlatformMetrics.of(sources)), target, Path.of(values.get("--out")));
        }

        private static Set<String> sources(String option, Collection<OperationKind> kinds) {
            if (option == null) {
                return PlatformMetrics.implied(kinds);
            }
            if (option.equals("all")) {
                return PlatformMetrics.stackSources();
            }
            Set<String> sources = new LinkedHashSet<>();
            Arrays.stream(option.split(",")).map(String::strip).forEach(sources::add);
            List<String> unknown = new ArrayList<>(sources);
            unknown.removeAll(PlatformMetrics.sources());
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("--platform: unknown source(s) " + unknown);
            }
            return sources;
        }

        private static Collection<OperationKind> kinds(String className) {
            Object supplier;
            try {
                Class<?> type = Class.forName(className);
                if (!Supplier.class.isAssignableFrom(type)) {
                    throw new IllegalArgumentException("--kinds: " + className + " does not implement Supplier");
                }
                supplier = type.getConstructor().newInstance();
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException("--kinds: class " + className + " is not on the class path");
            } catch (NoSuchMethodException e) {
                throw new IllegalArgumentException("--kinds: " + className + " has no public no-argument constructor");
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new IllegalArgumentException("--kinds: cannot create " + className + ": " + e);
            }
            Object supplied = ((Supplier<?>) supplier).get();
            if (!(supplied instanceof Collection<?> collection)) {
                throw new IllegalArgumentException(
                        "--kinds: " + className + " supplies " + supplied + ", not a Collection<OperationKind>");
            }
            List<OperationKind> kinds = new ArrayList<>();
            for (Object o : collection) {
                if (!(o instanceof OperationKind kind)) {
                    throw new IllegalArgumentException(
                            "--kinds: " + className + " supplies " + o + ", not an io.vigil.core.OperationKind");
                }
                kinds.add(kind);
            }
            return kinds;
        }
    }
}
