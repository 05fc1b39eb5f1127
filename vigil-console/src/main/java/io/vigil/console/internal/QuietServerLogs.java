package io.vigil.console.internal;

import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * Keeps what Javalin and Jetty log while the console starts and stops its own HTTP server (about ten INFO lines:
 * versions, "Started ServerConnector", "Listening on …", "Javalin has stopped") out of the embedding service's log
 * stream, where they read as the service's own server. Only events logged on the thread that runs {@link #quietly},
 * while it runs it, from the {@code io.javalin} and {@code org.eclipse.jetty} loggers below WARN are dropped (and
 * Javalin's bare "Failed to start Javalin" ERROR, which the console reports itself with the port): the levels of those
 * loggers are not changed, so a service's own Javalin or Jetty logs as it is configured to.
 *
 * <p>Works with Logback as the SLF4J binding (a turbo filter added to its context); with another binding the lines
 * pass, and the binding's per-logger levels are the way to quiet them.
 */
public final class QuietServerLogs {
    static final ThreadLocal<Boolean> QUIET = new ThreadLocal<>();

    private QuietServerLogs() {}

    /** Runs {@code action} with the console's server lines dropped on this thread. */
    public static <T> T quietly(Supplier<T> action) {
        boolean filtering = installed();
        Boolean outer = QUIET.get();
        if (filtering) {
            QUIET.set(Boolean.TRUE);
        }
        try {
            return action.get();
        } finally {
            if (filtering && outer == null) {
                QUIET.remove();
            }
        }
    }

    /** {@link #quietly(Supplier)} for an action without a result. */
    public static void quietly(Runnable action) {
        quietly(() -> {
            action.run();
            return null;
        });
    }

    /**
     * Whether the filter is in the SLF4J binding's context, added now if need be: checked at every use, as an
     * application that reconfigures Logback (vigil-logback's install does) clears the context's turbo filters.
     */
    private static boolean installed() {
        Object factory = LoggerFactory.getILoggerFactory();
        // By name: Logback is an optional dependency, so its classes are only touched when it is the binding.
        if (!factory.getClass().getName().equals("ch.qos.logback.classic.LoggerContext")) {
            return false;
        }
        try {
            return QuietServerFilter.installIn(factory);
        } catch (LinkageError e) {
            // Logback's LoggerContext from another class loader than ours: nothing to filter with.
            return false;
        }
    }
}
