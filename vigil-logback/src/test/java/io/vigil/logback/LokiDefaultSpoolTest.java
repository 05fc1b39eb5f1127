package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The default spool directory ({@code <java.io.tmpdir>/vigil-loki-spool/<service>}) works for every service name
 * and for more than one process of a service on one host: Loki shipping is never off because of either.
 */
class LokiDefaultSpoolTest {
    private static final Path ROOT = Path.of(System.getProperty("java.io.tmpdir"), "vigil-loki-spool");

    private final String service = "spool-test-" + UUID.randomUUID();
    private final List<LokiAppender> appenders = new ArrayList<>();
    private LokiReceiver loki;

    @BeforeEach
    void setUp() throws IOException {
        loki = new LokiReceiver();
    }

    @AfterEach
    void tearDown() throws IOException {
        appenders.forEach(LokiAppender::stop);
        loki.close();
        try (Stream<Path> dirs = Files.exists(ROOT) ? Files.list(ROOT) : Stream.empty()) {
            for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith("spool-test-"))
                    .toList()) {
                try (Stream<Path> files = Files.walk(dir)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }

    private LokiAppender start(String serviceName) {
        LoggerContext context = TestContexts.create();
        LokiAppender appender = new LokiAppender();
        appender.setContext(context);
        appender.setUrl(loki.url().toString());
        appender.setService(serviceName);
        appender.setEnvironment("test");
        appender.setBatchIntervalMillis(100);
        appender.start();
        appenders.add(appender);
        return appender;
    }

    private static void append(LokiAppender appender, String message) {
        LoggerContext context = (LoggerContext) appender.getContext();
        appender.doAppend(new LoggingEvent(
                LokiDefaultSpoolTest.class.getName(),
                context.getLogger("io.example.Spool"),
                Level.INFO,
                message,
                null,
                null));
    }

    @Test
    void aSecondProcessOfTheSameServiceOnTheHostShipsToo() {
        LokiAppender first = start(service);
        LokiAppender second = start(service); // holds the same default directory's lock as another process would

        assertThat(first.startFailure()).isEmpty();
        assertThat(second.startFailure())
                .as("Loki shipping of the second instance")
                .isEmpty();
        assertThat(second.isStarted()).isTrue();
        assertThat(ROOT.resolve(service)).isDirectory();
        assertThat(ROOT.resolve(service + "@2")).isDirectory();

        append(first, "from the first");
        append(second, "from the second");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> loki.entries().stream()
                                .filter(e -> e.line().contains("from the"))
                                .count()
                        == 2);
    }

    @Test
    void aServiceNameTooLongForAFileNameStillGetsASpool() {
        String longName = service + " ✓ " + "x".repeat(300);
        LokiAppender appender = start(longName);

        assertThat(appender.startFailure()).isEmpty();
        append(appender, "long name");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> loki.entries().stream().anyMatch(e -> e.line().contains("long name")));
        assertThat(loki.entries().getFirst().labels()).containsEntry("service", longName);
    }

    @Test
    void twoLongNamesSharingTheirBeginningGetSpoolsOfTheirOwn() {
        String common = service + "-" + "y".repeat(200);
        start(common + "a");
        start(common + "b");

        try (Stream<Path> dirs = Files.list(ROOT)) {
            assertThat(dirs.map(d -> d.getFileName().toString())
                            .filter(n -> n.startsWith(service))
                            .toList())
                    .hasSize(2)
                    .noneMatch(n -> n.contains("@"))
                    .allMatch(n -> n.length() <= 100);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aServiceNamedDotDotDoesNotSpoolIntoTheParentDirectory() throws IOException {
        LokiAppender appender = start("..");

        assertThat(appender.startFailure()).isEmpty();
        assertThat(ROOT.resolve("_..").resolve("lock")).exists();
        appender.stop();
        Files.deleteIfExists(ROOT.resolve("_..").resolve("lock"));
        try (Stream<Path> files = Files.list(ROOT.resolve("_.."))) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(ROOT.resolve("_.."));
    }
}
