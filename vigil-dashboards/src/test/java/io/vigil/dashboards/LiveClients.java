package io.vigil.dashboards;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * HTTP clients of the live checks. The login rate limit is per client address, so each role (the
 * traffic, an attacker, the lockouts) calls from its own loopback address.
 */
final class LiveClients {
    private LiveClients() {}

    /** A client whose requests come from {@code address} (any of 127.0.0.0/8). */
    static HttpClient from(String address) {
        try {
            return HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(2))
                    .localAddress(InetAddress.getByName(address))
                    .build();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A login attempt's status, 0 when it did not get an answer. */
    static int login(HttpClient client, URI service, String email, String password) {
        try {
            return post(
                            client,
                            service,
                            "/api/v1/auth/login",
                            "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}")
                    .statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    static HttpResponse<String> post(HttpClient client, URI service, String path, String json)
            throws IOException, InterruptedException {
        return client.send(
                HttpRequest.newBuilder(service.resolve(path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
