package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The signal handler, and the sequence around it, with the process's exit and halt recorded instead of done. SIGWINCH
 * stands in for SIGTERM: its default is to be ignored, so a handler that was not installed fails the test rather than
 * ending the test JVM.
 */
class OrderlyShutdownTest {
    private final List<String> steps = new CopyOnWriteArrayList<>();

    @Test
    void onSignalRunsTheActionWhenTheSignalArrives() throws Exception {
        CountDownLatch handled = new CountDownLatch(1);
        OrderlyShutdown.onSignal("WINCH", handled::countDown);
        raise("WINCH");
        assertThat(handled.await(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aReservedOrUnknownSignalIsAnIllegalArgumentException() {
        // SIGSEGV is the JVM's own (as SIGTERM is under -Xrs).
        assertThatThrownBy(() -> OrderlyShutdown.onSignal("SEGV", () -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SEGV");
        assertThatThrownBy(() -> OrderlyShutdown.onSignal("NO-SUCH-SIGNAL", () -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NO-SUCH-SIGNAL");
    }

    @Test
    void theSignalRequestsTheStopWhichRunsOnTheWaitingThreadThenExitsZero() throws Exception {
        AtomicInteger exit = new AtomicInteger(-1);
        AtomicInteger halt = new AtomicInteger(-1);
        OrderlyShutdown shutdown = OrderlyShutdown.listen(
                        new OrderlyShutdown(
                                "test",
                                code -> {
                                    steps.add("exit " + code);
                                    exit.set(code);
                                },
                                halt::set),
                        // SEGV cannot be handled: logged, not thrown; the other signal still is.
                        List.of("SEGV", "WINCH"))
                .stopWith(() -> steps.add("stop on " + Thread.currentThread().getName()));
        Thread waiting = Thread.ofPlatform().name("waiting").start(() -> shutdown.awaitThenExit(Duration.ofHours(1)));
        assertThat(waiting.join(Duration.ofMillis(200)))
                .as("waits for the request")
                .isFalse();
        assertThat(steps).isEmpty();

        raise("WINCH");

        assertThat(waiting.join(Duration.ofSeconds(30))).isTrue();
        assertThat(steps).containsExactly("stop on waiting", "exit 0");
        assertThat(halt.get()).isEqualTo(-1);
        // The shutdown hook (and any second caller) finds it stopped.
        assertThat(shutdown.stop()).isFalse();
        assertThat(steps).hasSize(2);
    }

    @Test
    void aStopThatRanAlreadyDoesNotRunAgain() {
        AtomicInteger runs = new AtomicInteger();
        OrderlyShutdown shutdown = new OrderlyShutdown("test", code -> {}, code -> {}).stopWith(runs::incrementAndGet);
        assertThat(shutdown.stop()).isTrue();
        shutdown.request();
        shutdown.awaitThenExit();
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    void aStopPastItsBoundHaltsWithOne() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger halt = new AtomicInteger(-1);
        AtomicInteger exit = new AtomicInteger(-1);
        OrderlyShutdown shutdown = new OrderlyShutdown("test", exit::set, halt::set).stopWith(() -> {
            try {
                release.await(); // a step that hangs
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        shutdown.request();
        Thread waiting = Thread.ofPlatform().start(() -> shutdown.awaitThenExit(Duration.ofMillis(100)));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> halt.get() == 1);
            assertThat(exit.get()).isEqualTo(-1);
        } finally {
            release.countDown();
            waiting.join(Duration.ofSeconds(30));
        }
    }

    @Test
    void aStopRequestedBeforeTheStopIsGivenIsHonouredOnceItIs() throws Exception {
        AtomicInteger exit = new AtomicInteger(-1);
        OrderlyShutdown shutdown =
                OrderlyShutdown.listen(new OrderlyShutdown("test", exit::set, code -> {}), List.of("WINCH"));
        raise("WINCH"); // while "starting": nothing to stop yet
        assertThat(shutdown.stop()).as("no stop given yet").isFalse();
        assertThatThrownBy(shutdown::awaitThenExit).isInstanceOf(IllegalStateException.class);

        shutdown.stopWith(() -> steps.add("stopped"));
        Thread waiting = Thread.ofPlatform().start(shutdown::awaitThenExit);

        assertThat(waiting.join(Duration.ofSeconds(30)))
                .as("the earlier request is kept")
                .isTrue();
        assertThat(steps).containsExactly("stopped");
        assertThat(exit.get()).isZero();
        assertThatThrownBy(() -> shutdown.stopWith(() -> {})).isInstanceOf(IllegalStateException.class);
    }

    /** {@code sun.misc.Signal.raise(new Signal(name))}, reflectively (as OrderlyShutdown handles it). */
    private static void raise(String name) throws ReflectiveOperationException {
        Class<?> signal = Class.forName("sun.misc.Signal");
        signal.getMethod("raise", signal)
                .invoke(null, signal.getConstructor(String.class).newInstance(name));
    }
}
