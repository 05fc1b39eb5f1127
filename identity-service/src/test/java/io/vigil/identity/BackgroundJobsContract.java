package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.identity.internal.BackgroundJobs;
import io.vigil.test.MetricSamples;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * identity-service's background work as jobs, on one database shared by two instances: the
 * expired-token purge is one recurring job; a security notification is enqueued in the request's
 * transaction, continues its trace in whichever instance runs it, runs exactly once, survives a
 * restart, and a failing webhook retries with backoff and ends dead, counted.
 */
abstract class BackgroundJobsContract {
    private static final String API = "/api/v1";
    private static final String PROCESS_NOTIFY = "process " + BackgroundJobs.NOTIFY_TASK;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private String url;

    /** A fresh database URL. */
    abstract String databaseUrl();

    void dropDatabase(String url) {}

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
        if (url != null) {
            dropDatabase(url);
        }
    }

    private String url() {
        if (url == null) {
            url = databaseUrl();
        }
        return url;
    }

    private TestService service(UnaryOperator<IdentityConfig.Builder> customize) {
        TestService s = new TestService(url(), b -> customize.apply(b.jobPollInterval(Duration.ofMillis(100))));
        resources.add(s);
        return s;
    }

    private static String register(TestService s, String email) {
        Api.Response r = s.api.post(
                API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Jobs"), null);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    private static void changePassword(TestService s, String email) {
        String token = s.api.login(email, PASSWORD).get("access_token").asString();
        Api.Response r = s.api.send(
                "PUT",
                API + "/users/me/password",
                Api.JSON.writeValueAsString(
                        Map.of("current_password", PASSWORD, "new_password", "another long passphrase 43")),
                "application/json",
                token,
                Map.of());
        assertThat(r.status()).as(r.text()).isBetween(200, 204);
    }

    private static List<SpanData> jobSpans(TestService... services) {
        return Stream.of(services)
                .flatMap(s -> s.spans.getFinishedSpanItems().stream())
                .filter(d -> d.getName().equals(PROCESS_NOTIFY))
                .toList();
    }

    /**
     * The notification task's counter series are scraped at 0 before any notification: one that appeared only with
     * its first increment hid that increment from rate() and increase() — a first dead notification did not alert.
     */
    @Test
    void theNotificationTasksSeriesAreScrapedAtZeroBeforeAnyJob() {
        TestService s = service(b -> b);
        MetricSamples m = MetricSamples.parse(s.management.get("/metrics", null).text());
        Map<String, String> task = Map.of("task", BackgroundJobs.NOTIFY_TASK);
        for (String status : List.of("success", "failure", "retry", "dead")) {
            assertThat(m.require("task_executions_total", with(task, "status", status)))
                    .as(status)
                    .isZero();
        }
        assertThat(m.require("task_retries_total", task)).isZero();
    }

    @Test
    void theRecurringPurgeIsOneJobForAllInstances() throws Exception {
        TestService a = service(b -> b);
        service(b -> b);
        assertThat(a.count("SELECT COUNT(*) FROM scheduled_tasks WHERE task_name = ?", BackgroundJobs.PURGE_TASK))
                .isEqualTo(1);
    }

    @Test
    void aPasswordChangeNotificationContinuesTheRequestsTraceAndRunsOnceAcrossTwoInstances() throws Exception {
        TestService a = service(b -> b);
        TestService b = service(c -> c);
        String email = uniqueEmail();
        String id = register(a, email);
        changePassword(a, email);

        await().atMost(Duration.ofSeconds(30))
                .until(() -> a.count("SELECT COUNT(*) FROM notification_outbox WHERE user_id = ?", id) == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> jobSpans(a, b).size() == 1);
        assertThat(a.count("SELECT COUNT(*) FROM scheduled_tasks WHERE task_name = ?", BackgroundJobs.NOTIFY_TASK))
                .isZero();
        assertThat(a.count(
                        "SELECT COUNT(*) FROM notification_outbox WHERE user_id = ? AND event = 'password_changed'"
                                + " AND request_id IS NOT NULL",
                        id))
                .isEqualTo(1);

        SpanData job = jobSpans(a, b).getFirst();
        assertThat(job.getKind()).isEqualTo(SpanKind.CONSUMER);
        // The parent is a span of the password-change request, exported by the instance that served it.
        SpanData parent = a.spans.getFinishedSpanItems().stream()
                .filter(s -> s.getSpanId().equals(job.getParentSpanId()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(
                        "no parent " + job.getParentSpanId() + " among " + a.spans.getFinishedSpanItems()));
        assertThat(parent.getTraceId()).isEqualTo(job.getTraceId());
        SpanData server = a.spans.getFinishedSpanItems().stream()
                .filter(s -> s.getTraceId().equals(job.getTraceId()) && s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        assertThat(server.getName()).contains("/users/me/password");
        // The job's row is gone (checked above), so no instance can run it a second time.
        // The schedulers' polls are bookkeeping: no one-span root traces of database statements.
        assertThat(Stream.of(a, b).flatMap(s -> s.spans.getFinishedSpanItems().stream()))
                .noneMatch(s -> s.getKind() == SpanKind.CLIENT
                        && !s.getParentSpanContext().isValid()
                        && s.getName().contains("scheduled_tasks"));
    }

    @Test
    void aNotificationQueuedBeforeARestartIsDeliveredAfterItOnce() throws Exception {
        // The first instance never polls again after its start: the job waits in the table.
        TestService before = new TestService(url(), b -> b.jobPollInterval(Duration.ofHours(1)));
        resources.add(before); // closing twice is harmless
        String email = uniqueEmail();
        String id = register(before, email);
        changePassword(before, email);
        assertThat(before.count("SELECT COUNT(*) FROM scheduled_tasks WHERE task_name = ?", BackgroundJobs.NOTIFY_TASK))
                .isEqualTo(1);
        before.close();

        TestService after = service(b -> b);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> after.count("SELECT COUNT(*) FROM notification_outbox WHERE user_id = ?", id) == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> jobSpans(after).size() == 1);
        assertThat(jobSpans(before)).isEmpty();
        assertThat(after.count("SELECT COUNT(*) FROM scheduled_tasks WHERE task_name = ?", BackgroundJobs.NOTIFY_TASK))
                .isZero();
    }

    @Test
    void aFailingWebhookIsRetriedWithBackoffThenDeadAndCounted() throws Exception {
        List<Long> calls = new CopyOnWriteArrayList<>();
        List<String> traceparents = new CopyOnWriteArrayList<>();
        HttpServer webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/hook", exchange -> {
            calls.add(System.nanoTime());
            String tp = exchange.getRequestHeaders().getFirst("traceparent");
            traceparents.add(tp == null ? "" : tp);
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        webhook.start();
        resources.add(() -> webhook.stop(0));
        TestService s = service(b -> b.notifyWebhookUrl(
                        "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook")
                .notifyRetries(Duration.ofMillis(300), 2));
        String email = uniqueEmail();
        String id = register(s, email);
        // The lockout threshold is 3: the third wrong password locks the account.
        for (int i = 0; i < 3; i++) {
            s.api.post(API + "/auth/login", Map.of("email", email, "password", "wrong password!"), null);
        }

        await().atMost(Duration.ofSeconds(30))
                .until(() ->
                        s.count("SELECT COUNT(*) FROM scheduled_tasks WHERE task_name = ?", BackgroundJobs.NOTIFY_TASK)
                                == 0);
        assertThat(calls).hasSize(3); // the first run and two retries
        long firstGap = calls.get(1) - calls.get(0);
        long secondGap = calls.get(2) - calls.get(1);
        assertThat(Duration.ofNanos(firstGap)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(Duration.ofNanos(secondGap)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
        assertThat(traceparents).allSatisfy(tp -> assertThat(tp).startsWith("00-"));
        // Each delivery is a CLIENT span under its job's span, and the webhook's traceparent names that call.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(s.spans.getFinishedSpanItems().stream()
                                .filter(d -> d.getKind() == SpanKind.CLIENT
                                        && d.getName().equals("POST")))
                        .hasSize(3));
        List<SpanData> deliveries = s.spans.getFinishedSpanItems().stream()
                .filter(d -> d.getKind() == SpanKind.CLIENT && d.getName().equals("POST"))
                .toList();
        assertThat(deliveries).allSatisfy(call -> {
            assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(call.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
                    .isEqualTo(500L);
            assertThat(jobSpans(s).stream().map(SpanData::getSpanId)).contains(call.getParentSpanId());
        });
        // Version, trace id and parent id; the flags (sampled, random trace id) are the SDK's.
        assertThat(traceparents.stream().map(tp -> tp.substring(0, tp.lastIndexOf('-'))))
                .containsExactlyInAnyOrderElementsOf(deliveries.stream()
                        .map(call -> "00-" + call.getTraceId() + "-" + call.getSpanId())
                        .toList());
        assertThat(s.count("SELECT COUNT(*) FROM notification_outbox WHERE user_id = ?", id))
                .isZero();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            MetricSamples m =
                    MetricSamples.parse(s.management.get("/metrics", null).text());
            Map<String, String> task = Map.of("task", BackgroundJobs.NOTIFY_TASK);
            assertThat(m.require("task_executions_total", with(task, "status", "retry")))
                    .isEqualTo(2.0);
            assertThat(m.require("task_executions_total", with(task, "status", "dead")))
                    .isEqualTo(1.0);
            assertThat(m.require("task_retries_total", task)).isEqualTo(2.0);
        });
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        Map<String, String> out = new java.util.HashMap<>(labels);
        out.put(key, value);
        return out;
    }
}
