package io.vigil.core;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vigil.core.internal.ContextExecutorService;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.MDC;

/**
 * Carries a request's trace context and log context (MDC: {@code request_id}, {@code user_id}, …)
 * into background work, and clears them when the work is done so pooled threads never leak one
 * request's context into the next.
 *
 * <pre>{@code
 * ExecutorService pool = ContextPropagation.wrap(Executors.newFixedThreadPool(4));
 * pool.submit(() -> log.info("runs in the submitting request's trace, with its request_id"));
 * ContextPropagation.runTask("purge_expired_tokens", this::purge); // task_id, task_name in the MDC
 * }</pre>
 */
public final class ContextPropagation {
    private ContextPropagation() {}

    /** {@code task} runs with the trace context and MDC current now, whichever thread runs it. */
    public static Runnable wrap(Runnable task) {
        Objects.requireNonNull(task, "task");
        Context context = Context.current();
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        return () -> {
            Map<String, String> previous = MDC.getCopyOfContextMap();
            setMdc(mdc);
            try (Scope ignored = context.makeCurrent()) {
                task.run();
            } finally {
                setMdc(previous);
            }
        };
    }

    /** {@code task} runs with the trace context and MDC current now, whichever thread runs it. */
    public static <T> Callable<T> wrap(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        Context context = Context.current();
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        return () -> {
            Map<String, String> previous = MDC.getCopyOfContextMap();
            setMdc(mdc);
            try (Scope ignored = context.makeCurrent()) {
                return task.call();
            } finally {
                setMdc(previous);
            }
        };
    }

    /** An executor whose tasks carry the submitter's context. */
    public static Executor wrap(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return task -> executor.execute(wrap(task));
    }

    /** An executor service whose tasks carry the submitter's context. */
    public static ExecutorService wrap(ExecutorService executor) {
        return new ContextExecutorService(executor);
    }

    /**
     * A scheduled executor whose tasks carry the context current when they were scheduled (for a
     * periodic task: every run).
     */
    public static ScheduledExecutorService wrap(ScheduledExecutorService executor) {
        return new ContextExecutorService.Scheduled(executor);
    }

    /** A virtual-thread-per-task executor whose tasks carry the submitter's context. */
    public static ExecutorService newVirtualThreadPerTaskExecutor() {
        return wrap(Executors.newVirtualThreadPerTaskExecutor());
    }

    /**
     * Runs a background task with its own log context — {@code task_name} and a fresh {@code
     * task_id} in the MDC, on top of whatever context was propagated — and clears it afterwards.
     */
    public static void runTask(String taskName, Runnable body) {
        Objects.requireNonNull(taskName, "taskName");
        Map<String, String> previous = MDC.getCopyOfContextMap();
        MDC.put("task_name", taskName);
        MDC.put("task_id", UUID.randomUUID().toString());
        try {
            body.run();
        } finally {
            setMdc(previous);
        }
    }

    private static void setMdc(Map<String, String> mdc) {
        if (mdc == null || mdc.isEmpty()) {
            MDC.clear();
        } else {
            MDC.setContextMap(mdc);
        }
    }
}
