package io.vigil.http.jakarta;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.server.WsSci;

/** An embedded Tomcat serving Jakarta WebSocket endpoints, as {@link TomcatJakartaWebSocketTest} needs it. */
final class TomcatContainer implements JakartaWebSocketContract.Container {
    private static final String CATALINA_BASE = "catalina.base";
    private static final String CATALINA_HOME = "catalina.home";
    private final Tomcat tomcat;
    private final Connector connector;
    private final Path base;

    private TomcatContainer(Tomcat tomcat, Connector connector, Path base) {
        this.tomcat = tomcat;
        this.connector = connector;
        this.base = base;
    }

    /**
     * Tomcat on 127.0.0.1, a free port, one root context whose WebSocket container serves {@code endpoints}, with
     * {@code front} (unless {@code null}) as its first filter.
     */
    static TomcatContainer start(List<ServerEndpointConfig> endpoints, Filter front) throws Exception {
        // Tomcat records its directories in the JVM-wide catalina.base / catalina.home (as soon as its server is first
        // asked for), which the next instance would take as its home, recreating this one's directory after close:
        // they are put back once it has started.
        String catalinaBase = System.getProperty(CATALINA_BASE);
        String catalinaHome = System.getProperty(CATALINA_HOME);
        Path base = Files.createTempDirectory("vigil-tomcat");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        Connector connector = new Connector();
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", null);
        // Its leak checks warn on every stop without --add-opens; nothing here needs them.
        if (context instanceof StandardContext standard) {
            standard.setClearReferencesThreadLocals(false);
            standard.setClearReferencesRmiTargets(false);
        }
        // What Tomcat's annotation scan would do in a web application: WsSci creates the ServerContainer (and its
        // upgrade filter); the application's initializer, after it, adds the endpoints.
        context.addServletContainerInitializer(new WsSci(), null);
        context.addServletContainerInitializer(
                (classes, servletContext) -> {
                    ServerContainer container =
                            (ServerContainer) servletContext.getAttribute(ServerContainer.class.getName());
                    if (front != null) {
                        // Not "match after": ahead of WsSci's upgrade filter, which is.
                        servletContext
                                .addFilter("front", front)
                                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
                    }
                    try {
                        for (ServerEndpointConfig e : endpoints) {
                            container.addEndpoint(e);
                        }
                    } catch (DeploymentException e) {
                        throw new ServletException(e);
                    }
                },
                null);
        // The upgrade filter runs in a request's filter chain, which Tomcat builds only for a mapped servlet.
        Tomcat.addServlet(context, "default", new HttpServlet() {});
        context.addServletMapping("/", "default");
        try {
            tomcat.start();
        } finally {
            restore(CATALINA_BASE, catalinaBase);
            restore(CATALINA_HOME, catalinaHome);
        }
        return new TomcatContainer(tomcat, connector, base);
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    @Override
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        try {
            tomcat.stop();
            tomcat.destroy();
        } finally {
            try (Stream<Path> files = Files.walk(base)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }
}
