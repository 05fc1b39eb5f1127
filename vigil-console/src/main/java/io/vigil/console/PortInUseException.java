package io.vigil.console;

/**
 * A port given to {@link VigilConsole.Builder} is taken by another process, and the builder was told not to fall back
 * to a free one ({@link VigilConsole.Builder#fallBackToFreePort(boolean) fallBackToFreePort(false)}, as the standalone
 * console is). Its message is one line naming the listener and the port; the bind's failure is its cause. By default a
 * taken port is not an error: the console listens on a free port instead and logs one WARN line.
 */
public final class PortInUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean grpc;
    private final int port;

    /**
     * The {@code grpc} (else the HTTP) listener could not bind {@code host:port}.
     *
     * @param grpc whether it is the OTLP/gRPC listener
     * @param host the address it was to bind
     * @param port the port as configured
     * @param cause the bind's failure
     */
    public PortInUseException(boolean grpc, String host, int port, Throwable cause) {
        super(
                (grpc ? "OTLP/gRPC" : "HTTP") + " port " + port + " on " + host
                        + " is already in use by another process",
                cause);
        this.grpc = grpc;
        this.port = port;
    }

    /** Whether it is the gRPC listener's port (else the HTTP one's). */
    public boolean grpc() {
        return grpc;
    }

    /** The port that could not be bound. */
    public int port() {
        return port;
    }
}
