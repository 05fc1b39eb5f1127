package io.vigil.conventions.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.vigil.core.ContextPropagation;
import io.vigil.test.VigilExtension;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** Background work carries the request's trace and log context, and pooled threads are left clean. */
class ContextPropagationTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void virtualThreadTasksRunInTheSubmittersTraceWithItsMdc() throws Exception {
        try (ExecutorService pool = ContextPropagation.newVirtualThreadPerTaskExecutor()) {
            MDC.put("request_id", "req-1");
            try {
                telemetry
                        .operations()
                        .run(
                                UserOperation.of("create", "create_user"),
                                op -> pool.submit(() -> {
                                            LoggerFactory.getLogger("background")
                                                    .info("sending welcome mail");
                                        })
                                        .get());
            } finally {
                MDC.clear();
            }
        }
        var span = telemetry.span("user.create.create_user");
        var background = telemetry.logs().stream()
                .filter(e -> e.logger().equals("background"))
                .findFirst()
                .orElseThrow();
        assertThat(background.traceId()).isEqualTo(span.getTraceId());
        assertThat(background.mdc()).containsEntry("request_id", "req-1");
    }

    @Test
    void pooledThreadsAreClearedAfterEachTask() throws Exception {
        ExecutorService pool = ContextPropagation.wrap(Executors.newSingleThreadExecutor());
        try {
            MDC.put("request_id", "req-2");
            try {
                telemetry
                        .operations()
                        .run(
                                UserOperation.of("get", "get_user"),
                                op -> pool.submit(() -> {}).get());
            } finally {
                MDC.clear();
            }
            AtomicReference<Map<String, String>> leftover = new AtomicReference<>();
            AtomicReference<Span> leftoverSpan = new AtomicReference<>();
            // The same pooled thread, used by a task submitted outside any request.
            pool.submit(() -> {
                        leftover.set(MDC.getCopyOfContextMap());
                        leftoverSpan.set(Span.current());
                    })
                    .get();
            assertThat(leftover.get()).isNullOrEmpty();
            assertThat(leftoverSpan.get().getSpanContext().isValid()).isFalse();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void scheduledTasksCarryTheContextOfScheduling() throws Exception {
        ScheduledExecutorService scheduler = ContextPropagation.wrap(Executors.newSingleThreadScheduledExecutor());
        try {
            AtomicReference<String> traceInTask = new AtomicReference<>();
            telemetry
                    .operations()
                    .run(
                            SecurityEvent.of("account_locked", "high"),
                            op -> scheduler
                                    .schedule(
                                            () -> traceInTask.set(Span.current()
                                                    .getSpanContext()
                                                    .getTraceId()),
                                            1,
                                            TimeUnit.MILLISECONDS)
                                    .get());
            assertThat(traceInTask.get())
                    .isEqualTo(telemetry.span("security.account_locked").getTraceId());
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void backgroundTasksGetTheirOwnTaskContext() {
        ContextPropagation.runTask(
                "purge_expired_tokens", () -> LoggerFactory.getLogger("jobs").info("purging"));
        var event = telemetry.logs().stream()
                .filter(e -> e.logger().equals("jobs"))
                .findFirst()
                .orElseThrow();
        assertThat(event.mdc())
                .containsEntry("task_name", "purge_expired_tokens")
                .containsKey("task_id");
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    }
}
