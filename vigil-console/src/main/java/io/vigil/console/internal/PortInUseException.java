package io.vigil.console.internal;

/**
 * A listener's port is taken by another process: said in one line (which listener, which port), without the stack
 * trace of the bind that failed.
 */
public final class PortInUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean grpc;
    private final int port;

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
