package io.vigil.http.jakarta;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.EnumSet;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** {@link JakartaWebSocketContract} on Jetty 12 ee10's Jakarta WebSocket container. */
class JettyJakartaWebSocketTest extends JakartaWebSocketContract {
    @Override
    boolean tellsEndpointsTheClientsAddress() {
        return true;
    }

    @Override
    Container start(List<ServerEndpointConfig> endpoints, Filter front) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        JakartaWebSocketServletContainerInitializer.configure(context, (servletContext, container) -> {
            for (ServerEndpointConfig e : endpoints) {
                container.addEndpoint(e);
            }
        });
        if (front != null) {
            context.addFilter(new FilterHolder(front), "/*", EnumSet.of(DispatcherType.REQUEST));
        }
        server.setHandler(context);
        server.start();
        int port = connector.getLocalPort();
        return new Container() {
            @Override
            public int port() {
                return port;
            }

            @Override
            public void close() throws Exception {
                server.stop();
            }
        };
    }
}
