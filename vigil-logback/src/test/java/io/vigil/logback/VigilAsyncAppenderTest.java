package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import io.vigil.logback.internal.LineBatchingOutputStream;
import io.vigil.logback.internal.RecordingOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class VigilAsyncAppenderTest {
    private final LoggerContext context = TestContexts.create();

    /** An appender that blocks until released, like a stdout pipe nobody reads. */
    private static final class Stuck extends AppenderBase<ILoggingEvent> {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch entered = new CountDownLatch(1);
        final List<ILoggingEvent> got = new CopyOnWriteArrayList<>();

        @Override
        protected void append(ILoggingEvent e) {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            got.add(e);
        }
    }

    @Test
    void fullQueueDropsAfterTheBoundCountsAndReportsOnce() throws InterruptedException {
        Stuck stuck = new Stuck();
        stuck.setContext(context);
        stuck.start();
        VigilAsyncAppender async = new VigilAsyncAppender();
        async.setContext(context);
        async.setName("test");
        async.setQueueSize(2);
        async.setMaxBlockMillis(5);
        async.addAppender(stuck);
        async.start();
        Logger log = context.getLogger("t");
        log.addAppender(async);

        log.info("event 0");
        assertThat(stuck.entered.await(5, TimeUnit.SECONDS)).isTrue(); // the worker is now stuck
        long start = System.nanoTime();
        for (int i = 1; i < 20; i++) {
            log.info("event {}", i);
        }
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        stuck.release.countDown();

        // the worker holds one, the queue two: the other 17 are dropped, each after waiting at most 5 ms
        assertThat(async.droppedCount()).isEqualTo(17);
        // The loop ending while the worker is still stuck already proves no call waited for it; the bound only
        // catches waits far past maxBlockMillis, with room for a loaded CI machine (2 s seen at load 20).
        assertThat(elapsedMillis).isLessThan(17 * 5 + 10_000);
        await().atMost(Duration.ofSeconds(5)).until(() -> stuck.got.size() == 4);
        assertThat(stuck.got.get(3).getFormattedMessage())
                .startsWith("17 log events were dropped because the log hand-off queue");
        async.stop();
        assertThat(stuck.got).hasSize(4); // reported once, not per drop
    }

    @Test
    void stopDeliversWhatWasQueued() {
        List<ILoggingEvent> got = new CopyOnWriteArrayList<>();
        AppenderBase<ILoggingEvent> sink = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                got.add(e);
            }
        };
        sink.setContext(context);
        sink.start();
        VigilAsyncAppender async = new VigilAsyncAppender();
        async.setContext(context);
        async.addAppender(sink);
        async.start();
        Logger log = context.getLogger("t");
        log.addAppender(async);

        for (int i = 0; i < 1000; i++) {
            log.info("event {}", i);
        }
        async.stop();

        assertThat(got).hasSize(1000);
        assertThat(got.get(999).getFormattedMessage()).isEqualTo("event 999");
        assertThat(async.droppedCount()).isZero();
    }

    @Test
    void aBatchOfLinesReachesAStreamAppenderInFewWritesEachLineWhole() throws Exception {
        RecordingOutputStream target = new RecordingOutputStream();
        List<String> writes = target.writes;
        OutputStreamAppender<ILoggingEvent> out = new OutputStreamAppender<>();
        out.setContext(context);
        out.setOutputStream(LineBatchingOutputStream.of(target));
        out.setImmediateFlush(false);
        ch.qos.logback.classic.encoder.PatternLayoutEncoder encoder =
                new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        out.setEncoder(encoder);
        out.start();
        VigilAsyncAppender async = new VigilAsyncAppender();
        async.setContext(context);
        async.setLingerMillis(50); // events gather while the worker lingers after the first one
        async.addAppender(out);
        async.start();
        Logger log = context.getLogger("t");
        log.addAppender(async);

        log.info("first");
        // Flushed after its batch, without waiting for stop(): the line is out while the service runs.
        await().atMost(Duration.ofSeconds(5))
                .until(() -> String.join("", writes).equals("first\n"));
        for (int i = 0; i < 200; i++) {
            log.info("event {}", i);
        }
        async.stop();

        String all = String.join("", writes);
        StringBuilder expected = new StringBuilder("first\n");
        for (int i = 0; i < 200; i++) {
            expected.append("event ").append(i).append('\n');
        }
        assertThat(all).isEqualTo(expected.toString());
        // 201 lines, written in batches: one write per batch or per 4 KiB, never one per line
        assertThat(writes.size()).isLessThan(20);
        assertThat(writes).allSatisfy(w -> assertThat(w).endsWith("\n"));
    }
}
