package io.vigil.logback.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failure inside the shipper's loop that is not a push (here: the spool cannot be read) is counted and reported. */
class LokiShipperFailureTest {
    @TempDir
    Path dir;

    @Test
    void aSpoolThatCannotBeReadIsCountedAndWarnedOncePerOutage() throws Exception {
        LoggerContext context = new LoggerContext();
        context.start();
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        Logger log = context.getLogger(LokiShipper.class);
        log.addAppender(events);

        DiskSpool spool = new DiskSpool(dir, 1 << 20);
        byte[] line = "{\"message\":\"hello\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(spool.append(1_000_000L, (byte) 2, line, 0, line.length)).isTrue();
        // The segment disappears under the shipper (an operator's clean-up): every read fails.
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".spool")).toList()) {
                Files.delete(p);
            }
        }
        Map<String, String> stream = Map.of("service", "orders");
        LokiShipper shipper = new LokiShipper(
                spool,
                URI.create("http://127.0.0.1:9"),
                List.of(stream, stream, stream, stream, stream),
                Duration.ofMillis(10),
                Duration.ofMillis(200),
                100,
                1 << 16,
                Duration.ofMillis(20),
                log);
        try {
            shipper.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> shipper.failedPushes() >= 3);
            assertThat(shipper.failing()).isTrue();
        } finally {
            shipper.close();
            spool.close();
        }
        List<ILoggingEvent> warnings = events.list.stream()
                .filter(e ->
                        e.getLevel() == Level.WARN && e.getFormattedMessage().contains("is failing"))
                .toList();
        assertThat(warnings).as("one warning for the whole outage").hasSize(1);
        assertThat(warnings.getFirst().getFormattedMessage()).contains("NoSuchFileException");
    }
}
