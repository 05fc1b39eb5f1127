package io.vigil.pipeline.internal;

/**
 * A port the configuration names is taken by another process: the start ends with one line naming the variable and
 * the port, without a stack trace (the trace says nothing the operator can act on).
 */
public final class PortInUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PortInUseException(String variable, int port, Throwable cause) {
        super(
                variable + "=" + port + ": the port is already in use by another process; set " + variable
                        + " to a free port (0 = any)",
                cause);
    }
}
