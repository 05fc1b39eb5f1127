package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javalin.Javalin;
import io.javalin.util.JavalinBindException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** A port in use is one PortInUseException naming the variable; a free one is listened on. */
class PortBindingTest {

    @Test
    void aPortInUseIsAPortInUseExceptionNamingTheVariable() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Javalin server = server(port);
            try {
                assertThatThrownBy(() -> PortBinding.start(server, "MANAGEMENT_PORT", port))
                        .isInstanceOfSatisfying(PortInUseException.class, e -> {
                            assertThat(e.variable()).isEqualTo("MANAGEMENT_PORT");
                            assertThat(e.port()).isEqualTo(port);
                        })
                        .hasMessage("MANAGEMENT_PORT=" + port
                                + ": the port is already in use by another process; set MANAGEMENT_PORT to a free"
                                + " port (0 = any)")
                        .hasCauseInstanceOf(JavalinBindException.class);
            } finally {
                server.stop();
            }
        }
    }

    /**
     * A listening address that is not this host's (a typo in {@code HOST}, a name that does not resolve) is not a
     * port in use: it was reported as "MANAGEMENT_PORT=…: the port is already in use by another process", exit code
     * 1, sending the operator after a process that does not exist. It is a configuration error naming the address.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"192.0.2.1", "no-such-host.invalid"})
    void anAddressThatIsNotThisHostsIsAConfigurationErrorNotAPortInUse(String host) {
        Javalin server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = host;
            config.jetty.port = 0;
        });
        try {
            assertThatThrownBy(() -> PortBinding.start(server, "MANAGEMENT_PORT", 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .isNotInstanceOf(PortInUseException.class)
                    .hasMessageStartingWith("MANAGEMENT_PORT=0: cannot listen on " + host)
                    .hasMessageContaining("not an address of this host");
        } finally {
            server.stop();
        }
    }

    @Test
    void aFreePortIsListenedOn() throws Exception {
        Javalin server = PortBinding.start(server(0), "PORT", 0);
        try {
            assertThat(server.port()).isPositive();
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/ping"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("pong");
        } finally {
            server.stop();
        }
    }

    private static Javalin server(int port) {
        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = "127.0.0.1";
            config.jetty.port = port;
            config.routes.get("/ping", ctx -> ctx.result("pong"));
        });
    }
}
