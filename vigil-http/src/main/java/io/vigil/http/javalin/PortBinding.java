package io.vigil.http.javalin;

import io.javalin.Javalin;
import io.javalin.util.JavalinBindException;
import java.util.Objects;

/**
 * Starts a Javalin server on the port a configuration variable names, so that a port taken by another process is one
 * {@link PortInUseException} naming that variable rather than Javalin's stack trace:
 *
 * <pre>{@code
 * Javalin app = PortBinding.start(Javalin.create(config -> config.jetty.port = port), "PORT", port);
 * }</pre>
 *
 * <p>Javalin also logs its own {@code Failed to start Javalin} ERROR line before it throws; an application that
 * reports the {@link PortInUseException} itself drops that line with vigil-logback's {@code
 * JavalinStartFailureFilter}, so the failed start is said once.
 */
public final class PortBinding {
    private PortBinding() {}

    /**
     * Starts {@code server} (configured to listen on {@code port}).
     *
     * @param server the server, not yet started
     * @param variable the configuration variable that named the port, e.g. {@code PORT}; the exception names it
     * @param port the port as configured (0: any free port), for the exception's message
     * @return {@code server}, started
     * @throws PortInUseException when the port cannot be bound; any other failure of the start is thrown as is
     */
    public static Javalin start(Javalin server, String variable, int port) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(variable, "variable");
        try {
            return server.start();
        } catch (JavalinBindException e) {
            throw new PortInUseException(variable, port, e);
        }
    }
}
