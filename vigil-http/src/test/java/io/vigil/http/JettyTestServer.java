package io.vigil.http;

import io.vigil.http.servlet.VigilHttpFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** An embedded Jetty serving {@link TestApp}'s user route and 404 elsewhere, behind the filter. */
public final class JettyTestServer implements AutoCloseable {
    private final Server server;
    private final URI base;

    private JettyTestServer(Server server, URI base) {
        this.server = server;
        this.base = base;
    }

    public static JettyTestServer start(HttpServerTelemetry http) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.addFilter(new FilterHolder(new VigilHttpFilter(http)), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(
                new ServletHolder(new HttpServlet() {
                    @Override
                    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
                        String path = req.getRequestURI();
                        if (path.startsWith("/api/v1/users/")) {
                            VigilHttpFilter.route(req, TestApp.USERS_ROUTE);
                            res.getOutputStream()
                                    .write(TestApp.user(path.substring(14)).getBytes(StandardCharsets.UTF_8));
                        } else {
                            res.setStatus(404);
                        }
                    }
                }),
                "/*");
        server.setHandler(context);
        server.start();
        return new JettyTestServer(server, URI.create("http://127.0.0.1:" + connector.getLocalPort()));
    }

    public URI uri(String path) {
        return base.resolve(path);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
