package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The UI and query API require the token; the OTLP receivers do not. */
class TokenTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    private static HttpResponse<String> get(String url, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void apiWithoutTokenIs401() throws Exception {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            HttpResponse<String> r = get(console.httpEndpoint() + "/api/traces");

            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).contains("Token required").doesNotContain(console.token());
            assertThat(get(console.httpEndpoint() + "/api/traces", "Authorization", "Bearer wrong-token")
                            .statusCode())
                    .isEqualTo(401);
        }
    }

    @Test
    void apiWithBearerTokenIs200() throws Exception {
        try (VigilConsole console = VigilConsole.builder()
                .httpPort(0)
                .grpcPort(-1)
                .token("s3cret-token")
                .start()) {
            assertThat(console.token()).isEqualTo("s3cret-token");
            assertThat(get(console.httpEndpoint() + "/api/traces", "Authorization", "Bearer s3cret-token")
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void uiUrlTradesTheTokenForAnHttpOnlyCookie() throws Exception {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            assertThat(get(console.httpEndpoint() + "/").statusCode()).isEqualTo(401);

            HttpResponse<String> r = get(console.uiUrl());
            assertThat(r.statusCode()).isEqualTo(302);
            String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(cookie).contains("HttpOnly", "SameSite=Strict", console.token());

            HttpResponse<String> page = get(console.httpEndpoint() + "/", "Cookie", cookie.split(";")[0]);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Vigil console");
        }
    }

    @Test
    void twoConsolesOnOneHostKeepTheirOwnSessions() throws Exception {
        // A browser keeps cookies by host, not by port: under one cookie name, opening the second console's URL
        // replaced the first console's token, whose UI then answered 401.
        HttpClient browser = HttpClient.newBuilder()
                .cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        try (VigilConsole first =
                        VigilConsole.builder().httpPort(0).grpcPort(-1).start();
                VigilConsole second =
                        VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            for (VigilConsole console : List.of(first, second)) {
                HttpResponse<String> traded = browser.send(
                        HttpRequest.newBuilder(URI.create(console.uiUrl())).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(traded.statusCode()).isEqualTo(302);
                assertThat(traded.headers().firstValue("Set-Cookie"))
                        .hasValueSatisfying(
                                c -> assertThat(c).startsWith("vigil_console_token_" + console.httpPort() + "="));
            }
            for (VigilConsole console : List.of(first, second)) {
                assertThat(browser.send(
                                        HttpRequest.newBuilder(URI.create(console.httpEndpoint() + "/api/traces"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .statusCode())
                        .as("console on port %d", console.httpPort())
                        .isEqualTo(200);
            }
        }
    }

    @Test
    void disabledAuthNeedsNoToken() throws Exception {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).disableAuth().start()) {
            assertThat(console.token()).isNull();
            assertThat(get(console.httpEndpoint() + "/api/traces").statusCode()).isEqualTo(200);
            assertThat(get(console.uiUrl()).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void otlpReceiversNeedNoToken() {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            HttpResponse<byte[]> r = ApiClient.post(
                    console.httpEndpoint() + "/v1/traces",
                    "application/x-protobuf",
                    OtlpHttpReceiverTest.protobufTrace("svc", "4bf92f3577b34da6a3ce929d0e0e4736", "x")
                            .toByteArray(),
                    null);
            assertThat(r.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void bindsToLoopbackByDefault() throws Exception {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(0).start()) {
            assertThat(console.httpEndpoint()).startsWith("http://127.0.0.1:");
            assertThat(console.grpcEndpoint()).startsWith("http://127.0.0.1:");
            // From this machine's other addresses, nothing answers.
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (!address.isLoopbackAddress() && address instanceof Inet4Address) {
                        for (int port : new int[] {console.httpPort(), console.grpcPort()}) {
                            assertThatThrownBy(() -> {
                                        try (Socket s = new Socket()) {
                                            s.connect(new InetSocketAddress(address, port), 1000);
                                        }
                                    })
                                    .isInstanceOf(IOException.class);
                        }
                    }
                }
            }
        }
    }
}
