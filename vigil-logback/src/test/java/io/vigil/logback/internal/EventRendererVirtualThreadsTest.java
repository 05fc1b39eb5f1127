package io.vigil.logback.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import io.vigil.core.Scrubber;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

/**
 * A virtual thread lives for one request, so a per-thread renderer state (buffers and caches) would be made again
 * for every line it renders: virtual threads borrow shared states instead, as many as render at once.
 */
class EventRendererVirtualThreadsTest {
    private static final int LINES = 5_000;
    private static final int AT_ONCE = 4;

    @Test
    void virtualThreadsShareAsManyStatesAsRenderAtOnceAndEachGetsItsOwnLine() throws Exception {
        EventRenderer renderer = new EventRenderer(Scrubber.defaults(), "svc", "test", "host");
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        ch.qos.logback.classic.Logger logger = context.getLogger("vt");
        Semaphore atOnce = new Semaphore(AT_ONCE);
        List<Future<String>> lines = new ArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < LINES; i++) {
                String message = "line " + i;
                lines.add(executor.submit(() -> {
                    atOnce.acquire();
                    try {
                        LoggingEvent event =
                                new LoggingEvent(Logger.class.getName(), logger, Level.INFO, message, null, null);
                        boolean json = message.hashCode() % 2 == 0;
                        return json ? new String(renderer.json(event), StandardCharsets.UTF_8) : renderer.text(event);
                    } finally {
                        atOnce.release();
                    }
                }));
            }
        }
        for (int i = 0; i < LINES; i++) {
            String line = lines.get(i).get();
            // Each line is its own event's, whole: no buffer was shared by two threads at once.
            assertThat(line)
                    .containsAnyOf("\"message\":\"line " + i + "\"", " - line " + i + "\n")
                    .endsWith("\n");
            assertThat(line.indexOf("line ")).isEqualTo(line.lastIndexOf("line "));
        }
        assertThat(renderer.borrowedStatesMade()).isBetween(1L, (long) AT_ONCE);
        assertThat(renderer.sharedStatesHeld()).isEqualTo((int) renderer.borrowedStatesMade());
    }

    @Test
    void platformThreadsKeepTheirOwnState() {
        EventRenderer renderer = new EventRenderer(Scrubber.defaults(), "svc", "test", "host");
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        LoggingEvent event =
                new LoggingEvent(Logger.class.getName(), context.getLogger("pt"), Level.INFO, "hello", null, null);
        for (int i = 0; i < 100; i++) {
            renderer.json(event);
        }
        assertThat(renderer.borrowedStatesMade()).isZero();
    }

    private static final class Logger {}
}
