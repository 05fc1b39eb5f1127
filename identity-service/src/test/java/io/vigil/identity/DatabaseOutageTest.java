package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.assertProblem;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The service while its PostgreSQL is gone: a relay in front of the real server is closed, so every
 * new connection is refused and every pooled one is cut — what an operator saw during an outage.
 */
class DatabaseOutageTest {
    private static final String API = "/api/v1";
    private String schemaUrl;
    private TcpProxy database;
    private TestService service;

    private TestService start(UnaryOperator<IdentityConfig.Builder> customize) {
        schemaUrl = TestDatabases.freshPostgresSchema();
        database = new TcpProxy(5432);
        service = new TestService(schemaUrl.replace("127.0.0.1:5432", "127.0.0.1:" + database.port()), customize);
        return service;
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
        if (database != null) {
            database.close();
        }
        if (schemaUrl != null) {
            TestDatabases.dropPostgresSchema(schemaUrl);
        }
    }

    private static void assertUnavailable(Api.Response r) {
        assertProblem(r, 503, "database-unavailable");
        assertThat(Long.parseLong(r.header("Retry-After"))).isPositive();
    }

    @Test
    void everyPathThatNeedsTheDatabaseAnswers503WithRetryAfter() {
        TestService s = start(c -> c.databaseConnectionTimeout(Duration.ofMillis(500)));
        String email = uniqueEmail();
        assertThat(s.api.post(
                                API + "/auth/register",
                                Map.of("email", email, "password", PASSWORD, "full_name", "O"),
                                null)
                        .status())
                .isEqualTo(201);
        JsonNode tokens = s.api.login(email, PASSWORD);
        String admin = s.adminToken();

        database.close();

        assertUnavailable(s.api.post(API + "/auth/login", Map.of("email", email, "password", PASSWORD), null));
        assertUnavailable(s.api.post(
                API + "/auth/register", Map.of("email", uniqueEmail(), "password", PASSWORD, "full_name", "O"), null));
        assertUnavailable(s.api.post(
                API + "/auth/refresh",
                Map.of("refresh_token", tokens.get("refresh_token").asString()),
                null));
        assertUnavailable(
                s.api.get(API + "/users/me", tokens.get("access_token").asString()));
        assertUnavailable(s.api.get(API + "/users", admin));
        Api.Response ready = s.api.get("/health/ready", null);
        assertProblem(ready, 503, "not-ready");
        assertThat(ready.header("Retry-After")).isNotNull();
    }
}
