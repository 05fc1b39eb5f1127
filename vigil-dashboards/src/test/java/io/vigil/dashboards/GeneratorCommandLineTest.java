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
        assertThat(out.resolve("grafana/dashboards/orders-overview.json")).exists();
        assertThat(out.resolve("grafana/dashboards/orders-auth-security.json")).doesNotExist();
        String database = Files.readString(out.resolve("prometheus/rules/orders-database.yml"));
        assertThat(database).contains("DatabaseConnectionPoolExhausted").contains("job=\\\"orders\\\"");
        assertThat(Files.readString(out.resolve("prometheus/tests/orders-http.test.yml")))
                .contains("instance=\\\"orders:9464\\\"")
                .doesNotContain("HighWebSocketConnections") // WebSocket is not implied
                .doesNotContain("RateLimitAbuse"); // nor are rate limits
        assertThat(out.resolve("orders/CATALOGUE.md")).exists();
        assertThat(out.resolve("prometheus/rules/orders-infrastructure.yml")).exists();
        assertThat(Files.readString(out.resolve("prometheus/rules/orders-infrastructure.yml")))
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
                "vigil-http,vigil-core,prometheus,postgres-exporter,rate-limit",
                "--instance",
                "10.0.0.7:8081");
        assertThat(o.exit()).as(o.err()).isZero();
        assertThat(Files.readString(out.resolve("prometheus/rules/orders-api-http.yml")))
                .contains("RateLimitAbuse"); // rate-limit was named
        String infrastructure = Files.readString(out.resolve("prometheus/rules/orders-api-infrastructure.yml"));
        assertThat(infrastructure).contains("DatabaseDown");
        assertThat(out.resolve("prometheus/rules/orders-api-database.yml")).exists();
        assertThat(Files.readString(out.resolve("prometheus/rules/orders-api-database.yml")))
                .doesNotContain("DatabaseConnectionPoolExhausted"); // db-pool was not named
        assertThat(Files.readString(out.resolve("prometheus/tests/orders-api-http.test.yml")))
                .contains("10.0.0.7:8081");
        assertThat(out.resolve("grafana/dashboards/orders-api-overview.json")).exists();
        assertThat(Files.readString(out.resolve("loki/rules/fake/orders-api-log-alerts.yml")))
                .contains("service=\\\"orders-api\\\"");
    }

    @Test
    void replacesTheServicesStaleFilesOnly(@TempDir Path out) throws Exception {
        // a group orders no longer has (no identity kinds), from an earlier generation
        Path stale = Files.createDirectories(out.resolve("prometheus/rules")).resolve("orders-identity.yml");
        Files.writeString(stale, "groups: []\n");
        Path staleDashboard =
                Files.createDirectories(out.resolve("grafana/dashboards")).resolve("orders-auth-security.json");
        Files.writeString(staleDashboard, "{}\n");
        // another service's generated files in the same directory, and a hand-written file
        Path other = out.resolve("prometheus/rules/notes-identity.yml");
        Files.writeString(other, "groups: []\n");
        Path otherDashboard = out.resolve("grafana/dashboards/notes-overview.json");
        Files.writeString(otherDashboard, "{}\n");
        Path own = Files.createDirectories(out.resolve("prometheus")).resolve("prometheus.yml");
        Files.writeString(own, "global: {}\n");
        assertThat(run("--kinds", ORDERS_KINDS, "--job", "orders", "--service", "orders", "--out", out.toString())
                        .exit())
                .isZero();
        assertThat(stale).doesNotExist();
        assertThat(staleDashboard).doesNotExist();
        assertThat(other).exists();
        assertThat(otherDashboard).exists();
        assertThat(own).hasContent("global: {}");
    }

    @Test
    void addsTheWebSocketRowAndAlertOnlyWhenItsSourceIsNamed(@TempDir Path out) throws Exception {
        Outcome o = run(
                "--kinds",
                ORDERS_KINDS,
                "--job",
                "orders",
                "--service",
                "orders",
                "--out",
                out.toString(),
                "--platform",
                "vigil-http,websocket,vigil-core,prometheus,db-pool");
        assertThat(o.exit()).as(o.err()).isZero();
        assertThat(Files.readString(out.resolve("prometheus/rules/orders-http.yml")))
                .contains("HighWebSocketConnections");
        assertThat(Files.readString(out.resolve("grafana/dashboards/orders-overview.json")))
                .contains("ws_connections_active");
        assertThat(o.err()).isEmpty();
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
