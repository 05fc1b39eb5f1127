package io.vigil.http.jakarta;

import jakarta.servlet.Filter;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * {@link JakartaWebSocketContract} on embedded Tomcat 11's Jakarta WebSocket container. Tomcat bundles the WebSocket
 * 2.2 and Servlet 6.1 APIs, so the tag {@code tomcat} runs it in a Surefire execution of its own (see the pom), whose
 * class path holds Tomcat's jars instead of the API jars and Jetty's WebSocket server. Tomcat's types stay in {@link
 * TomcatContainer}, so that the other execution can load this class to filter it out.
 */
@Tag("tomcat")
class TomcatJakartaWebSocketTest extends JakartaWebSocketContract {
    @Override
    Container start(List<ServerEndpointConfig> endpoints, Filter front) throws Exception {
        return TomcatContainer.start(endpoints, front);
    }
}
