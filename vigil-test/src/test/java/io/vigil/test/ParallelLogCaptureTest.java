package io.vigil.test;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.vigil.core.MessageConsumption;
import io.vigil.core.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.slf4j.LoggerFactory;

/**
 * Two tests, each with its own extension, run at the same time (JUnit parallel execution): each
 * captures exactly its own operations' log events, and no appender is added to the JVM's root logger.
 */
@Execution(ExecutionMode.CONCURRENT)
class ParallelLogCaptureTest {
    // Both tests meet here before and after emitting, so their events are interleaved in time; a
    // test that ran alone would time out at the barrier instead of passing vacuously.
    private static final CyclicBarrier BOTH_RUNNING = new CyclicBarrier(2);
    private static final int EVENTS = 50;

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void ordersSeesOnlyItsOwnEvents() throws Exception {
        emitAndAssertOnlyOwn("orders");
    }

    @Test
    void paymentsSeesOnlyItsOwnEvents() throws Exception {
        emitAndAssertOnlyOwn("payments");
    }

    private void emitAndAssertOnlyOwn(String destination) throws Exception {
        assertThat(globalRootAppenders()).noneMatch(name -> name.startsWith("vigil-test"));
        Operation op = MessageConsumption.of(destination);
        BOTH_RUNNING.await(30, TimeUnit.SECONDS);
        for (int i = 0; i < EVENTS; i++) {
            telemetry.operations().run(op, s -> {});
        }
        BOTH_RUNNING.await(30, TimeUnit.SECONDS);

        assertThat(telemetry.logs("consumer"))
                .hasSize(EVENTS)
                .allSatisfy(e -> assertThat(e.message()).isEqualTo("process " + destination + " success"));
        assertThat(telemetry.logs()).hasSize(EVENTS);
        assertThat(telemetry.metrics().value("consumer_messages_consumed_total", java.util.Map.of()))
                .isEqualTo(EVENTS);
    }

    private static List<String> globalRootAppenders() {
        List<String> names = new ArrayList<>();
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext global) {
            Logger root = global.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            root.iteratorForAppenders().forEachRemaining(a -> names.add(String.valueOf(a.getName())));
        }
        return names;
    }
}
