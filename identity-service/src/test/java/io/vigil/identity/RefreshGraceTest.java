package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.assertProblem;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * Refresh is safe to retry: a client whose answer was lost presents the rotated token again within
 * {@code REFRESH_REUSE_GRACE} and gets the same successor, not a theft verdict. Outside that case
 * (later, or once the successor has been used) a second presentation is theft, as before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RefreshGraceTest {
    private static final String API = "/api/v1";
    private static final Duration GRACE = Duration.ofSeconds(10);
    private final TestClock clock = new TestClock();
    private TestService svc;

    @BeforeAll
    void start() {
        svc = new TestService(TestDatabases.h2(), c -> c.refreshReuseGrace(GRACE), clock);
    }

    @AfterAll
    void stop() {
        if (svc != null) {
            svc.close();
        }
    }

    private String firstRefreshToken() {
        String email = uniqueEmail();
        Api.Response r = svc.api.post(
                API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "G"), null);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return svc.api.login(email, PASSWORD).get("refresh_token").asString();
    }

    private Api.Response refresh(String token) {
        return svc.api.post(API + "/auth/refresh", Map.of("refresh_token", token), null);
    }

    private JsonNode ok(Api.Response r) {
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    @Test
    void aRetryWithinTheGraceGetsTheSameSuccessorAndAWorkingAccessToken() throws Exception {
        String first = firstRefreshToken();
        String second = ok(refresh(first)).get("refresh_token").asString();

        try (LogCapture logs = new LogCapture()) {
            JsonNode retried = ok(refresh(first)); // the first answer was lost; the client retries
            assertThat(retried.get("refresh_token").asString()).isEqualTo(second);
            assertThat(svc.api
                            .get(API + "/users/me", retried.get("access_token").asString())
                            .status())
                    .isEqualTo(200);
            assertThat(logs.events(Map.of("security_event_type", "refresh_token_reuse")))
                    .isEmpty();
        }
        // The family lives on: the successor rotates normally.
        String third = ok(refresh(second)).get("refresh_token").asString();
        assertThat(third).isNotEqualTo(second).isNotEqualTo(first);
        // Only hashes are stored: the successor handed out twice is not in the database as such.
        assertThat(count("SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = ?", second))
                .isZero();
        assertThat(count("SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = ?", sha256(second)))
                .isOne();
    }

    @Test
    void afterTheGraceAPresentationAgainIsTheftAndRevokesTheFamily() {
        String first = firstRefreshToken();
        String second = ok(refresh(first)).get("refresh_token").asString();
        clock.advance(GRACE.plusSeconds(1));

        try (LogCapture logs = new LogCapture()) {
            assertProblem(refresh(first), 401, "invalid-refresh-token");
            assertThat(logs.events(Map.of("security_event_type", "refresh_token_reuse")))
                    .hasSize(1);
        }
        assertProblem(refresh(second), 401, "invalid-refresh-token");
    }

    @Test
    void onceTheSuccessorHasBeenUsedThePredecessorIsTheftEvenWithinTheGrace() {
        String first = firstRefreshToken();
        String second = ok(refresh(first)).get("refresh_token").asString();
        String third = ok(refresh(second)).get("refresh_token").asString();

        assertProblem(refresh(first), 401, "invalid-refresh-token");
        assertProblem(refresh(third), 401, "invalid-refresh-token");
    }

    @Test
    void aGraceOfZeroMakesEverySecondPresentationTheft() {
        try (TestService strict = new TestService(TestDatabases.h2(), c -> c.refreshReuseGrace(Duration.ZERO))) {
            String email = uniqueEmail();
            strict.api.post(
                    API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Z"), null);
            String first =
                    strict.api.login(email, PASSWORD).get("refresh_token").asString();
            Api.Response rotated = strict.api.post(API + "/auth/refresh", Map.of("refresh_token", first), null);
            assertThat(rotated.status()).isEqualTo(200);
            assertProblem(
                    strict.api.post(API + "/auth/refresh", Map.of("refresh_token", first), null),
                    401,
                    "invalid-refresh-token");
        }
    }

    private long count(String sql, String arg) throws Exception {
        try (Connection c = TestDatabases.connect(svc.databaseUrl);
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
