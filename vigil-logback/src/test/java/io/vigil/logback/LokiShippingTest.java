package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LokiShippingTest {
    private final LoggerContext context = TestContexts.create();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private LokiReceiver loki;
    private VigilLogging logging;

    @TempDir
    Path spool;

    @BeforeEach
    void setUp() throws Exception {
        loki = new LokiReceiver();
    }

    @AfterEach
    void tearDown() {
        if (logging != null) {
            logging.close();
        }
        loki.close();
    }

    private VigilConfig config(String minLevel) {
        return VigilConfig.builder()
                .serviceName("orders")
                .environment("test")
                .metricsEnabled(false)
                .lokiEnabled(true)
                .lokiUrl(loki.url())
                .lokiLabels(Map.of("team", "identity"))
                .lokiBatchInterval(Duration.ofMillis(200))
                .lokiTimeout(Duration.ofSeconds(2))
                .minLogLevelForLoki(minLevel)
                .build();
    }

    private Logger install(VigilConfig config, long spoolMaxBytes) {
        logging = VigilLogging.builder(config)
                .loggerContext(context)
                .output(stdout)
                .spoolDirectory(spool)
                .spoolMaxBytes(spoolMaxBytes)
                .lokiRetryMaxBackoff(Duration.ofMillis(200))
                .install();
        return context.getLogger("io.example.Orders");
    }

    private static void logLine(Logger log, int seq) {
        var b = seq % 10 == 9 ? log.atWarn() : log.atInfo();
        b.addKeyValue("seq", seq).addKeyValue("event_type", "test").log("line {} for jane.doe@example.com", seq);
    }

    /** Lines the test logged (Vigil's own reports about the outage are shipped too). */
    private List<LokiReceiver.Entry> testEntries() {
        return loki.entries().stream()
                .filter(e -> Lines.parseLine(e.line()).get("logger").asText().equals("io.example.Orders"))
                .toList();
    }

    private static int seq(LokiReceiver.Entry e) {
        return Lines.parseLine(e.line()).get("seq").asInt();
    }

    @Test
    void pushBodyCarriesStreamLabelsLinesAndTimestampsInOrder() {
        Logger log = install(config("INFO"), 16L << 20);
        for (int i = 0; i < 100; i++) {
            logLine(log, i);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> testEntries().size() == 100);

        assertThat(loki.contentTypes()).allMatch("application/x-protobuf"::equals);
        Map<Map<String, String>, List<LokiReceiver.Entry>> streams =
                testEntries().stream().collect(Collectors.groupingBy(LokiReceiver.Entry::labels));
        assertThat(streams.keySet())
                .containsExactlyInAnyOrder(
                        Map.of("team", "identity", "service", "orders", "environment", "test", "level", "INFO"),
                        Map.of("team", "identity", "service", "orders", "environment", "test", "level", "WARN"));
        for (List<LokiReceiver.Entry> stream : streams.values()) {
            List<Integer> seqs = stream.stream().map(LokiShippingTest::seq).toList();
            assertThat(seqs).isSorted();
            List<Long> timestamps =
                    stream.stream().map(LokiReceiver.Entry::epochNanos).toList();
            assertThat(timestamps).isSorted();
        }
        LokiReceiver.Entry first =
                testEntries().stream().filter(e -> seq(e) == 0).findFirst().orElseThrow();
        ObjectNode line = Lines.parseLine(first.line());
        assertThat(line.get("message").asText()).isEqualTo("line 0 for j***@example.com");
        assertThat(line.get("service").asText()).isEqualTo("orders");
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        long lineMillis =
                java.time.Instant.parse(line.get("timestamp").asText()).toEpochMilli();
        assertThat(first.epochNanos() / 1_000_000).isEqualTo(lineMillis);
        assertThat(first.line()).doesNotContain("\n");
    }

    @Test
    void theLokiPushIsReportedWhereItIsInstalled() {
        // vigil-core's summary no longer names Loki (it cannot know whether vigil-logback installs it): this line does.
        install(config("WARN"), 1 << 20);
        logging.close(); // drains the stdout hand-off
        assertThat(stdout.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("Vigil logging: loki " + loki.url() + " >= WARN");
    }

    @Test
    void onlyEventsAtOrAboveTheMinimumLevelAreShipped() {
        Logger log = install(config("WARN"), 16L << 20);
        for (int i = 0; i < 50; i++) {
            logLine(log, i);
        }
        logging.close(); // drains and pushes what is pending

        assertThat(testEntries())
                .hasSize(5)
                .allMatch(e -> e.labels().get("level").equals("WARN"));
        // Every line on stdout, and the report of the Loki push.
        assertThat(Lines.parse(stdout))
                .hasSize(51)
                .filteredOn(l -> l.get("logger").asText().equals("io.example.Orders"))
                .hasSize(50);
    }

    @Test
    void outageWithRestartLosesNothingAndDeliversExactlyOnceInOrder() throws Exception {
        loki.down();
        int perRun = 1500;
        Logger log = install(config("INFO"), 64L << 20);
        for (int i = 0; i < perRun; i++) {
            logLine(log, i);
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> logging.loki().orElseThrow().failedPushCount() > 0);
        logging.close(); // the service stops mid-outage; the spool keeps everything
        long spooledAtRestart = spoolBytes();

        log = install(config("INFO"), 64L << 20); // restarted, same spool, Loki still down
        for (int i = perRun; i < 2 * perRun; i++) {
            logLine(log, i);
        }
        LokiAppender appender = logging.loki().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> appender.failedPushCount() > 0);
        long spooledPeak = appender.spoolBytes();
        loki.up();

        await().atMost(Duration.ofSeconds(30)).until(() -> testEntries().size() >= 2 * perRun);
        logging.close();

        List<LokiReceiver.Entry> received = testEntries();
        List<Integer> all =
                received.stream().map(LokiShippingTest::seq).sorted().toList();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 2 * perRun; i++) {
            expected.add(i);
        }
        assertThat(all).as("every line exactly once").isEqualTo(expected);
        Map<String, List<Integer>> byLevel = received.stream()
                .collect(Collectors.groupingBy(
                        e -> e.labels().get("level"), Collectors.mapping(LokiShippingTest::seq, Collectors.toList())));
        byLevel.values()
                .forEach(seqs -> assertThat(seqs).as("in order per stream").isSorted());
        assertThat(appender.droppedCount()).isZero();
        System.out.printf(
                "Loki outage: lines written=%d delivered=%d dropped=%d; spool at restart=%d bytes, peak=%d bytes"
                        + " (bound %d), pushes received=%d%n",
                2 * perRun,
                received.size(),
                appender.droppedCount(),
                spooledAtRestart,
                spooledPeak,
                64L << 20,
                loki.pushes());
    }

    private long spoolBytes() throws Exception {
        try (var files = java.nio.file.Files.list(spool)) {
            return files.filter(p -> p.toString().endsWith(".spool"))
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    @Test
    void pastTheSpoolBoundLinesAreDroppedCountedAndReportedOnce() throws Exception {
        loki.down();
        long bound = 64 * 1024;
        VigilConfig config = config("INFO").toBuilder().metricsEnabled(true).build();
        try (Vigil vigil = Vigil.builder().config(config).runtimeMetrics(false).build()) {
            Logger log = install(config, bound);
            logging.connect(vigil.openTelemetry());
            int written = 2000;
            for (int i = 0; i < written; i++) {
                logLine(log, i);
            }
            LokiAppender appender = logging.loki().orElseThrow();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> appender.droppedCount() > 0
                            && logging.stdoutHandoff().queued() == 0);
            String metrics = vigil.metricsEndpoint().scrape("text/plain").text();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                            "vigil_log_spool_dropped_total\\{reason=\"spool_full\"} ([0-9.]+)")
                    .matcher(metrics);
            assertThat(m.find()).as(metrics).isTrue();
            long droppedMetric = (long) Double.parseDouble(m.group(1));
            assertThat(droppedMetric).isPositive();
            assertThat(metrics).containsPattern("vigil_log_spool_size_bytes [0-9.]+");
            assertThat(appender.spoolBytes()).isLessThanOrEqualTo(bound);

            loki.up();
            await().atMost(Duration.ofSeconds(30)).until(() -> appender.pendingBytes() == 0);
            logging.close();
            long dropped = appender.droppedCount();
            assertThat(dropped).isGreaterThanOrEqualTo(droppedMetric);

            List<Integer> delivered =
                    testEntries().stream().map(LokiShippingTest::seq).sorted().toList();
            // What fitted is the oldest lines, each exactly once; the rest was counted.
            assertThat(delivered).isNotEmpty();
            List<Integer> prefix = new ArrayList<>();
            for (int i = 0; i < delivered.size(); i++) {
                prefix.add(i);
            }
            assertThat(delivered).isEqualTo(prefix);
            // dropped also counts Vigil's own "spool is full" report, which met a full spool too
            assertThat(dropped - (written - delivered.size())).isBetween(0L, 2L);
            String out = stdout.toString(StandardCharsets.UTF_8);
            assertThat(out.split("Loki spool .* is full", -1)).hasSize(2); // reported once
            System.out.printf(
                    "Loki spool bound: lines written=%d delivered=%d dropped=%d (bound %d bytes)%n",
                    written, delivered.size(), dropped, bound);
        }
    }

    @Test
    void anUnauthorizedPushIsRetriedLikeAnOutageNotDroppedBatchByBatch() throws Exception {
        // A Loki behind authentication (or a multi-tenant one without X-Scope-OrgID) answers 401/403 to every push: a
        // setting to fix, not a bad batch. Each batch was dropped with a WARN of its own, the WARN shipped in the next
        // batch and dropped in turn, forever.
        loki.refuseWith(401);
        Logger log = install(config("INFO"), 16L << 20);
        for (int i = 0; i < 20; i++) {
            logLine(log, i);
        }
        LokiAppender appender = logging.loki().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> appender.failedPushCount() >= 3);
        assertThat(appender.rejectedCount()).isZero();

        loki.refuseWith(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> testEntries().size() == 20);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> stdout.toString(StandardCharsets.UTF_8).contains("recovered after"));
        assertThat(testEntries().stream().map(LokiShippingTest::seq)).containsExactlyInAnyOrderElementsOf(range(20));
        assertThat(appender.rejectedCount()).isZero();
        logging.close();
        List<ObjectNode> lines = Lines.parse(stdout).stream()
                .filter(l -> l.get("logger").asText().startsWith("io.vigil"))
                .toList();
        assertThat(lines)
                .filteredOn(l -> l.get("message").asText().contains("is failing"))
                .singleElement()
                .satisfies(l -> assertThat(l.get("message").asText()).contains("HTTP 401"));
        assertThat(lines).noneSatisfy(l -> assertThat(l.get("message").asText()).contains("rejected"));
    }

    private static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void anOutageIsCountedWarnedOnceAndItsRecoveryReportedOnce() throws Exception {
        loki.down();
        VigilConfig config = config("INFO").toBuilder().metricsEnabled(true).build();
        try (Vigil vigil = Vigil.builder().config(config).runtimeMetrics(false).build()) {
            Logger log = install(config, 16L << 20);
            logging.connect(vigil.openTelemetry());
            for (int i = 0; i < 20; i++) {
                logLine(log, i);
            }
            LokiAppender appender = logging.loki().orElseThrow();
            await().atMost(Duration.ofSeconds(10)).until(() -> appender.failedPushCount() >= 3);
            String during = vigil.metricsEndpoint().scrape("text/plain").text();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("vigil_log_loki_push_failures_total ([0-9.]+)")
                    .matcher(during);
            assertThat(m.find()).as(during).isTrue();
            assertThat(Double.parseDouble(m.group(1))).isGreaterThanOrEqualTo(3);

            loki.up();
            await().atMost(Duration.ofSeconds(30)).until(() -> testEntries().size() == 20);
            // The shipper reports the recovery after Loki has answered the push that brought the entries: wait for
            // the line itself, or close() may stop the appenders between the two.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> stdout.toString(StandardCharsets.UTF_8).contains("recovered after"));
            logging.close(); // drains stdout
            List<ObjectNode> lines = Lines.parse(stdout).stream()
                    .filter(l -> l.get("logger").asText().startsWith("io.vigil"))
                    .toList();
            assertThat(lines)
                    .filteredOn(l -> l.get("message").asText().contains("is failing"))
                    .as("one warning for the whole outage")
                    .singleElement()
                    .satisfies(l -> assertThat(l.get("level").asText()).isEqualTo("WARN"));
            assertThat(lines)
                    .filteredOn(l -> l.get("message").asText().contains("recovered after"))
                    .as("one line on recovery")
                    .singleElement()
                    .satisfies(l -> assertThat(l.get("level").asText()).isEqualTo("INFO"));
        }
    }
}
