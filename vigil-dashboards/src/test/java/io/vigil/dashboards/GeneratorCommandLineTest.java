package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GeneratorCommandLineTest {
    private static final String ORDERS_KINDS = OtherServiceTest.OrdersKinds.class.getName();

    record Outcome(int exit, String out, String err) {}

    /** Not a Supplier. */
    public static final class NotASupplier {}

    /** Supplies strings. */
    public static final class SuppliesStrings implements Supplier<Collection<String>> {
        @Override
        public Collection<String> get() {
            return List.of("authentication");
        }
    }

    private static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Generator.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void writesTheServicesFilesWithTheDefaultPlatformSources(@TempDir Path out) throws Exception {
        Outcome o = run("--kinds", ORDERS_KINDS, "--job", "orders", "--service", "orders", "--out", out.toString());
        assertThat(o.exit()).as(o.err()).isZero();
        assertThat(o.out()).contains("for job orders under " + out);
        assertThat(out.resolve("grafana/dashboards/vigil-service-overview.json"))
                .exists();
        assertThat(out.resolve("grafana/dashboards/vigil-auth-security.json")).doesNotExist();
        String database = Files.readString(out.resolve("prometheus/rules/database.yml"));
        assertThat(database).contains("DatabaseConnectionPoolExhausted").contains("job=\\\"orders\\\"");
        assertThat(Files.readString(out.resolve("prometheus/tests/http.test.yml")))
                .contains("instance=\\\"orders:9464\\\"");
        assertThat(out.resolve("prometheus/rules/infrastructure.yml")).exists();
        assertThat(Files.readString(out.resolve("prometheus/rules/infrastructure.yml")))
                .doesNotContain("DatabaseDown");
    }

    @Test
    void takesPlatformSourcesAndInstanceWhenGiven(@TempDir Path out) throws Exception {
        Outcome o = run(
                "--kinds",
                ORDERS_KINDS,
                "--job",
                "orders",
                "--service",
                "orders-api",
                "--out",
                out.toString(),
                "--platform",
                "vigil-http,vigil-core,prometheus,postgres-exporter",
                "--instance",
                "10.0.0.7:8081");
        assertThat(o.exit()).as(o.err()).isZero();
        String infrastructure = Files.readString(out.resolve("prometheus/rules/infrastructure.yml"));
        assertThat(infrastructure).contains("DatabaseDown");
        assertThat(out.resolve("prometheus/rules/database.yml")).exists();
        assertThat(Files.readString(out.resolve("prometheus/rules/database.yml")))
                .doesNotContain("DatabaseConnectionPoolExhausted"); // db-pool was not named
        assertThat(Files.readString(out.resolve("prometheus/tests/http.test.yml")))
                .contains("10.0.0.7:8081");
        assertThat(Files.readString(out.resolve("loki/rules/fake/vigil-log-alerts.yml")))
                .contains("service=\\\"orders-api\\\"");
    }

    @Test
    void replacesStaleGeneratedFilesOnly(@TempDir Path out) throws Exception {
        Path stale = Files.createDirectories(out.resolve("prometheus/rules")).resolve("identity.yml");
        Files.writeString(stale, "groups: []\n");
        Path own = Files.createDirectories(out.resolve("prometheus")).resolve("prometheus.yml");
        Files.writeString(own, "global: {}\n");
        assertThat(run("--kinds", ORDERS_KINDS, "--job", "orders", "--service", "orders", "--out", out.toString())
                        .exit())
                .isZero();
        assertThat(stale).doesNotExist();
        assertThat(own).hasContent("global: {}");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '#',
            value = {
                "'' # missing --kinds",
                "--kinds|K|--job|orders|--service|orders # missing --out",
                "--kinds|K|--job|orders|--out|/tmp/x # missing --service",
                "--kinds|K|--service|orders|--out|/tmp/x # missing --job",
                "--kinds|K|--job|orders|--service|orders|--out # --out needs a value",
                "--kinds|K|--job|--service|orders|--out|/tmp/x # --job needs a value",
                "--kinds|K|--job|orders|--service|orders|--out|/tmp/x|--verbose|yes # unknown argument '--verbose'",
                "--kinds|K|--job|a|--job|b|--service|orders|--out|/tmp/x # --job is given twice",
                "--kinds|K|--job|or{ders|--service|orders|--out|/tmp/x # job must be letters",
                "--kinds|K|--job|orders|--service|my service|--out|/tmp/x # service must be letters",
                "--kinds|com.example.Missing|--job|o|--service|o|--out|/tmp/x # class com.example.Missing is not on the class path",
                "--kinds|N|--job|o|--service|o|--out|/tmp/x # does not implement Supplier",
                "--kinds|S|--job|o|--service|o|--out|/tmp/x # not an io.vigil.core.OperationKind",
                "--kinds|K|--job|o|--service|o|--out|/tmp/x|--platform|vigil-http,kafka # unknown source(s) [kafka]",
            })
    void refusesBadArgumentsWithUsageAndExitCode2(String line, String reason) {
        String[] args = line.isEmpty()
                ? new String[0]
                : java.util.Arrays.stream(line.split("\\|"))
                        .map(a -> switch (a) {
                            case "K" -> ORDERS_KINDS;
                            case "N" -> NotASupplier.class.getName();
                            case "S" -> SuppliesStrings.class.getName();
                            default -> a;
                        })
                        .toArray(String[]::new);
        Outcome o = run(args);
        assertThat(o.exit()).isEqualTo(Generator.USAGE_EXIT);
        assertThat(o.err()).contains(reason.strip()).contains("usage: Generator --kinds <class>");
        assertThat(o.out()).isEmpty();
    }
}
