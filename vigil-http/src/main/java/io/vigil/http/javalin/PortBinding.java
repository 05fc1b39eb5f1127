package io.vigil.http.javalin;

import io.javalin.Javalin;
import io.javalin.util.JavalinBindException;
import java.net.BindException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;
import java.util.Objects;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.internal.HttpConnection;

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
     * @throws PortInUseException when the port is taken by another process
     * @throws IllegalArgumentException when the configuration cannot be listened on: the address is not this host's
     *     (a typo, a name that does not resolve) or the port needs privileges — a configuration error, naming {@code
     *     variable}, the address and the port; any other failure of the start is thrown as is
     */
    public static Javalin start(Javalin server, String variable, int port) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(variable, "variable");
        try {
            return server.start();
        } catch (JavalinBindException e) {
            // Javalin says "port in use" for every bind failure; only one of them is.
            String host = server.unsafe.jetty.host;
            String where =
                    variable + "=" + port + ": cannot listen on " + (host == null ? "0.0.0.0" : host) + ":" + port;
            for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
                String message = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
                if (c instanceof UnresolvedAddressException
                        || c instanceof UnknownHostException
                        || (c instanceof BindException && message.contains("assign requested address"))) {
                    throw new IllegalArgumentException(
                            where + ": not an address of this host (" + c + "); listen on one of its addresses, or"
                                    + " 0.0.0.0 for all",
                            e);
                }
                if (c instanceof BindException && (message.contains("permission") || message.contains("access"))) {
                    throw new IllegalArgumentException(
                            where + ": permission denied (ports below 1024 need privileges); set " + variable
                                    + " to a port above 1023",
                            e);
                }
            }
            throw new PortInUseException(variable, port, e);
        }
    }

    /**
     * The first step of a graceful stop: {@code server} closes its listening sockets, so new connections are refused,
     * while the requests in flight go on (the caller then waits for them, or stops the server, whose stop timeout
     * bounds the wait). Jetty's connector shutdown also cuts every open connection's idle timeout to its shutdown idle
     * timeout (one second by default), which closes idle keep-alive connections promptly, but a request still
     * receiving its body when the stop began was answered 408 a second later, a client's fault it was not. The
     * connections with a request in progress get the connector's own idle timeout back.
     */
    public static void stopAccepting(Javalin server) {
        for (Connector connector : server.jettyServer().server().getConnectors()) {
            if (connector instanceof NetworkConnector listener) {
                listener.shutdown(); // closes the listening socket; open connections finish
            }
            if (connector instanceof AbstractConnector c) {
                // HTTP/1.1's connection class is Jetty-internal, yet the only way to ask whether a connection has a
                // request in progress; another connection type (or a Jetty without it) keeps Jetty's timeout.
                for (EndPoint endPoint : c.getConnectedEndPoints()) {
                    if (endPoint.getConnection() instanceof HttpConnection http
                            && http.getHttpChannel().getRequest() != null) {
                        endPoint.setIdleTimeout(c.getIdleTimeout());
                    }
                }
            }
        }
    }
}
