package io.vigil.http.javalin;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a service's process stops, as Vigil's services stop theirs: SIGTERM (an orchestrator's stop) and SIGINT
 * (Ctrl-C) request an orderly stop, which runs on the thread waiting in {@link #awaitThenExit}, after which the
 * process exits 0 (a requested stop is a success; left to the JVM, SIGTERM would exit 143). A shutdown hook runs the
 * same stop for any other way out (System.exit elsewhere, SIGHUP, a signal that could not be handled), and the stop
 * runs once, whichever asks first.
 *
 * <p>Listen first, before anything logs: a SIGTERM while the service is still starting would otherwise end the
 * process with 143 and no hook at all, losing the start's last log lines still in the hand-off. A stop requested
 * while starting is honoured once the start is done:
 *
 * <pre>{@code
 * OrderlyShutdown shutdown = OrderlyShutdown.listen("my-service");
 * // … start telemetry, logging, the service …
 * shutdown.stopWith(() -> {
 *     service.close(); // readiness 503, stop accepting, drain
 *     logging.close();
 *     vigil.close();
 * }).awaitThenExit();
 * }</pre>
 */
public final class OrderlyShutdown {
    private static final Logger log = LoggerFactory.getLogger(OrderlyShutdown.class);
    private static final List<String> STOP_SIGNALS = List.of("TERM", "INT");

    private final String name;
    private final IntConsumer exit;
    private final IntConsumer halt;
    private final CountDownLatch requested = new CountDownLatch(1);
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final List<String> unhandled = new ArrayList<>();
    private volatile Runnable stop;

    OrderlyShutdown(String name, IntConsumer exit, IntConsumer halt) {
        this.name = Objects.requireNonNull(name, "name");
        this.exit = exit;
        this.halt = halt;
    }

    /**
     * Handles SIGTERM and SIGINT from now on by requesting the stop; {@link #stopWith} says what the stop is, once
     * there is something to stop. A signal that cannot be handled (reserved with {@code -Xrs}) is left to the JVM,
     * whose shutdown hooks still stop in order; that is logged at DEBUG once the stop is known (logging is set up by
     * then).
     *
     * @param name the process's short name, for the threads' names and the line of {@link #awaitThenExit(Duration)}
     * @return the shutdown, to be given its stop
     */
    public static OrderlyShutdown listen(String name) {
        return listen(new OrderlyShutdown(name, System::exit, Runtime.getRuntime()::halt), STOP_SIGNALS);
    }

    /** {@link #listen(String)} and {@link #stopWith(Runnable)} at once, for a process that has nothing to start first. */
    public static OrderlyShutdown install(String name, Runnable stop) {
        return listen(name).stopWith(stop);
    }

    static OrderlyShutdown listen(OrderlyShutdown shutdown, List<String> signals) {
        for (String signal : signals) {
            try {
                onSignal(signal, shutdown::request);
            } catch (IllegalArgumentException e) {
                // Reserved (-Xrs, or ignored by the parent): the shutdown hook still stops in order.
                shutdown.unhandled.add("SIG" + signal + " not handled: " + e.getMessage());
            }
        }
        return shutdown;
    }

    /**
     * The orderly stop: every step, in order; it runs once. Adds the shutdown hook (thread {@code name-shutdown}) that
     * runs it on any other way out.
     *
     * @throws IllegalStateException when the stop was given already
     */
    public OrderlyShutdown stopWith(Runnable stop) {
        Objects.requireNonNull(stop, "stop");
        synchronized (this) {
            if (this.stop != null) {
                throw new IllegalStateException("the stop of " + name + " is given already");
            }
            this.stop = stop;
        }
        unhandled.forEach(log::debug);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, name + "-shutdown"));
        if (requested.getCount() == 0) {
            log.info("Shutdown: requested while starting; stopping now");
        }
        return this;
    }

    /** Requests the stop, as SIGTERM does: {@link #awaitThenExit} goes on. */
    public void request() {
        requested.countDown();
    }

    /**
     * Runs the stop unless it ran already (or is running), or none was given yet.
     *
     * @return whether this call ran it
     */
    public boolean stop() {
        Runnable s = stop;
        if (s == null || !stopped.compareAndSet(false, true)) {
            return false;
        }
        s.run();
        return true;
    }

    /** {@link #awaitThenExit(Duration)} without a bound on the stop's time. */
    public void awaitThenExit() {
        awaitThenExit(null);
    }

    /**
     * Waits for the stop to be requested, runs it on this thread, then exits the process with status 0. An interrupt
     * of the wait counts as the request.
     *
     * @param bound at most this long for the whole stop (each step should be bounded on its own; this bounds their
     *     sum, should one hang regardless): past it, one line on stderr and the process halts with status 1; {@code
     *     null} for no bound
     * @throws IllegalStateException when no stop was given ({@link #stopWith})
     */
    public void awaitThenExit(Duration bound) {
        if (stop == null) {
            throw new IllegalStateException("no stop given for " + name + ": call stopWith first");
        }
        try {
            requested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (bound != null) {
            // A daemon that outlives the stop on purpose: System.exit runs the other shutdown hooks, which it bounds
            // too.
            Thread.ofPlatform().daemon().name(name + "-stop-bound").start(() -> {
                try {
                    Thread.sleep(bound);
                } catch (InterruptedException e) {
                    return;
                }
                System.err.println(
                        name + ": the orderly stop took longer than " + bound.toSeconds() + " s; exiting without it");
                halt.accept(1);
            });
        }
        stop();
        exit.accept(0);
    }

    /**
     * {@code sun.misc.Signal.handle(new Signal(name), s -> action.run())}, looked up at run time: sun.misc.Signal
     * (module jdk.unsupported) is the JDK's only way to handle SIGTERM, and javac's "internal proprietary API" warning
     * on a direct reference cannot be suppressed, while the build compiles with -Werror. It replaces the signal's
     * handler (for TERM, INT and HUP: the JVM's, which runs the shutdown hooks).
     *
     * @param name the signal's name without {@code SIG}, e.g. {@code TERM}
     * @param action what the signal does; it runs on the JVM's signal dispatcher thread
     * @throws IllegalArgumentException when the signal is unknown or reserved (e.g. {@code SEGV}, or {@code TERM}
     *     under {@code -Xrs})
     */
    public static void onSignal(String name, Runnable action) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(action, "action");
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(
                    OrderlyShutdown.class.getClassLoader(),
                    new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            action.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "SIG" + name + " handler";
                    });
            signal.getMethod("handle", signal, handlerType)
                    .invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException reserved) {
                throw reserved;
            }
            throw new IllegalArgumentException("SIG" + name + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("sun.misc.Signal unavailable: " + e, e);
        }
    }
}
