package io.vigil.example.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vigil.dashboards.Generator;
import io.vigil.dashboards.MetricCatalogue;
import io.vigil.dashboards.PlatformMetrics;
import io.vigil.dashboards.ServiceTarget;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The notes service's generated dashboards and rules in {@code examples/deploy/}, what a user gets
 * from the generator for their own service: current with {@link NotesCatalogue}, accepted by
 * promtool with every alert's cases passing, and free of the reference service.
 */
class NotesDashboardsTest {
    private static final String HOW =
            "examples/deploy/ is stale: run ./mvnw -pl examples -am -Pregenerate process-classes and commit the result";
    /** The committed files; surefire runs in the module's directory. */
    private static final Path DEPLOY = Path.of("deploy").toAbsolutePath().normalize();

    /**
     * What examples/pom.xml's regenerate profile names with {@code --platform}: the sources its kinds
     * imply and its bearer-token validation ({@link NotesService} validates tokens); no rate limiter,
     * so no {@code rate-limit}.
     */
    static final List<String> SOURCES = List.of(
            PlatformMetrics.HTTP,
            PlatformMetrics.TOKEN_VALIDATION,
            PlatformMetrics.CORE,
            PlatformMetrics.PROMETHEUS,
            PlatformMetrics.POOL);

    /**
     * What examples/pom.xml's regenerate profile runs: {@code --kinds NotesCatalogue --job
     * notes-service --service notes-service --platform <SOURCES>}, no {@code --instance}.
     */
    private static Map<String, String> expected() {
        return Generator.files(
                MetricCatalogue.of(new NotesCatalogue().get(), PlatformMetrics.of(SOURCES)),
                ServiceTarget.of("notes-service", "notes-service"));
    }

    @Test
    void namesWhatItsKindsImplyAndItsTokenValidationOnly() {
        assertThat(SOURCES)
                .containsAll(PlatformMetrics.implied(new NotesCatalogue().get()))
                .contains(PlatformMetrics.TOKEN_VALIDATION)
                .doesNotContain(PlatformMetrics.RATE_LIMIT, PlatformMetrics.WEBSOCKET)
                .hasSize(PlatformMetrics.implied(new NotesCatalogue().get()).size() + 1);
    }

    @Test
    void committedFilesAreWhatTheGeneratorWritesForTheCatalogue() throws IOException {
        Map<String, String> expected = expected();
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path p = DEPLOY.resolve(e.getKey());
            if (!Files.exists(p) || !Files.readString(p, StandardCharsets.UTF_8).equals(e.getValue())) {
                stale.add(e.getKey());
            }
        }
        assertThat(stale).as(HOW).isEmpty();
        assertThat(committed()).as(HOW).isEqualTo(new TreeSet<>(expected.keySet()));
    }

    @Test
    void holdsTheServicesDashboardsAndRulesOnly() throws IOException {
        assertThat(committed())
                .contains(
                        "grafana/dashboards/notes-service-overview.json",
                        "grafana/dashboards/notes-service-database.json",
                        "prometheus/rules/notes-service-http.yml",
                        "prometheus/rules/notes-service-database.yml",
                        "prometheus/tests/notes-service-slo.test.yml",
                        "loki/rules/fake/notes-service-log-alerts.yml",
                        "notes-service/CATALOGUE.md")
                .noneMatch(p -> p.contains("auth") || p.contains("users-tokens"));
        String overview = read("grafana/dashboards/notes-service-overview.json");
        assertThat(overview)
                .contains("\"uid\" : \"notes-service-overview\"", "notes-service · Service overview")
                .doesNotContain("ws_connections_active"); // no WebSocket endpoint, no WebSocket row
        assertThat(read("grafana/dashboards/notes-service-database.json")).contains("database_operations_total");
        assertThat(read("prometheus/rules/notes-service-database.yml"))
                .contains("DatabaseConnectionPoolExhausted", "job=\\\"notes-service\\\"")
                .contains("dashboard: /d/notes-service-database");
        assertThat(read("prometheus/rules/notes-service-http.yml")).doesNotContain("HighWebSocketConnections");
        // no rate limiter: no alert that cannot fire, no panel that always says "no data"
        assertThat(overview).doesNotContain("rate_limit_hits_total", "Rate-limit hits");
        assertThat(read("prometheus/rules/notes-service-http.yml")).doesNotContain("RateLimitAbuse");
        assertThat(read("prometheus/tests/notes-service-http.test.yml")).doesNotContain("rate_limit_hits_total");
        assertThat(read("notes-service/CATALOGUE.md")).doesNotContain("RateLimitAbuse", "rate_limit_hits_total");
    }

    @Test
    void mentionsNoIdentityAnywhere() throws IOException {
        for (String path : committed()) {
            assertThat(path.toLowerCase(Locale.ROOT)).doesNotContain("identity");
            // not the reference service's name, nor its domain's words in runbooks and promtool cases
            assertThat(read(path).toLowerCase(Locale.ROOT))
                    .as(path)
                    .doesNotContain("identity", "login", "password", "/auth");
        }
    }

    @Test
    void promtoolAcceptsEveryRuleFile() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool("promtool").toString(), "check", "rules"));
        cmd.addAll(list("prometheus/rules"));
        assertThat(cmd).hasSizeGreaterThan(5);
        Result r = run(DEPLOY, cmd);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertPassesItsPromtoolCases() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool("promtool").toString(), "test", "rules"));
        list("prometheus/tests").forEach(p -> cmd.add(Path.of(p).getFileName().toString()));
        assertThat(cmd).hasSizeGreaterThan(5);
        Result r = run(DEPLOY.resolve("prometheus/tests"), cmd);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS").doesNotContain("FAILED");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private record Result(int exit, String output) {}

    /** Every committed file under deploy/, relative, with forward slashes. */
    private static TreeSet<String> committed() throws IOException {
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            TreeSet<String> all = new TreeSet<>();
            files.filter(Files::isRegularFile)
                    .forEach(p -> all.add(DEPLOY.relativize(p).toString().replace('\\', '/')));
            return all;
        }
    }

    private static String read(String relative) throws IOException {
        return Files.readString(DEPLOY.resolve(relative), StandardCharsets.UTF_8);
    }

    private static List<String> list(String dir) throws IOException {
        try (Stream<Path> s = Files.list(DEPLOY.resolve(dir))) {
            return s.map(p -> DEPLOY.relativize(p).toString()).sorted().toList();
        }
    }

    /**
     * A command-line tool on the PATH. As in vigil-dashboards' tests: missing, the test fails where
     * tools are required (CI: {@code -Dvigil.require.servers=true}) and is skipped elsewhere.
     */
    private static Path tool(String name) {
        Optional<Path> found = Stream.of(
                        System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, name))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isPresent()) {
            return found.get();
        }
        String message = name + " is not installed (apt-get install prometheus)";
        if (Boolean.getBoolean("vigil.require.servers")) {
            fail(message);
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    private static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
