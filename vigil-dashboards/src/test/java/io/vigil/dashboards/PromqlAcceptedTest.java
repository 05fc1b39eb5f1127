package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every PromQL expression of the dashboards and rules, sent to a real Prometheus (Debian's) running
 * on a loopback port with an empty TSDB: a parse or type error comes back as HTTP 400.
 */
class PromqlAcceptedTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static Process prometheus;
    private static URI base;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startPrometheus() throws Exception {
        Path binary = Deploy.tool("prometheus");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = tmp.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 1m\n");
        prometheus = new ProcessBuilder(
                        binary.toString(),
                        "--config.file=" + config,
                        "--storage.tsdb.path=" + tmp.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--web.enable-remote-write-receiver")
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("prometheus.log").toFile())
                .start();
        base = URI.create("http://127.0.0.1:" + port);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> {
                    if (!prometheus.isAlive()) {
                        throw new AssertionError(
                                "prometheus exited: " + Files.readString(tmp.resolve("prometheus.log")));
                    }
                    return get("/-/ready").statusCode() == 200;
                });
    }

    @AfterAll
    static void stopPrometheus() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
    }

    @Test
    void acceptsEveryDashboardQuery() throws Exception {
        Map<String, String> rejected = new LinkedHashMap<>();
        for (Dashboard d : IdentityStack.dashboards()) {
            for (Query q : d.queries()) {
                if (q.language() == Query.Language.PROMQL) {
                    String expr = substitute(q.text(), d);
                    String error = query(expr);
                    if (error != null) {
                        rejected.put(d.uid() + ": " + expr, error);
                    }
                }
            }
            for (Variable v : d.variables()) {
                if (v.dataSource() == DataSource.PROMETHEUS) {
                    // label_values(metric{...}, label) is Grafana's; the selector inside must be PromQL
                    String selector = v.query().replaceAll("^label_values\\((.*), *\\w+\\)$", "$1");
                    String error = query(substitute(selector, d));
                    if (error != null) {
                        rejected.put(d.uid() + " variable " + v.name(), error);
                    }
                }
            }
        }
        assertThat(rejected).isEmpty();
    }

    @Test
    void acceptsEveryRuleExpression() throws Exception {
        Map<String, String> rejected = new LinkedHashMap<>();
        List<String> exprs = new ArrayList<>();
        for (RuleGroup g : IdentityStack.groups()) {
            g.recordingRules().forEach(r -> exprs.add(r.expr()));
            g.alerts().forEach(a -> exprs.add(a.expr()));
        }
        for (String e : exprs) {
            String error = query(e);
            if (error != null) {
                rejected.put(e, error);
            }
        }
        assertThat(exprs).hasSizeGreaterThan(20);
        assertThat(rejected).isEmpty();
    }

    @Test
    void rejectsTheSourceDocumentsBareTypo() throws Exception {
        // The harness must see errors: a broken expression is refused.
        assertThat(query("sum(rate(http_requests_total[5m])")).isNotNull();
    }

    /** Grafana's variables replaced by the sample values a test can run. */
    private static String substitute(String expr, Dashboard d) {
        String s = expr.replace("$__rate_interval", "5m")
                .replace("$__interval", "1m")
                .replace("$__range", "1h");
        for (Variable v : d.variables()) {
            s = s.replace("$" + v.name(), v.sample());
        }
        assertThat(s).as(expr).doesNotContain("$");
        return s;
    }

    /** {@code null} when Prometheus accepts {@code expr}, else its error. */
    private static String query(String expr) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        return r.statusCode() == 200 && r.body().contains("\"status\":\"success\"") ? null : r.body();
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
