package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.identity.internal.traffic.FlakyWebhook;
import io.vigil.identity.internal.traffic.TrafficGenerator;
import io.vigil.test.MetricSamples;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The {@code traffic} subcommand against a real service. */
class TrafficCommandTest {
    /** The command line against {@code s}, logged in as its administrator. */
    private static String[] args(TestService s, int seconds, int concurrency) {
        return new String[] {
            "--url",
            "http://127.0.0.1:" + s.service.port(),
            "--duration",
            String.valueOf(seconds),
            "--concurrency",
            String.valueOf(concurrency),
            "--admin-email",
            TestService.ADMIN_EMAIL,
            "--admin-password",
            TestService.ADMIN_PASSWORD
        };
    }

    @Test
    void aShortRunDrivesEveryFlowWithoutServerErrors() {
        try (TestService s = new TestService(TestDatabases.h2())) {
            int rc = TrafficGenerator.run(args(s, 3, 2));
            assertThat(rc).isZero();
        }
    }

    @Test
    void theMixOpensSecurityFeedsAndProvokesEachWebSocketRefusal() {
        try (TestService s = new TestService(TestDatabases.h2())) {
            int rc = TrafficGenerator.run(args(s, 3, 1));
            assertThat(rc).isZero();
            MetricSamples m =
                    MetricSamples.parse(s.management.get("/metrics", null).text());
            String feed = "/api/v1/ws/security-events";
            for (String status : List.of("accepted", "rejected_auth", "rejected_limit")) {
                assertThat(m.require("ws_connections_total", Map.of("endpoint", feed, "status", status)))
                        .as(status)
                        .isPositive();
            }
            for (String type : List.of("websocket_connection", "websocket_message")) {
                assertThat(m.require("rate_limit_hits_total", Map.of("limit_type", type, "endpoint", feed)))
                        .as(type)
                        .isPositive();
            }
            assertThat(m.require("ws_messages_received_total", Map.of("endpoint", feed, "handler", "ping")))
                    .isPositive();
            assertThat(m.require("ws_messages_sent_total", Map.of("endpoint", feed, "handler", "pong")))
                    .isPositive();
            // The refused upgrade's HTTP request is counted under the feed's route when the server's filter ends it,
            // which may trail the client's receipt of the refusal (the response is complete before the filter
            // returns): awaited. A bad token (401) is refused in every round; the non-administrator's 403 only once
            // the mix has made a user, which a short run on a slow machine may not have done.
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(MetricSamples.parse(
                                            s.management.get("/metrics", null).text())
                                    .find("http_requests_total", Map.of("endpoint", feed, "status_code", "401"))
                                    .map(MetricSamples.Sample::value))
                            .hasValueSatisfying(v -> assertThat(v).isPositive()));
            // The oversized message: a too_big error, and its feed closed 1009 (counted when the server
            // sees the close handshake end, which may trail the generator's return: awaited).
            assertThat(m.require("ws_message_errors_total", Map.of("endpoint", feed, "error_type", "too_big")))
                    .isPositive();
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> {
                        MetricSamples now = MetricSamples.parse(
                                s.management.get("/metrics", null).text());
                        assertThat(now.find(
                                                "ws_connections_closed_total",
                                                Map.of("endpoint", feed, "close_code", "1009"))
                                        .map(MetricSamples.Sample::value))
                                .hasValueSatisfying(v -> assertThat(v).isPositive());
                    });
        }
    }

    /**
     * The JDK's HttpClient completes every WebSocket handshake on the common ForkJoinPool ({@code
     * sendAsync}'s dependent actions). Run as a task of that pool ({@code
     * CompletableFuture.supplyAsync}, as the live check ran it), the command held a worker for the
     * whole run — on two cores the pool's only one — so none of its feeds opened: the server had
     * answered 101 and was sending events, the client's handshake completion waited in the pool's
     * queue, and each open ended with status 0 after 30 s.
     */
    @Test
    void theFeedsOpenWhenTheCommandRunsAsATaskOfTheCommonPool() throws Exception {
        try (TestService s = new TestService(TestDatabases.h2())) {
            // Every other worker of the pool busy (none on two cores): the run holds the last one.
            int others = ForkJoinPool.getCommonPoolParallelism() - 1;
            CountDownLatch busy = new CountDownLatch(others);
            CountDownLatch release = new CountDownLatch(1);
            for (int i = 0; i < others; i++) {
                CompletableFuture.runAsync(() -> {
                    busy.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            try {
                assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
                CompletableFuture<Integer> run =
                        CompletableFuture.supplyAsync(() -> TrafficGenerator.run(args(s, 2, 1)));
                // A feed that does not open is a transport error (exit code 1); a stuck one takes 30 s.
                assertThat(run.get(25, TimeUnit.SECONDS)).isZero();
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void badArgumentsAreAUsageError() {
        assertThat(TrafficGenerator.run(new String[] {"--duration", "3"})).isEqualTo(2);
        assertThat(TrafficGenerator.run(new String[] {"--url", "http://127.0.0.1:1", "--duration", "x"}))
                .isEqualTo(2);
        assertThat(TrafficGenerator.run(new String[] {"--pipeline-url", "localhost:8002"}))
                .isEqualTo(2);
        assertThat(TrafficGenerator.run(
                        new String[] {"--url", "http://127.0.0.1:1", "--duration", "1", "--webhook-port", "x"}))
                .isEqualTo(2);
    }

    @Test
    void aServiceThatDoesNotAnswerIsNotHammeredInATightLoop() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort(); // nothing listens there once closed
        }
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            rc = TrafficGenerator.run(
                    new String[] {"--url", "http://127.0.0.1:" + closed, "--duration", "2", "--concurrency", "4"});
        } finally {
            System.setOut(out);
        }
        assertThat(rc).isEqualTo(1);
        String report = printed.toString(StandardCharsets.UTF_8);
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("transport errors (\\d+)").matcher(report);
        assertThat(m.find()).as(report).isTrue();
        // Was tens of thousands in 2 s (a refused connection costs microseconds); with the back-off each worker
        // makes about 6 failing steps in 2 s (50, 100, 200, 400, 800 ms, then 2 s), each a few calls.
        assertThat(Long.parseLong(m.group(1))).isPositive().isLessThan(400);
    }

    @Test
    void helpIsAnAnswerAndAMisspeltOptionIsAnError() {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int help;
        int misspelt;
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
            help = TrafficGenerator.run(new String[] {"--help"});
            // was accepted and ignored: the run went on for the default 30 s
            misspelt = TrafficGenerator.run(new String[] {"--url", "http://127.0.0.1:1", "--durration", "1"});
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertThat(help).isZero();
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .startsWith("usage: java -jar identity-service.jar traffic");
        assertThat(misspelt).isEqualTo(2);
        assertThat(errors.toString(StandardCharsets.UTF_8))
                .startsWith("traffic: unknown option --durration")
                .doesNotContain("missing value");
    }

    @Test
    void theWebhookOnEveryInterfaceNamesAUrlTheServiceCanUse() throws Exception {
        try (FlakyWebhook hook = FlakyWebhook.start("0.0.0.0", 0, 2)) {
            // was http://0:0:0:0:0:0:0:0:<port>/notify, which NOTIFY_WEBHOOK_URL refuses
            assertThat(hook.url().toString()).matches("http://localhost:\\d+/notify");
            HttpResponse<Void> answer = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(hook.url())
                                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
            assertThat(answer.statusCode()).isIn(204, 500);
        }
        try (FlakyWebhook hook = FlakyWebhook.start("::1", 0, 2)) {
            assertThat(hook.url().toString()).matches("http://\\[[0-9:]+\\]:\\d+/notify");
        } catch (java.net.SocketException e) {
            // no IPv6 loopback on this machine: nothing to check
        }
    }

    @Test
    void theFlakyWebhookRefusesTheSameNotificationsOnEveryAttempt() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (FlakyWebhook hook = FlakyWebhook.start("127.0.0.1", 0, 2)) {
            List<Integer> first = new ArrayList<>();
            List<Integer> again = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ids.add(UUID.randomUUID().toString());
            }
            for (List<Integer> round : List.of(first, again)) {
                for (String id : ids) {
                    round.add(http.send(
                                    HttpRequest.newBuilder(hook.url())
                                            .header("Idempotency-Key", id)
                                            .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode());
                }
            }
            assertThat(again).isEqualTo(first); // a refused notification is refused on its retries too
            assertThat(first).containsOnly(204, 500).contains(204, 500);
            assertThat(hook.delivered() + hook.refused()).isEqualTo(40);
        }
    }
}
