package io.vigil.http.javalin;

/**
 * A port the configuration names is taken by another process. Its message is the one line a service reports, naming
 * the variable and the port ({@code PORT=8080: the port is already in use by another process; set PORT to a free port
 * (0 = any)}); the bind's stack trace is its cause, which says nothing the operator can act on. Thrown by {@link
 * PortBinding#start}.
 */
public final class PortInUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The variable that named the port (e.g. {@code PORT}). */
    private final String variable;

    /** The port that could not be bound. */
    private final int port;

    /**
     * {@code variable=port} could not be bound because of {@code cause}.
     *
     * @param variable the configuration variable that named the port, e.g. {@code PORT}
     * @param port the port as configured
     * @param cause the bind's failure
     */
    public PortInUseException(String variable, int port, Throwable cause) {
        super(
                variable + "=" + port + ": the port is already in use by another process; set " + variable
                        + " to a free port (0 = any)",
                cause);
        this.variable = variable;
        this.port = port;
    }

    /** The configuration variable that named the port. */
    public String variable() {
        return variable;
    }

    /** The port that could not be bound. */
    public int port() {
        return port;
    }
}
