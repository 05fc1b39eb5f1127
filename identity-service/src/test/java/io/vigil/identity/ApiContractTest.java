package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.identity.internal.Jwt;
import io.vigil.identity.internal.feed.FeedEvent;
import io.vigil.identity.internal.feed.SecurityFeed;
import io.vigil.test.MetricSamples;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * The API's behaviour over real HTTP, run once per database ({@link H2ApiTest}, {@link
 * PostgresApiTest}). Every test uses its own users, so the order of tests does not matter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ApiContractTest {
    static final String PASSWORD = "a long passphrase 42";
    private static final String API = "/api/v1";

    TestService svc;
    Api api;
    String admin;

    /** A fresh database URL for this class. */
    abstract String databaseUrl();

    void dropDatabase(String url) {}

    @BeforeAll
    void startService() {
        svc = new TestService(databaseUrl());
        api = svc.api;
        admin = svc.adminToken();
    }

    @AfterAll
    void stopService() {
        if (svc != null) {
            svc.close();
            dropDatabase(svc.databaseUrl);
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    static String uniqueEmail() {
        return "u" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
    }

    /** Registers a user and returns its id. */
    String register(String email) {
        Api.Response r = api.post(
                API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Test User"), null);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    @Test
    void aUserReadBackHasTheTimestampsItsCreationAndUpdateAnswered() {
        Api.Response created = api.post(
                API + "/users",
                Map.of("email", uniqueEmail(), "password", PASSWORD, "full_name", "Time Keeper"),
                admin);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.json().get("id").asString();
        Api.Response read = api.get(API + "/users/" + id, admin);
        // were ….195940869Z in the answer and ….195941Z read back: the database keeps microseconds
        assertThat(read.json().get("created_at").asString())
                .isEqualTo(created.json().get("created_at").asString());
        Api.Response patched = api.send(
                "PATCH",
                API + "/users/" + id,
                "{\"full_name\":\"Time Keeper II\"}",
                "application/json",
                admin,
                Map.of());
        assertThat(patched.status()).as(patched.text()).isEqualTo(200);
        assertThat(api.get(API + "/users/" + id, admin).json().get("updated_at").asString())
                .isEqualTo(patched.json().get("updated_at").asString());
    }

    String tokenOf(String email) {
        return api.login(email, PASSWORD).get("access_token").asString();
    }

    long count(String sql, Object... args) throws Exception {
        try (Connection c = TestDatabases.connect(svc.databaseUrl);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static void assertProblem(Api.Response r, int status, String type) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.get("type").asString()).isEqualTo("urn:vigil:problem:" + type);
        assertThat(p.get("status").asInt()).isEqualTo(status);
        assertThat(p.get("title").asString()).isNotBlank();
        assertThat(r.text()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    // --- operations endpoints ------------------------------------------------------------------

    @Test
    void healthAndReadinessAnswer() {
        assertThat(api.get("/health", null).status()).isEqualTo(200);
        Api.Response ready = api.get("/health/ready", null);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().get("checks").get("database").asString()).isEqualTo("up");
    }

    @Test
    void metricsAndHealthAreOnTheManagementPortAndMetricsNotOnThePublicOne() {
        Api.Response r = svc.management.get("/metrics", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).contains("app_info");
        assertThat(svc.service.managementPort()).isNotEqualTo(svc.service.port());
        assertProblem(api.get("/metrics", null), 404, "not-found");
        assertThat(svc.management.get("/health", null).status()).isEqualTo(200);
        assertThat(svc.management
                        .get("/health/ready", null)
                        .json()
                        .get("status")
                        .asString())
                .isEqualTo("ready");
        assertProblem(svc.management.get("/api/v1/users", admin), 404, "not-found");
    }

    @Test
    void openApiDocumentDescribesEveryRoute() {
        JsonNode doc = api.get("/openapi.json", null).json();
        assertThat(doc.get("openapi").asString()).startsWith("3.1");
        List<String> documented = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
            for (String method : List.of("get", "post", "put", "patch", "delete")) {
                if (path.getValue().has(method)) {
                    documented.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path.getKey());
                }
            }
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(svc.service.routes());
    }

    @Test
    void openApiDocumentIsStrictJsonWhoseReferencesResolve() {
        // No key twice (a lenient parser silently keeps the last), and every local $ref points somewhere.
        JsonNode doc = tools.jackson.databind.json.JsonMapper.builder()
                .enable(tools.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build()
                .readTree(api.get("/openapi.json", null).text());
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty().allSatisfy(ref -> assertThat(ref).startsWith("#/"));
        for (String ref : refs) {
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
        }
    }

    private static void collectRefs(JsonNode n, List<String> refs) {
        if (n.isObject()) {
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                if (e.getKey().equals("$ref") && e.getValue().isString()) {
                    refs.add(e.getValue().asString());
                } else {
                    collectRefs(e.getValue(), refs);
                }
            }
        } else if (n.isArray()) {
            n.forEach(c -> collectRefs(c, refs));
        }
    }

    @Test
    void openApiDocumentDescribesTheSecurityFeedsUpgradeMessagesAndCloseCodes() {
        JsonNode doc = api.get("/openapi.json", null).json();
        JsonNode get = doc.get("paths").get(SecurityFeed.PATH).get("get");
        // What the route answers (SecurityFeedHandshakeTest): a bad key or two Authorization headers 400, a POST 405
        // with Allow: GET, a plain GET or another version 426 with Upgrade: websocket; each refusal a problem document.
        JsonNode responses = get.get("responses");
        assertThat(names(responses)).containsExactlyInAnyOrder("101", "400", "401", "403", "405", "426", "503");
        for (String refusal : List.of("400", "405", "426")) {
            assertThat(responses
                            .at("/" + refusal + "/content/application~1problem+json/schema/$ref")
                            .asString())
                    .as(refusal)
                    .isEqualTo("#/components/schemas/Problem");
        }
        assertThat(responses.at("/405/headers/Allow/schema/const").asString()).isEqualTo("GET");
        assertThat(responses.at("/426/headers/Upgrade/schema/const").asString()).isEqualTo("websocket");
        assertThat(get.get("security").toString()).contains("bearerAuth", "bearerSubprotocol");
        assertThat(doc.get("components")
                        .get("securitySchemes")
                        .get("bearerSubprotocol")
                        .get("name")
                        .asString())
                .isEqualTo("Sec-WebSocket-Protocol");
        JsonNode ws = get.get("x-websocket");
        assertThat(ws.get("subprotocol").asString()).isEqualTo(SecurityFeed.PROTOCOL);
        assertThat(names(ws.get("closeCodes"))).containsExactlyInAnyOrder("1000", "1003", "1008", "1009", "1011");
        assertThat(ws.get("closeCodes").get("1003").asString()).contains("binary frame");
        assertThat(ws.get("closeCodes").get("1008").asString())
                .contains("too many connections", "no longer authorized", "token expired", "token revoked");
        // Every message type the feed declares is one of the documented messages, in the right direction.
        JsonNode schemas = doc.get("components").get("schemas");
        Set<String> fromClient =
                names(schemas.get("FeedClientMessage").get("discriminator").get("mapping"));
        Set<String> fromServer =
                names(schemas.get("FeedServerMessage").get("discriminator").get("mapping"));
        assertThat(fromClient).containsExactlyInAnyOrder("ping", "subscribe");
        Set<String> all = new HashSet<>(fromClient);
        all.addAll(fromServer);
        assertThat(all).hasSize(fromClient.size() + fromServer.size()).isEqualTo(SecurityFeed.HANDLERS);
        List<String> eventTypes = new ArrayList<>();
        schemas.get("SecurityEventType").get("enum").forEach(t -> eventTypes.add(t.asString()));
        assertThat(eventTypes).containsExactlyInAnyOrderElementsOf(SecurityFeed.EVENT_TYPES);
        // The event's fields are the ones the feed sends.
        String sent =
                new FeedEvent("id", "account_locked", "high", "u", "2026-01-01T00:00:00Z", "r", "t", Map.of()).toJson();
        assertThat(names(schemas.get("SecurityFeedEvent").get("properties")))
                .isEqualTo(names(Api.JSON.readTree(sent)))
                .isEqualTo(
                        Set.copyOf(stringList(schemas.get("SecurityFeedEvent").get("required"))));
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new HashSet<>();
        object.properties().forEach(e -> names.add(e.getKey()));
        return names;
    }

    private static List<String> stringList(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asString()));
        return out;
    }

    @Test
    void jwksVerifiesIssuedAccessTokens() throws Exception {
        JWKSet set = JWKSet.parse(api.get("/.well-known/jwks.json", null).text());
        assertThat(set.getKeys()).hasSize(1);
        assertThat(set.getKeys().getFirst().isPrivate()).isFalse();
        SignedJWT jwt = SignedJWT.parse(admin);
        assertThat(jwt.verify(new ECDSAVerifier((ECKey) set.getKeys().getFirst())))
                .isTrue();
    }

    // --- sign-up and login ---------------------------------------------------------------------

    @Test
    void registerCreatesAUserWithRoleUserAndAnAuditRecordWithTheRequestId() throws Exception {
        String email = uniqueEmail();
        String requestId = "req-" + UUID.randomUUID();
        Api.Response r = api.send(
                "POST",
                API + "/auth/register",
                Api.JSON.writeValueAsString(Map.of("email", email, "password", PASSWORD, "full_name", "Ann Example")),
                "application/json",
                null,
                Map.of("X-Request-ID", requestId));
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("X-Request-ID")).isEqualTo(requestId);
        assertThat(r.header("X-Correlation-ID")).isEqualTo(requestId);
        JsonNode u = r.json();
        assertThat(u.get("role").asString()).isEqualTo("user");
        assertThat(u.get("email").asString()).isEqualTo(email);
        assertThat(u.has("password_hash")).isFalse();
        assertThat(r.text()).doesNotContain(PASSWORD);
        assertThat(count(
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'register' AND resource = ? AND request_id = ?",
                        "user:" + u.get("id").asString(),
                        requestId))
                .isEqualTo(1);
    }

    @Test
    void registeringATakenEmailIsAConflict() {
        String email = uniqueEmail();
        register(email);
        MetricSamples before = metrics();
        Api.Response r = api.post(
                API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Again"), null);
        assertProblem(r, 409, "email-taken");
        // The INSERT's database operation (vigil-jdbc): a unique-constraint refusal is a failure, not an error.
        MetricSamples after = metrics();
        assertThat(delta(
                        before,
                        after,
                        "database_operations_total",
                        Map.of("operation", "insert", "table", "users", "status", "failure")))
                .isEqualTo(1.0);
        assertThat(delta(
                        before,
                        after,
                        "database_operations_total",
                        Map.of("operation", "insert", "table", "users", "status", "error")))
                .isZero();
    }

    @Test
    void weakPasswordsAreRefusedWithFieldErrors() {
        Api.Response r = api.post(
                API + "/auth/register", Map.of("email", uniqueEmail(), "password", "short", "full_name", "Weak"), null);
        assertProblem(r, 422, "validation-failed");
        assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("password");
    }

    @Test
    void loginReturnsTokensThatAuthenticateUsersMe() {
        String email = uniqueEmail();
        String id = register(email);
        JsonNode tokens = api.login(email, PASSWORD);
        assertThat(tokens.get("token_type").asString()).isEqualTo("Bearer");
        assertThat(tokens.get("expires_in").asLong()).isPositive();
        Api.Response me = api.get(API + "/users/me", tokens.get("access_token").asString());
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.json().get("id").asString()).isEqualTo(id);
    }

    @Test
    void unknownEmailAndWrongPasswordGetTheSameAnswer() {
        String email = uniqueEmail();
        register(email);
        Api.Response wrong = api.post(API + "/auth/login", Map.of("email", email, "password", "wrong password!"), null);
        Api.Response unknown =
                api.post(API + "/auth/login", Map.of("email", uniqueEmail(), "password", "wrong password!"), null);
        assertProblem(wrong, 401, "invalid-credentials");
        assertProblem(unknown, 401, "invalid-credentials");
        JsonNode a = wrong.json();
        JsonNode b = unknown.json();
        for (String f : List.of("type", "title", "status", "detail")) {
            assertThat(a.get(f)).isEqualTo(b.get(f));
        }
    }

    @Test
    void lockoutAfterThresholdRefusesEvenTheRightPasswordUntilAnAdminUnlocks() throws Exception {
        String email = uniqueEmail();
        String id = register(email);
        MetricSamples before = metrics();
        svc.spans.reset();
        try (LogCapture logs = new LogCapture()) {
            for (int i = 0; i < 3; i++) { // threshold 3 in TestService
                assertProblem(
                        api.post(API + "/auth/login", Map.of("email", email, "password", "wrong password!"), null),
                        401,
                        "invalid-credentials");
            }
            // Locked: the right password gets the same answer as a wrong one.
            assertProblem(
                    api.post(API + "/auth/login", Map.of("email", email, "password", PASSWORD), null),
                    401,
                    "invalid-credentials");
            assertThat(logs.events(Map.of("security_event_type", "account_locked", "user_id", id)))
                    .hasSize(1)
                    .first()
                    .satisfies(f -> assertThat(f).containsEntry("severity", "high"));
            assertThat(logs.events(Map.of(
                            "event_type", "authentication", "status", "failure", "failure_reason", "account_locked")))
                    .hasSize(1);
            assertThat(logs.events(Map.of(
                            "event_type",
                            "authentication",
                            "status",
                            "failure",
                            "failure_reason",
                            "invalid_credentials")))
                    .hasSize(3);
            // The same sequence in metrics and traces.
            MetricSamples after = metrics();
            assertThat(delta(before, after, "failed_login_attempts_total", Map.of("reason", "invalid_credentials")))
                    .isEqualTo(3);
            assertThat(delta(before, after, "failed_login_attempts_total", Map.of("reason", "account_locked")))
                    .isEqualTo(1);
            assertThat(delta(
                            before,
                            after,
                            "security_events_total",
                            Map.of("event_type", "account_locked", "severity", "high")))
                    .isEqualTo(1);
            assertThat(delta(
                            before,
                            after,
                            "authentication_attempts_total",
                            Map.of("auth_type", "login", "status", "failure")))
                    .isEqualTo(4);
            SpanData locked = only(svc.spans.getFinishedSpanItems(), "security.account_locked");
            assertThat(locked.getAttributes().get(AttributeKey.stringKey("user.id")))
                    .isEqualTo(id);
            assertThat(locked.getAttributes().get(AttributeKey.stringKey("security.event.severity")))
                    .isEqualTo("high");
            assertThat(locked.getAttributes().get(AttributeKey.longKey("security.event.failed_attempts")))
                    .isEqualTo(3);
            JsonNode shown = api.get(API + "/users/" + id, admin).json();
            assertThat(shown.get("locked").asBoolean()).isTrue();

            Api.Response unlock = api.post(API + "/users/" + id + "/unlock", null, admin);
            assertThat(unlock.status()).isEqualTo(200);
            assertThat(unlock.json().get("locked").asBoolean()).isFalse();
            assertThat(logs.events(Map.of("security_event_type", "account_unlocked", "user_id", id)))
                    .hasSize(1);
        }
        assertThat(api.login(email, PASSWORD).get("access_token").asString()).isNotBlank();
        assertThat(count(
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'account_locked' AND resource = ?",
                        "user:" + id))
                .isEqualTo(1);
    }

    @Test
    void successfulLoginResetsTheFailureCount() {
        String email = uniqueEmail();
        register(email);
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 2; i++) {
                api.post(API + "/auth/login", Map.of("email", email, "password", "wrong password!"), null);
            }
            api.login(email, PASSWORD); // resets, so four failures in all never lock
        }
    }

    // --- refresh, verify, logout ---------------------------------------------------------------

    @Test
    void refreshRotatesAndReuseRevokesTheWholeFamily() {
        String email = uniqueEmail();
        register(email);
        String first = api.login(email, PASSWORD).get("refresh_token").asString();
        Api.Response rotated = api.post(API + "/auth/refresh", Map.of("refresh_token", first), null);
        assertThat(rotated.status()).isEqualTo(200);
        String second = rotated.json().get("refresh_token").asString();
        assertThat(second).isNotEqualTo(first);
        // The successor is used; from now on the first token has no innocent explanation.
        Api.Response again = api.post(API + "/auth/refresh", Map.of("refresh_token", second), null);
        assertThat(again.status()).isEqualTo(200);
        String third = again.json().get("refresh_token").asString();

        try (LogCapture logs = new LogCapture()) {
            assertProblem(
                    api.post(API + "/auth/refresh", Map.of("refresh_token", first), null),
                    401,
                    "invalid-refresh-token");
            assertThat(logs.events(Map.of("security_event_type", "refresh_token_reuse")))
                    .hasSize(1);
        }
        // The reuse revoked the family: the legitimately rotated token is dead too.
        assertProblem(
                api.post(API + "/auth/refresh", Map.of("refresh_token", third), null), 401, "invalid-refresh-token");
    }

    @Test
    void verifyAcceptsValidTokensAndRefusesOthers() {
        String email = uniqueEmail();
        String id = register(email);
        String token = tokenOf(email);
        Api.Response ok = api.post(API + "/auth/verify", Map.of("token", token), null);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("user_id").asString()).isEqualTo(id);
        assertThat(ok.json().get("role").asString()).isEqualTo("user");
        assertProblem(api.post(API + "/auth/verify", Map.of("token", "not-a-jwt"), null), 401, "invalid-token");
    }

    @Test
    void logoutRevokesTheAccessTokenAndTheRefreshToken() {
        String email = uniqueEmail();
        register(email);
        JsonNode tokens = api.login(email, PASSWORD);
        String access = tokens.get("access_token").asString();
        Api.Response out = api.post(
                API + "/auth/logout",
                Map.of("refresh_token", tokens.get("refresh_token").asString()),
                access);
        assertThat(out.status()).isEqualTo(204);
        assertProblem(api.get(API + "/users/me", access), 401, "invalid-token");
        assertProblem(
                api.post(
                        API + "/auth/refresh",
                        Map.of("refresh_token", tokens.get("refresh_token").asString()),
                        null),
                401,
                "invalid-refresh-token");
    }

    // --- tokens that must be refused -----------------------------------------------------------

    static String mint(String jwk, String subject, String role, Instant iat, Instant exp, JWSAlgorithm alg)
            throws Exception {
        ECKey key = (ECKey) JWK.parse(jwk);
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer("identity-service")
                .audience("identity-service")
                .subject(subject)
                .issueTime(Date.from(iat))
                .expirationTime(Date.from(exp))
                .jwtID(UUID.randomUUID().toString())
                .claim("role", role)
                .build();
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(alg)
                        .type(new JOSEObjectType("at+jwt"))
                        .keyID(JWK.parse(TestService.SIGNING_KEY).getKeyID())
                        .build(),
                claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    @Test
    void expiredTokensAreRefusedAsExpired() throws Exception {
        String id = register(uniqueEmail());
        Instant past = Instant.now().minusSeconds(3600);
        String expired = mint(TestService.SIGNING_KEY, id, "user", past, past.plusSeconds(60), JWSAlgorithm.ES256);
        assertProblem(api.get(API + "/users/me", expired), 401, "token-expired");
    }

    @Test
    void forgedTokensAreRefused() throws Exception {
        String id = register(uniqueEmail());
        Instant now = Instant.now();
        // Signed by a key that is not ours, claiming admin.
        String forged = mint(Jwt.generateKey(), id, "admin", now, now.plusSeconds(600), JWSAlgorithm.ES256);
        assertProblem(api.get(API + "/users", forged), 401, "invalid-token");
        // An unsigned token ("alg": "none").
        String header = java.util.Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(
                        "{\"alg\":\"none\",\"typ\":\"at+jwt\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String payload = admin.split("\\.")[1];
        assertProblem(api.get(API + "/users", header + "." + payload + "."), 401, "invalid-token");
        // A valid token with one character of its signature changed.
        char[] t = admin.toCharArray();
        t[t.length - 5] = t[t.length - 5] == 'A' ? 'B' : 'A';
        assertProblem(api.get(API + "/users", new String(t)), 401, "invalid-token");
        assertProblem(api.get(API + "/users", null), 401, "missing-token");
    }

    /**
     * RFC 6750 §3.1: a request without credentials gets the bare challenge, no error code (it had {@code
     * error="invalid_token"} too); a token presented and refused gets {@code invalid_token}.
     */
    @Test
    void theBearerChallengeNamesAnErrorOnlyForATokenThatWasPresented() throws Exception {
        Api.Response none = api.get(API + "/users/me", null);
        assertProblem(none, 401, "missing-token");
        assertThat(none.headers().allValues("WWW-Authenticate")).containsExactly("Bearer");
        Api.Response basic =
                api.send("GET", API + "/users/me", null, null, null, Map.of("Authorization", "Basic dXNlcjpwYXNz"));
        assertProblem(basic, 401, "missing-token");
        assertThat(basic.headers().allValues("WWW-Authenticate")).containsExactly("Bearer");

        Api.Response invalid = api.get(API + "/users/me", "not-a-token");
        assertProblem(invalid, 401, "invalid-token");
        assertThat(invalid.headers().allValues("WWW-Authenticate")).containsExactly("Bearer error=\"invalid_token\"");
        String id = register(uniqueEmail());
        Instant past = Instant.now().minusSeconds(3600);
        String expired = mint(TestService.SIGNING_KEY, id, "user", past, past.plusSeconds(60), JWSAlgorithm.ES256);
        Api.Response late = api.get(API + "/users/me", expired);
        assertProblem(late, 401, "token-expired");
        assertThat(late.headers().allValues("WWW-Authenticate")).containsExactly("Bearer error=\"invalid_token\"");
    }

    /**
     * Authorization is a singleton field (RFC 9110 §11.6.2): with two, the first was used silently (a valid one first
     * was 200, a bad one first 401). Now 400 whichever comes first, and neither token is validated.
     */
    @Test
    void twoAuthorizationHeadersAreABadRequestAndNeitherIsValidated() {
        String email = uniqueEmail();
        register(email);
        String token = tokenOf(email);
        MetricSamples before = metrics();
        for (String[] pair : new String[][] {{token, "Bearer garbage"}, {"garbage", "Bearer " + token}}) {
            Api.Response r = svc.answered(
                    "GET " + API + "/users/me",
                    () -> api.send("GET", API + "/users/me", null, null, pair[0], Map.of("Authorization", pair[1])));
            assertProblem(r, 400, "bad-request");
            assertThat(r.json().get("detail").asString())
                    .isEqualTo("The request has 2 Authorization header fields with different values: a request may"
                            + " have one (RFC 9110, section 11.6.2)");
        }
        // The same credential twice reads the same whichever is taken, but this API still takes one.
        Api.Response same = svc.answered(
                "GET " + API + "/users/me",
                () -> api.send(
                        "GET", API + "/users/me", null, null, token, Map.of("Authorization", "Bearer " + token)));
        assertProblem(same, 400, "bad-request");
        assertThat(same.json().get("detail").asString()).contains("more than one Authorization header");
        MetricSamples after = metrics();
        assertThat(total(after, "token_validation_total") - total(before, "token_validation_total"))
                .isZero();
        assertThat(after.require(
                                "http_requests_total",
                                Map.of("endpoint", API + "/users/me", "method", "GET", "status_code", "400"))
                        - before.find(
                                        "http_requests_total",
                                        Map.of("endpoint", API + "/users/me", "method", "GET", "status_code", "400"))
                                .map(MetricSamples.Sample::value)
                                .orElse(0.0))
                .isEqualTo(3);
        // One header still authenticates.
        assertThat(api.get(API + "/users/me", token).status()).isEqualTo(200);
    }

    // --- authorization -------------------------------------------------------------------------

    @Test
    void usersCannotManageOtherUsersAndDenialsAreReported() {
        String email = uniqueEmail();
        String me = register(email);
        String other = register(uniqueEmail());
        String token = tokenOf(email);
        try (LogCapture logs = new LogCapture()) {
            assertProblem(api.get(API + "/users", token), 403, "forbidden");
            assertProblem(api.get(API + "/users/" + other, token), 403, "forbidden");
            assertProblem(api.send("DELETE", API + "/users/" + other, null, null, token, Map.of()), 403, "forbidden");
            assertProblem(
                    api.send(
                            "PATCH", API + "/users/" + me, "{\"role\":\"admin\"}", "application/json", token, Map.of()),
                    403,
                    "forbidden");
            assertThat(logs.events(Map.of("event_type", "authorization", "granted", false, "user_id", me)))
                    .hasSize(4);
        }
        assertThat(api.get(API + "/users/" + me, token).status()).isEqualTo(200);
    }

    @Test
    void adminManagesTheUserLifecycle() {
        String email = uniqueEmail();
        Api.Response created = api.post(
                API + "/users",
                Map.of("email", email, "password", PASSWORD, "full_name", "Bob Example", "role", "user"),
                admin);
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().get("id").asString();
        assertThat(created.header("Location")).isEqualTo(API + "/users/" + id);

        Api.Response updated = api.send(
                "PATCH", API + "/users/" + id, "{\"full_name\":\"Robert\"}", "application/json", admin, Map.of());
        assertThat(updated.json().get("full_name").asString()).isEqualTo("Robert");

        String userToken = tokenOf(email);
        Api.Response deactivated = api.post(API + "/users/" + id + "/deactivate", null, admin);
        assertThat(deactivated.json().get("active").asBoolean()).isFalse();
        // A deactivated user's token stops working at once, and they cannot log in.
        assertProblem(api.get(API + "/users/me", userToken), 401, "invalid-token");
        assertProblem(
                api.post(API + "/auth/login", Map.of("email", email, "password", PASSWORD), null),
                401,
                "invalid-credentials");

        assertThat(api.post(API + "/users/" + id + "/activate", null, admin)
                        .json()
                        .get("active")
                        .asBoolean())
                .isTrue();
        assertThat(tokenOf(email)).isNotBlank();

        assertThat(api.send("DELETE", API + "/users/" + id, null, null, admin, Map.of())
                        .status())
                .isEqualTo(204);
        assertProblem(api.get(API + "/users/" + id, admin), 404, "not-found");
    }

    @Test
    void listIsPaginated() {
        for (int i = 0; i < 3; i++) {
            register(uniqueEmail());
        }
        JsonNode first = api.get(API + "/users?page=1&page_size=2", admin).json();
        JsonNode second = api.get(API + "/users?page=2&page_size=2", admin).json();
        assertThat(first.get("items")).hasSize(2);
        assertThat(first.get("total").asLong()).isGreaterThanOrEqualTo(4);
        Set<String> ids = new HashSet<>();
        for (JsonNode n : List.of(first, second)) {
            for (Iterator<JsonNode> it = n.get("items").values().iterator(); it.hasNext(); ) {
                ids.add(it.next().get("id").asString());
            }
        }
        assertThat(ids).hasSize(first.get("items").size() + second.get("items").size());
        assertProblem(api.get(API + "/users?page_size=1000", admin), 400, "invalid-query-parameter");
        Api.Response bad = api.get(API + "/users?page=abc", admin);
        assertProblem(bad, 400, "invalid-query-parameter");
        assertThat(bad.json().get("detail").asString())
                .as("a problem document is UTF-8 like every JSON answer")
                .endsWith("1–1000000");
        // Well-formed escapes still decode.
        assertThat(api.get(API + "/users?page=%31&page_size=%32", admin).json().get("items"))
                .hasSize(2);
        // Digits of other scripts (Arabic-Indic ٣, fullwidth ２) are not the integer the API documents: they were read
        // as 3 and 2, while "+5" was refused.
        assertProblem(api.get(API + "/users?page=%D9%A3", admin), 400, "invalid-query-parameter");
        assertProblem(api.get(API + "/users?page_size=%EF%BC%92", admin), 400, "invalid-query-parameter");
    }

    /**
     * A malformed percent-escape in a query parameter the API reads is refused naming the parameter, as a value that
     * is not a number is (the framework dropped the parameter: 200 with the first page). Over a raw socket: Java's
     * URI refuses to send such a request.
     */
    @Test
    void aMalformedEscapeInAQueryParameterIsA400NamingIt() throws Exception {
        URI base = URI.create("http://127.0.0.1:" + svc.service.port());
        for (String query : List.of("page=%zz", "page_size=1%", "page=1&page_size=%G1")) {
            io.vigil.test.RawHttp.Response r = io.vigil.test.RawHttp.send(
                    base,
                    "GET " + API + "/users?" + query + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin
                            + "\r\nConnection: close\r\n\r\n",
                    false);
            assertThat(r.status()).as("%s: %s", query, r).isEqualTo(400);
            assertThat(r.header("Content-Type")).startsWith("application/problem+json");
            JsonNode p = Api.JSON.readTree(r.body());
            assertThat(p.get("type").asString()).isEqualTo("urn:vigil:problem:invalid-query-parameter");
            String name = query.contains("page_size") ? "'page_size'" : "'page'";
            assertThat(p.get("detail").asString()).as(query).contains(name);
        }
    }

    @Test
    void changingThePasswordRequiresTheCurrentOneAndEndsSessions() {
        String email = uniqueEmail();
        register(email);
        JsonNode tokens = api.login(email, PASSWORD);
        String access = tokens.get("access_token").asString();
        String next = "another long passphrase 7";
        assertProblem(
                api.send(
                        "PUT",
                        API + "/users/me/password",
                        "{\"current_password\":\"not it at all\",\"new_password\":\"" + next + "\"}",
                        "application/json",
                        access,
                        Map.of()),
                400,
                "invalid-current-password");
        Api.Response changed = api.send(
                "PUT",
                API + "/users/me/password",
                "{\"current_password\":\"" + PASSWORD + "\",\"new_password\":\"" + next + "\"}",
                "application/json",
                access,
                Map.of());
        assertThat(changed.status()).isEqualTo(204);
        assertProblem(
                api.post(
                        API + "/auth/refresh",
                        Map.of("refresh_token", tokens.get("refresh_token").asString()),
                        null),
                401,
                "invalid-refresh-token");
        assertThat(api.login(email, next).get("access_token").asString()).isNotBlank();
    }

    // --- bad input -----------------------------------------------------------------------------

    static Stream<Arguments> badBodies() {
        return Stream.of(
                Arguments.of("{\"email\":", "application/json", 400, "malformed-json"),
                Arguments.of("not json", "application/json", 400, "malformed-json"),
                Arguments.of("", "application/json", 400, "missing-body"),
                Arguments.of("[]", "application/json", 400, "invalid-type"),
                Arguments.of("null", "application/json", 400, "invalid-type"),
                Arguments.of(
                        "{\"email\":123,\"password\":\"" + PASSWORD + "\",\"full_name\":\"X\"}",
                        "application/json",
                        400,
                        "invalid-type"),
                Arguments.of(
                        "{\"email\":\"a@example.com\",\"password\":true,\"full_name\":\"X\"}",
                        "application/json",
                        400,
                        "invalid-type"),
                Arguments.of(
                        "{\"email\":\"a@example.com\",\"password\":\"" + PASSWORD + "\",\"full_name\":{\"a\":1}}",
                        "application/json",
                        400,
                        "invalid-type"),
                Arguments.of(
                        "{\"email\":\"a@example.com\",\"password\":\"" + PASSWORD
                                + "\",\"full_name\":\"X\",\"role\":\"admin\"}",
                        "application/json",
                        400,
                        "unknown-field"),
                Arguments.of(
                        "{\"email\":\"a@example.com\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"X\"} {}",
                        "application/json",
                        400,
                        "malformed-json"),
                Arguments.of(
                        "{\"email\":\"a@example.com\",\"email\":\"b@example.com\",\"password\":\"" + PASSWORD
                                + "\",\"full_name\":\"X\"}",
                        "application/json",
                        400,
                        "duplicate-field"),
                Arguments.of("{\"email\":\"a@example.com\"}", "application/json", 422, "validation-failed"),
                Arguments.of(
                        "{\"email\":\"not-an-email\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"X\"}",
                        "application/json",
                        422,
                        "validation-failed"),
                // A trailing dot: mail to it reaches a@example.com's mailbox, yet it was a second account.
                Arguments.of(
                        "{\"email\":\"a@example.com.\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"X\"}",
                        "application/json",
                        422,
                        "validation-failed"),
                Arguments.of(
                        "{\"email\":\"a..b@example..com\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"X\"}",
                        "application/json",
                        422,
                        "validation-failed"),
                Arguments.of("email=a@example.com", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
                Arguments.of("{}", "text/plain", 415, "unsupported-media-type"));
    }

    @ParameterizedTest(name = "[{index}] {2} {3} for {0}")
    @MethodSource("badBodies")
    void badRegistrationBodiesGetAPrecise4xxAndWriteNothing(String body, String contentType, int status, String type)
            throws Exception {
        long users = count("SELECT COUNT(*) FROM users");
        long audits = count("SELECT COUNT(*) FROM audit_log");
        assertProblem(api.send("POST", API + "/auth/register", body, contentType, null, Map.of()), status, type);
        assertThat(count("SELECT COUNT(*) FROM users")).isEqualTo(users);
        assertThat(count("SELECT COUNT(*) FROM audit_log")).isEqualTo(audits);
    }

    /**
     * A repeated member is refused, not read as its last one: {@code {"email":"someone@…","email":"admin@…"}} logged
     * the administrator in while whatever read the first member (a proxy, a WAF, a log) saw another account.
     */
    @Test
    void aRepeatedMemberIs400NotTheLastOneWins() throws Exception {
        String body = "{\"email\":\"someone.else@example.com\",\"email\":\"" + TestService.ADMIN_EMAIL
                + "\",\"password\":\"" + TestService.ADMIN_PASSWORD + "\"}";
        Api.Response r = api.send("POST", API + "/auth/login", body, "application/json", null, Map.of());
        assertProblem(r, 400, "duplicate-field");
        assertThat(r.json().get("detail").asString()).isEqualTo("Field 'email' appears more than once");
        assertThat(r.text()).doesNotContain("access_token");
    }

    @Test
    void oversizedBodiesAre413() throws Exception {
        long users = count("SELECT COUNT(*) FROM users");
        String big = "{\"email\":\"a@example.com\",\"password\":\"" + "x".repeat(70_000) + "\",\"full_name\":\"X\"}";
        assertProblem(
                api.send("POST", API + "/auth/register", big, "application/json", null, Map.of()),
                413,
                "payload-too-large");
        assertThat(count("SELECT COUNT(*) FROM users")).isEqualTo(users);
    }

    @Test
    void sqlMetacharactersAreJustData() throws Exception {
        String name = "Robert'); DROP TABLE users;--";
        String email = "o'brien+" + UUID.randomUUID().toString().substring(0, 6) + "@example.com";
        Api.Response r =
                api.post(API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", name), null);
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.json().get("full_name").asString()).isEqualTo(name);
        assertProblem(
                api.post(API + "/auth/login", Map.of("email", "' OR '1'='1", "password", "' OR '1'='1"), null),
                401,
                "invalid-credentials");
        assertProblem(api.get(API + "/users/1%27%20OR%20%271%27=%271", admin), 404, "not-found");
        assertThat(count("SELECT COUNT(*) FROM users")).isPositive();
        assertThat(api.login(email, PASSWORD).get("access_token").asString()).isNotBlank();
    }

    @Test
    void unknownRoutesAndMethodsAreProblems() {
        assertProblem(api.get(API + "/nothing-here", null), 404, "not-found");
        Api.Response r = api.send("DELETE", API + "/auth/login", null, null, null, Map.of());
        assertProblem(r, 405, "method-not-allowed");
        assertThat(r.header("Allow")).contains("POST");
    }

    // --- 405 and Allow ----------------------------------------------------------------------------

    private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    /** One path of each shape of route, and exactly the methods its resource serves. */
    static Stream<Arguments> routeShapes() {
        String id = UUID.randomUUID().toString();
        return Stream.of(
                Arguments.of("/health", "GET, HEAD"), // a GET-only literal
                Arguments.of("/health/ready", "GET, HEAD"),
                Arguments.of("/openapi.json", "GET, HEAD"),
                Arguments.of("/.well-known/jwks.json", "GET, HEAD"),
                Arguments.of(API + "/auth/login", "POST"), // a POST-only literal
                Arguments.of(API + "/auth/register", "POST"),
                Arguments.of(API + "/auth/refresh", "POST"),
                Arguments.of(API + "/auth/verify", "POST"),
                Arguments.of(API + "/auth/logout", "POST"),
                Arguments.of(API + "/users", "GET, HEAD, POST"), // a collection
                Arguments.of(API + "/users/" + id, "GET, HEAD, PATCH, DELETE"), // a parameter
                Arguments.of(API + "/users/me", "GET, HEAD"), // a literal that the parameter's pattern also matches
                Arguments.of(API + "/users/me/", "GET, HEAD"),
                Arguments.of(API + "/users/me/password", "PUT"), // a literal under it
                Arguments.of(API + "/users/" + id + "/activate", "POST"), // a parameter's sub-resource
                Arguments.of(API + "/users/" + id + "/deactivate", "POST"),
                Arguments.of(API + "/users/" + id + "/unlock", "POST"));
    }

    /**
     * {@code Allow} lists exactly the methods the path's resource serves (RFC 9110 §15.5.6, §10.2.1): every other
     * method is 405 problem+json with that header, and no listed method is. {@code /users/me} listed PATCH and DELETE,
     * which reached the {@code /users/{id}} route and answered 404; they are 405 there now. HEAD is served wherever GET
     * is; OPTIONS nowhere (so never listed).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("routeShapes")
    void allowListsExactlyTheMethodsTheResourceServes(String path, String allow) {
        List<String> allowed = List.of(allow.split(", "));
        for (String method : METHODS) {
            Api.Response r = api.send(method, path, null, null, null, Map.of());
            if (allowed.contains(method)) {
                assertThat(r.status()).as("%s %s: %s", method, path, r.text()).isNotEqualTo(405);
            } else if (method.equals("HEAD")) {
                assertThat(r.status()).as("HEAD %s", path).isEqualTo(405);
                assertThat(r.header("Allow")).as("HEAD %s", path).isEqualTo(allow);
            } else {
                assertProblem(r, 405, "method-not-allowed");
                assertThat(r.header("Allow")).as("%s %s", method, path).isEqualTo(allow);
                assertThat(r.json().get("detail").asString()).contains(method);
            }
        }
    }

    /** A 405 is counted under the resource it was sent to, not with the 404s of paths no route knows. */
    @Test
    void a405IsCountedUnderItsResource() {
        Map<String, String> series = Map.of("endpoint", API + "/auth/login", "method", "DELETE", "status_code", "405");
        MetricSamples before = metrics();
        // Its server span is named for the resource too; waited for, as the metrics are recorded with it.
        Api.Response r = svc.answered(
                "DELETE " + API + "/auth/login",
                () -> api.send("DELETE", API + "/auth/login", null, null, null, Map.of()));
        assertProblem(r, 405, "method-not-allowed");
        assertThat(metrics().require("http_requests_total", series)
                        - before.find("http_requests_total", series)
                                .map(MetricSamples.Sample::value)
                                .orElse(0.0))
                .isEqualTo(1);
    }

    /**
     * With a valid token and a valid body, {@code PATCH} and {@code DELETE} on {@code /users/me} are still 405 (not an
     * update or deletion of "me", not a 404), and change nothing.
     */
    @Test
    void patchAndDeleteOnUsersMeAre405AndChangeNothing() throws Exception {
        String email = uniqueEmail();
        String id = register(email);
        String token = tokenOf(email);
        Api.Response patch = api.send(
                "PATCH", API + "/users/me", "{\"full_name\":\"Changed\"}", "application/json", token, Map.of());
        assertProblem(patch, 405, "method-not-allowed");
        assertThat(patch.header("Allow")).isEqualTo("GET, HEAD");
        Api.Response delete = api.send("DELETE", API + "/users/me", null, null, admin, Map.of());
        assertProblem(delete, 405, "method-not-allowed");
        assertThat(delete.header("Allow")).isEqualTo("GET, HEAD");
        assertThat(count("SELECT COUNT(*) FROM users WHERE id = ? AND full_name = 'Test User'", id))
                .isOne();
        assertThat(api.get(API + "/users/me", token).status()).isEqualTo(200);
        assertThat(api.get(API + "/users/me", admin).status()).isEqualTo(200);
    }

    // --- 415 for a coded body -----------------------------------------------------------------

    private static byte[] gzip(String text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static final java.net.http.HttpClient RAW_CLIENT = java.net.http.HttpClient.newHttpClient();

    /** Sends {@code json} gzip-compressed with {@code Content-Encoding: coding}. */
    Api.Response coded(String method, String path, String json, String coding, String token) {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + svc.service.port() + path))
                .timeout(java.time.Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Content-Encoding", coding)
                .method(method, java.net.http.HttpRequest.BodyPublishers.ofByteArray(gzip(json)));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            var r = RAW_CLIENT.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return new Api.Response(r.statusCode(), r.headers(), r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void assertUnsupportedCoding(Api.Response r) {
        assertThat(r.status()).as(r.text()).isEqualTo(415);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.header("Accept-Encoding")).isEqualTo("identity");
        JsonNode p = r.json();
        assertThat(p.get("status").asInt()).isEqualTo(415);
        assertThat(p.get("title").asString()).isEqualTo("Unsupported Media Type");
        assertThat(p.get("detail").asString()).contains("Content-Encoding");
        assertThat(r.text()).doesNotContain("Exception");
    }

    /**
     * A body with {@code Content-Encoding: gzip} (or any coding but identity) was read as text and answered 400 or
     * 422. Every endpoint that takes a body answers 415 with {@code Accept-Encoding: identity} before reading it (no
     * rate-limit token, no password work, no authentication), and nothing is written.
     */
    @Test
    void aCodedBodyIs415OnEveryEndpointThatTakesOneAndNothingIsWritten() throws Exception {
        String email = uniqueEmail();
        String id = register(email);
        JsonNode tokens = api.login(email, PASSWORD);
        String access = tokens.get("access_token").asString();
        String refresh = tokens.get("refresh_token").asString();
        String[] tables = {"users", "audit_log", "refresh_tokens", "revoked_access_tokens", "access_tokens"};
        long[] before = new long[tables.length];
        for (int i = 0; i < tables.length; i++) {
            before[i] = count("SELECT COUNT(*) FROM " + tables[i]);
        }
        String newUser = "{\"email\":\"" + uniqueEmail() + "\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"Z\"}";
        String[][] endpoints = {
            {"POST", API + "/auth/register", newUser, null},
            {"POST", API + "/auth/login", "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}", null},
            {"POST", API + "/auth/refresh", "{\"refresh_token\":\"" + refresh + "\"}", null},
            {"POST", API + "/auth/verify", "{\"token\":\"" + access + "\"}", null},
            {"POST", API + "/auth/logout", "{\"refresh_token\":\"" + refresh + "\"}", access},
            {"POST", API + "/users", newUser, admin},
            {"PATCH", API + "/users/" + id, "{\"full_name\":\"Changed\"}", admin},
            {
                "PUT",
                API + "/users/me/password",
                "{\"current_password\":\"" + PASSWORD + "\",\"new_password\":\"quite another passphrase 9\"}",
                access
            },
        };
        for (String coding : List.of("gzip", "x-gzip", "deflate", "br", "compress", "zstd", "identity, gzip")) {
            for (String[] e : endpoints) {
                Api.Response r = coded(e[0], e[1], e[2], coding, e[3]);
                assertThat(r.status())
                        .as("%s %s with %s: %s", e[0], e[1], coding, r.text())
                        .isEqualTo(415);
                assertUnsupportedCoding(r);
            }
        }
        for (int i = 0; i < tables.length; i++) {
            assertThat(count("SELECT COUNT(*) FROM " + tables[i])).as(tables[i]).isEqualTo(before[i]);
        }
        assertThat(count("SELECT COUNT(*) FROM users WHERE id = ? AND full_name = 'Test User'", id))
                .isOne();
        // The session, the refresh token and the password are as they were.
        assertThat(api.get(API + "/users/me", access).status()).isEqualTo(200);
        assertThat(api.post(API + "/auth/refresh", Map.of("refresh_token", refresh), null)
                        .status())
                .isEqualTo(200);
        assertThat(api.login(email, PASSWORD).get("access_token").asString()).isNotBlank();
        // identity is no coding at all
        Api.Response plain = api.send(
                "POST",
                API + "/auth/register",
                "{\"email\":\"" + uniqueEmail() + "\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"I\"}",
                "application/json",
                null,
                Map.of("Content-Encoding", "identity"));
        assertThat(plain.status()).as(plain.text()).isEqualTo(201);
    }

    @Test
    void invalidRequestIdsAreReplaced() {
        Api.Response r = api.send("GET", "/health", null, null, null, Map.of("X-Request-ID", "bad id with spaces"));
        assertThat(r.header("X-Request-ID")).isNotEqualTo("bad id with spaces").matches("[A-Za-z0-9._-]{1,64}");
        Api.Response c = api.send("GET", "/health", null, null, null, Map.of("X-Correlation-ID", "corr-1"));
        assertThat(c.header("X-Request-ID")).isEqualTo("corr-1");
    }

    // --- telemetry -----------------------------------------------------------------------------

    @Test
    void loginEmitsTheContractTraceTree() {
        String email = uniqueEmail();
        register(email);
        svc.spans.reset();
        try (LogCapture logs = new LogCapture()) {
            svc.answered("POST /api/v1/auth/login", () -> api.login(email, PASSWORD));

            List<SpanData> spans = svc.spans.getFinishedSpanItems();
            SpanData auth = only(spans, "auth.login.authenticate_user");
            assertThat(auth.getAttributes().get(AttributeKey.stringKey("auth.status")))
                    .isEqualTo("success");
            assertThat(auth.getAttributes().get(AttributeKey.stringKey("user.email")))
                    .contains("***@example.com")
                    .doesNotContain(email);
            // Inside the authentication: the password check and the database statements.
            SpanData password = only(spans, "password.validate.verify");
            assertThat(password.getParentSpanId()).isEqualTo(auth.getSpanId());
            assertThat(password.getAttributes().get(AttributeKey.booleanKey("security.relevant")))
                    .isTrue();
            assertThat(spans)
                    .filteredOn(s -> s.getKind() == SpanKind.CLIENT
                            && s.getParentSpanId().equals(auth.getSpanId()))
                    .as("database spans under the authentication")
                    .isNotEmpty();
            // Everything under the request's server span: the authentication, then the tokens.
            SpanData server = only(spans, "POST /api/v1/auth/login");
            assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
            assertThat(auth.getParentSpanId()).isEqualTo(server.getSpanId());
            SpanData access = only(spans, "token.generate.access.create_access_token");
            SpanData refresh = only(spans, "token.generate.refresh.create_refresh_token");
            assertThat(access.getParentSpanId()).isEqualTo(server.getSpanId());
            assertThat(refresh.getTraceId()).isEqualTo(server.getTraceId());
            assertThat(access.getStartEpochNanos()).isGreaterThanOrEqualTo(auth.getEndEpochNanos());

            Map<String, Object> log = logs.events(Map.of("event_type", "authentication", "auth_type", "login"))
                    .getFirst();
            assertThat(log).containsEntry("status", "success");
            assertThat(log.get("duration_seconds")).isInstanceOf(Double.class);
            assertThat((String) log.get("email")).contains("***@example.com").doesNotContain(email);
        }
    }

    private MetricSamples metrics() {
        return MetricSamples.parse(
                svc.vigil.metricsEndpoint().scrape("text/plain").text());
    }

    /** Every series of {@code name}, summed. */
    private static double total(MetricSamples samples, String name) {
        return samples.named(name).stream()
                .mapToDouble(MetricSamples.Sample::value)
                .sum();
    }

    private static double delta(MetricSamples before, MetricSamples after, String name, Map<String, String> labels) {
        return after.value(name, labels) - before.value(name, labels);
    }

    private static SpanData only(List<SpanData> spans, String name) {
        List<SpanData> named =
                spans.stream().filter(s -> s.getName().equals(name)).toList();
        assertThat(named).as("spans named " + name).hasSize(1);
        return named.getFirst();
    }

    @Test
    void noSignalCarriesPasswordsTokensOrRawEmails() {
        String email = uniqueEmail();
        try (LogCapture logs = new LogCapture()) {
            register(email);
            JsonNode tokens = api.login(email, PASSWORD);
            api.post(API + "/auth/login", Map.of("email", email, "password", "wrong password!"), null);
            api.post(
                    API + "/auth/refresh",
                    Map.of("refresh_token", tokens.get("refresh_token").asString()),
                    null);
            api.post(
                    API + "/auth/verify",
                    Map.of("token", tokens.get("access_token").asString()),
                    null);
            // The last request's access line and server span too: the client has the response before the server
            // has written them.
            svc.answered(
                    "GET " + API + "/users/me",
                    () -> api.get(
                            API + "/users/me?token="
                                    + tokens.get("access_token").asString(),
                            tokens.get("access_token").asString()));
            List<String> lines = new java.util.ArrayList<>(logs.lines());
            assertThat(lines).isNotEmpty();
            // Every signal: log lines, every span's attributes and events, and the metrics.
            for (SpanData span : svc.spans.getFinishedSpanItems()) {
                lines.add(span.getName() + " " + span.getAttributes() + " " + span.getEvents());
            }
            lines.add(metrics().text());
            for (String secret : List.of(
                    PASSWORD,
                    "wrong password!",
                    email,
                    tokens.get("access_token").asString(),
                    tokens.get("refresh_token").asString())) {
                assertThat(lines).noneMatch(l -> l.contains(secret));
            }
        }
    }
}
