package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The {@code Allow} of a 405: the methods of the one resource a path names, and routes registered in one call. */
class AllowedMethodsTest {
    private final AllowedMethods allowed = new AllowedMethods()
            .add(HandlerType.GET, "/users/{id}")
            .add(HandlerType.PATCH, "/users/{id}")
            .add(HandlerType.DELETE, "/users/{id}")
            .add(HandlerType.GET, "/users/me")
            .add(HandlerType.POST, "/users");

    @Test
    void aPathBelongsToItsMostSpecificResource() {
        assertThat(allowed.resourceOf("/users/me")).isEqualTo("/users/me");
        assertThat(allowed.resourceOf("/users/42")).isEqualTo("/users/{id}");
        assertThat(allowed.resourceOf("/users/me/")).isEqualTo("/users/me");
        assertThat(allowed.resourceOf("/nothing")).isNull();
        assertThat(allowed.serves("/users/{id}", "/users/me")).isFalse();
        assertThat(allowed.serves("/users/{id}", "/users/42")).isTrue();
    }

    @Test
    void aNotAllowedDetailNeverEchoesKilobytesOfTheRequest() {
        assertThat(AllowedMethods.notAllowedDetail("PATCH", "/users/me"))
                .isEqualTo("Method PATCH is not allowed on /users/me");
        assertThat(AllowedMethods.notAllowedDetail("X".repeat(8000), "/users/me"))
                .isEqualTo("This method is not allowed on /users/me");
        assertThat(AllowedMethods.notAllowedDetail("GET", "/" + "a".repeat(5000)))
                .hasSize("Method GET is not allowed on ".length() + 257)
                .endsWith("a…");
    }

    @Test
    void allowListsTheResourcesMethodsInRfcOrderWithHeadBesideGet() {
        assertThat(allowed.allow("/users/me")).isEqualTo("GET, HEAD");
        assertThat(allowed.allow("/users/42")).isEqualTo("GET, HEAD, PATCH, DELETE");
        assertThat(allowed.allow("/users")).isEqualTo("POST");
        assertThat(allowed.allow("/nothing")).isNull();
    }

    @Test
    void routeRegistersWithJavalinAndHereInOneCall() throws Exception {
        AtomicReference<AllowedMethods> registered = new AtomicReference<>();
        Javalin app = Javalin.create(cfg -> {
                    cfg.startup.showJavalinBanner = false;
                    registered.set(new AllowedMethods()
                            .route(cfg, HandlerType.GET, "/health", ctx -> ctx.result("ok"))
                            .route(cfg, HandlerType.POST, "/events", ctx -> ctx.status(202)));
                })
                .start("127.0.0.1", 0);
        try (HttpClient client = HttpClient.newHttpClient()) {
            URI base = URI.create("http://127.0.0.1:" + app.port());
            HttpResponse<String> health = client.send(
                    HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> events = client.send(
                    HttpRequest.newBuilder(base.resolve("/events"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok");
            assertThat(events.statusCode()).isEqualTo(202);
        } finally {
            app.stop();
        }
        assertThat(registered.get().allow("/health")).isEqualTo("GET, HEAD");
        assertThat(registered.get().allow("/events")).isEqualTo("POST");
    }
}
