package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.assertProblem;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.test.MetricSamples;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * What an attacker could learn or do that the API must not allow, over real HTTP, once per database
 * ({@link H2SecurityTest}, {@link PostgresSecurityTest}): signals that tell a right guess from a
 * wrong one, tokens that outlive the session they belong to, an administrator-less service, and
 * characters that are not what they seem.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SecurityContractTest {
    private static final String API = "/api/v1";
    private static final String OTHER_PASSWORD = "another long passphrase 7";

    TestService svc;
    Api api;

    abstract String databaseUrl();

    void dropDatabase(String url) {}

    @BeforeAll
    void startService() {
        svc = new TestService(databaseUrl());
        api = svc.api;
    }

    @AfterAll
    void stopService() {
        if (svc != null) {
            svc.close();
            dropDatabase(svc.databaseUrl);
        }
    }

    private String register(String email) {
        Api.Response r = api.post(
                API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Sec User"), null);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /** A login, returned once the server has ended its telemetry too: the signals of one attempt are compared. */
    private Api.Response login(String email, String password) {
        return svc.answered(
                "POST " + API + "/auth/login",
                () -> api.post(API + "/auth/login", Map.of("email", email, "password", password), null));
    }

    private Api.Response changePassword(String token, String current, String next) {
        return api.send(
                "PUT",
                API + "/users/me/password",
                Api.JSON.writeValueAsString(Map.of("current_password", current, "new_password", next)),
                "application/json",
                token,
                Map.of());
    }

    private long count(String sql, Object... args) throws Exception {
        return svc.count(sql, args);
    }

    // --- defect 2: signals must not tell a right guess from a wrong one ------------------------

    /** Every counter and histogram count, scraped over HTTP from the management port. */
    private Map<String, Double> counters() {
        Api.Response r = svc.management.get("/metrics", null);
        assertThat(r.status()).isEqualTo(200);
        Map<String, Double> out = new TreeMap<>();
        for (MetricSamples.Sample s : MetricSamples.parse(r.text()).all()) {
            if (s.name().endsWith("_total") || s.name().endsWith("_count")) {
                out.put(s.name() + new TreeMap<>(s.labels()), s.value());
            }
        }
        return out;
    }

    /**
     * What one request changed in every counter (series that did not move are left out), without
     * the series background jobs move: a security notification queued by an earlier request may be
     * delivered at any poll of the scheduler, in the middle of the measurement (its task metrics, its
     * insert into notification_outbox, its spans). The request's own spans are compared one by one
     * by {@link #tracesAndLogsOf}.
     */
    private Map<String, Double> deltaOf(Runnable request) {
        Map<String, Double> before = counters();
        request.run();
        Map<String, Double> after = counters();
        Map<String, Double> delta = new TreeMap<>();
        after.forEach((k, v) -> {
            double d = v - before.getOrDefault(k, 0.0);
            if (d != 0 && !background(k)) {
                delta.put(k, d);
            }
        });
        return delta;
    }

    private static boolean background(String series) {
        return series.startsWith("task_")
                || series.contains("table=notification_outbox")
                || series.startsWith("otel_sdk_span_");
    }

    /** The spans and log events of one request, without what differs on every request (ids, times). */
    private List<String> tracesAndLogsOf(Runnable request) {
        svc.spans.reset();
        List<String> out = new ArrayList<>();
        try (LogCapture logs = new LogCapture()) {
            request.run();
            for (Map<String, Object> e : logs.events(Map.of())) {
                if (!"task".equals(e.get("event_type"))) { // a background job's, delivered meanwhile
                    out.add("log " + stable(e));
                }
            }
        }
        // The request's trace only (background work, such as the token purge, has traces of its own).
        List<SpanData> spans = svc.spans.getFinishedSpanItems();
        String trace = spans.stream()
                .filter(s -> s.getName().equals("POST /api/v1/auth/login"))
                .findFirst()
                .orElseThrow()
                .getTraceId();
        for (SpanData s : spans) {
            if (!s.getTraceId().equals(trace)) {
                continue;
            }
            Map<String, Object> attributes = new HashMap<>();
            s.getAttributes().forEach((k, v) -> attributes.put(k.getKey(), v));
            out.add("span " + s.getName() + " " + s.getStatus().getStatusCode() + " " + stable(attributes));
        }
        out.sort(null);
        return out;
    }

    private static Map<String, Object> stable(Map<String, Object> fields) {
        Map<String, Object> out = new TreeMap<>(fields);
        out.keySet()
                .removeIf(k -> k.contains("duration")
                        || k.contains("request_id")
                        || k.contains("request.id")
                        || k.contains("port")
                        || k.contains("size")
                        || k.equals("thread.id")
                        || k.equals("thread.name")
                        || k.contains("profile"));
        return out;
    }

    private void lock(String email) {
        for (int i = 0; i < 3; i++) { // threshold 3 in TestService
            assertProblem(login(email, "wrong password!"), 401, "invalid-credentials");
        }
    }

    @Test
    void aLockedAccountLooksTheSameInEverySignalWhetherTheGuessIsRightOrWrong() {
        String email = uniqueEmail();
        register(email);
        lock(email);
        Runnable right = () -> assertProblem(login(email, PASSWORD), 401, "invalid-credentials");
        Runnable wrong = () -> assertProblem(login(email, "wrong password!"), 401, "invalid-credentials");

        Map<String, Double> rightDelta = deltaOf(right);
        Map<String, Double> wrongDelta = deltaOf(wrong);
        assertThat(rightDelta).isNotEmpty().isEqualTo(wrongDelta);
        assertThat(tracesAndLogsOf(right)).isNotEmpty().isEqualTo(tracesAndLogsOf(wrong));
    }

    @Test
    void anInactiveAccountLooksTheSameInEverySignalWhetherTheGuessIsRightOrWrong() {
        String email = uniqueEmail();
        String id = register(email);
        String admin = svc.adminToken();
        assertThat(api.post(API + "/users/" + id + "/deactivate", null, admin).status())
                .isEqualTo(200);
        Runnable right = () -> assertProblem(login(email, PASSWORD), 401, "invalid-credentials");
        Runnable wrong = () -> assertProblem(login(email, "wrong password!"), 401, "invalid-credentials");

        assertThat(deltaOf(right)).isNotEmpty().isEqualTo(deltaOf(wrong));
        assertThat(tracesAndLogsOf(right)).isNotEmpty().isEqualTo(tracesAndLogsOf(wrong));
        // And an inactive account is not locked by guessing at it.
        for (int i = 0; i < 3; i++) {
            wrong.run();
        }
        assertThat(api.post(API + "/users/" + id + "/activate", null, admin).status())
                .isEqualTo(200);
        assertThat(login(email, PASSWORD).status()).isEqualTo(200);
    }

    @Test
    void unknownAndKnownEmailsLookTheSameInTheMetrics() {
        String known = uniqueEmail();
        register(known);
        Map<String, Double> knownDelta =
                deltaOf(() -> assertProblem(login(known, "wrong password!"), 401, "invalid-credentials"));
        Map<String, Double> unknownDelta =
                deltaOf(() -> assertProblem(login(uniqueEmail(), "wrong password!"), 401, "invalid-credentials"));
        assertThat(knownDelta).isNotEmpty().isEqualTo(unknownDelta);
    }

    // --- defect 3: a token issued before the session ended is refused, always ------------------

    @Test
    void aPasswordChangeEndsTokensIssuedInTheSameSecond() {
        String email = uniqueEmail();
        register(email);
        String current = PASSWORD;
        // Token, change, old token: several rounds, so tokens issued in the same second as the
        // change (the case second-precision comparison let through) are always among them.
        for (int round = 0; round < 6; round++) {
            String next = current.equals(PASSWORD) ? OTHER_PASSWORD : PASSWORD;
            String token = svcLogin(email, current).get("access_token").asString();
            assertThat(changePassword(token, current, next).status()).isEqualTo(204);
            assertProblem(api.get(API + "/users/me", token), 401, "invalid-token");
            // A token issued after the change works, in the same second too.
            String fresh = svcLogin(email, next).get("access_token").asString();
            assertThat(api.get(API + "/users/me", fresh).status()).isEqualTo(200);
            current = next;
        }
    }

    private JsonNode svcLogin(String email, String password) {
        Api.Response r = login(email, password);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    @Test
    void deactivatingAndReactivatingEndsTheTokensIssuedBefore() {
        String email = uniqueEmail();
        String id = register(email);
        String admin = svc.adminToken();
        for (int round = 0; round < 3; round++) {
            String token = svcLogin(email, PASSWORD).get("access_token").asString();
            assertThat(api.post(API + "/users/" + id + "/deactivate", null, admin)
                            .status())
                    .isEqualTo(200);
            assertThat(api.post(API + "/users/" + id + "/activate", null, admin).status())
                    .isEqualTo(200);
            assertProblem(api.get(API + "/users/me", token), 401, "invalid-token");
        }
    }

    @Test
    void aReusedRefreshTokenEndsTheAccessTokensOfItsFamilyAtOnce() {
        String email = uniqueEmail();
        register(email);
        JsonNode first = svcLogin(email, PASSWORD);
        Api.Response rotated = api.post(
                API + "/auth/refresh",
                Map.of("refresh_token", first.get("refresh_token").asString()),
                null);
        assertThat(rotated.status()).isEqualTo(200);
        // A second rotation, so the first token is no longer the one just rotated.
        Api.Response again = api.post(
                API + "/auth/refresh",
                Map.of("refresh_token", rotated.json().get("refresh_token").asString()),
                null);
        assertThat(again.status()).isEqualTo(200);
        String otherSession = svcLogin(email, PASSWORD).get("access_token").asString();
        for (JsonNode t : List.of(first, rotated.json(), again.json())) {
            assertThat(api.get(API + "/users/me", t.get("access_token").asString())
                            .status())
                    .isEqualTo(200);
        }

        // The stolen token presented again: theft. Every access token of the family ends now.
        assertProblem(
                api.post(
                        API + "/auth/refresh",
                        Map.of("refresh_token", first.get("refresh_token").asString()),
                        null),
                401,
                "invalid-refresh-token");
        for (JsonNode t : List.of(first, rotated.json(), again.json())) {
            assertProblem(api.get(API + "/users/me", t.get("access_token").asString()), 401, "invalid-token");
        }
        // Another session (another family) of the same user is not the thief's.
        assertThat(api.get(API + "/users/me", otherSession).status()).isEqualTo(200);
    }

    // --- defect 4: password change attempts are limited and count towards the lockout ---------

    @Test
    void wrongCurrentPasswordsCountTowardsTheLockout() throws Exception {
        String email = uniqueEmail();
        String id = register(email);
        String token = svcLogin(email, PASSWORD).get("access_token").asString();
        try (LogCapture logs = new LogCapture()) {
            for (int i = 0; i < 3; i++) { // threshold 3
                assertProblem(changePassword(token, "not it at all", OTHER_PASSWORD), 400, "invalid-current-password");
            }
            assertThat(logs.events(Map.of("security_event_type", "account_locked", "user_id", id)))
                    .hasSize(1);
        }
        // Locked: no more guesses, not even the right one, and no login either.
        Api.Response locked = changePassword(token, PASSWORD, OTHER_PASSWORD);
        assertProblem(locked, 429, "account-locked");
        assertThat(Long.parseLong(locked.header("Retry-After"))).isBetween(1L, 600L);
        assertProblem(login(email, PASSWORD), 401, "invalid-credentials");
        assertThat(count(
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'account_locked' AND resource = ?",
                        "user:" + id))
                .isEqualTo(1);
    }

    // --- defect 11: some administrator always remains ------------------------------------------

    @Test
    void theLastAdministratorCannotDemoteDeactivateOrDeleteThemselves() throws Exception {
        String admin = svc.adminToken();
        String adminId = api.get(API + "/users/me", admin).json().get("id").asString();
        assertThat(count("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = TRUE"))
                .isEqualTo(1);
        assertProblem(
                api.send(
                        "PATCH", API + "/users/" + adminId, "{\"role\":\"user\"}", "application/json", admin, Map.of()),
                409,
                "last-admin");
        assertProblem(api.post(API + "/users/" + adminId + "/deactivate", null, admin), 409, "cannot-deactivate-self");
        assertProblem(
                api.send("DELETE", API + "/users/" + adminId, null, null, admin, Map.of()), 409, "cannot-delete-self");
        assertThat(api.get(API + "/users/me", admin).json().get("role").asString())
                .isEqualTo("admin");
    }

    @Test
    void twoAdministratorsRemovingEachOtherAtOnceLeaveOne() throws Exception {
        // A service of its own: here the bootstrap administrator is demoted.
        try (TestService own = new TestService(databaseUrl())) {
            try {
                Api a = own.api;
                String rootToken = own.adminToken();
                String rootId =
                        a.get(API + "/users/me", rootToken).json().get("id").asString();
                for (String action : List.of("demote", "deactivate", "delete")) {
                    String email = uniqueEmail();
                    Api.Response created = a.post(
                            API + "/users",
                            Map.of("email", email, "password", PASSWORD, "full_name", "Second", "role", "admin"),
                            rootToken);
                    assertThat(created.status()).isEqualTo(201);
                    String secondId = created.json().get("id").asString();
                    String secondToken =
                            a.login(email, PASSWORD).get("access_token").asString();
                    assertThat(countIn(own, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = TRUE"))
                            .isEqualTo(2);

                    CountDownLatch go = new CountDownLatch(1);
                    String firstId = rootId;
                    String firstToken = rootToken;
                    Callable<Api.Response> rootRemovesSecond = () -> {
                        go.await();
                        return remove(a, action, secondId, firstToken);
                    };
                    Callable<Api.Response> secondRemovesRoot = () -> {
                        go.await();
                        return remove(a, action, firstId, secondToken);
                    };
                    List<Api.Response> answers = new ArrayList<>();
                    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
                        Future<Api.Response> x = pool.submit(rootRemovesSecond);
                        Future<Api.Response> y = pool.submit(secondRemovesRoot);
                        go.countDown();
                        answers.add(x.get());
                        answers.add(y.get());
                    }
                    assertThat(countIn(own, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = TRUE"))
                            .as(action + ": "
                                    + answers.stream().map(Api.Response::text).toList())
                            .isEqualTo(1);
                    // Exactly one succeeded; the other was refused (409, or 401 when the winner had
                    // already ended the loser's session before it was authenticated).
                    assertThat(answers.stream().filter(r -> r.status() < 300).count())
                            .isEqualTo(1);
                    assertThat(answers)
                            .filteredOn(r -> r.status() >= 300)
                            .singleElement()
                            .satisfies(r -> assertThat(r.status()).isIn(401, 403, 409));
                    // Whoever remains is the administrator for the next round.
                    boolean rootRemains = countIn(
                                    own,
                                    "SELECT COUNT(*) FROM users WHERE id = ? AND role = 'admin' AND active = TRUE",
                                    rootId)
                            == 1;
                    if (!rootRemains) {
                        rootId = secondId;
                        rootToken = a.login(email, PASSWORD).get("access_token").asString();
                    }
                }
            } finally {
                dropDatabase(own.databaseUrl);
            }
        }
    }

    private static Api.Response remove(Api a, String action, String target, String token) {
        return switch (action) {
            case "demote" ->
                a.send("PATCH", API + "/users/" + target, "{\"role\":\"user\"}", "application/json", token, Map.of());
            case "deactivate" -> a.post(API + "/users/" + target + "/deactivate", null, token);
            default -> a.send("DELETE", API + "/users/" + target, null, null, token, Map.of());
        };
    }

    private static long countIn(TestService s, String sql, Object... args) throws Exception {
        return s.count(sql, args);
    }

    // --- defect 13: characters that are not what they seem ------------------------------------

    @ParameterizedTest(name = "[{index}] email {0}")
    @ValueSource(
            strings = {
                "\\ud800a@example.com", // a lone surrogate, escaped in the JSON
                "evil\\u202e@example.com", // right-to-left override
                "zero\\u200bwidth@example.com", // zero-width space
                "line\\u2028sep@example.com", // line separator
                "bom\\ufeff@example.com",
                "nb\\u00a0sp@example.com"
            })
    void emailsWithInvalidUnicodeOrInvisibleCharactersAre400AndNothingIsStored(String email) throws Exception {
        long users = count("SELECT COUNT(*) FROM users");
        String body = "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"Eve\"}";
        Api.Response r = api.send("POST", API + "/auth/register", body, "application/json", null, Map.of());
        assertProblem(r, 400, "invalid-characters");
        assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("email");
        assertThat(count("SELECT COUNT(*) FROM users")).isEqualTo(users);
    }

    @ParameterizedTest(name = "[{index}] full_name {0}")
    @ValueSource(strings = {"Ann\\udc00", "Ann\\u202eEvil", "Ann\\u0007", "Ann\\u2028B", "Ann\\u200bB"})
    void namesWithInvalidUnicodeOrControlOrFormatCharactersAre400(String name) throws Exception {
        long users = count("SELECT COUNT(*) FROM users");
        String body = "{\"email\":\"" + uniqueEmail() + "\",\"password\":\"" + PASSWORD + "\",\"full_name\":\"" + name
                + "\"}";
        Api.Response r = api.send("POST", API + "/auth/register", body, "application/json", null, Map.of());
        assertProblem(r, 400, "invalid-characters");
        assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("full_name");
        assertThat(count("SELECT COUNT(*) FROM users")).isEqualTo(users);
    }

    @Test
    void aPasswordWithALoneSurrogateIsRefusedNotHashedAsQuestionMark() {
        String body = "{\"email\":\"" + uniqueEmail() + "\",\"password\":\"a long passphrase \\ud800\","
                + "\"full_name\":\"Pat\"}";
        assertProblem(
                api.send("POST", API + "/auth/register", body, "application/json", null, Map.of()),
                400,
                "invalid-characters");
    }

    @Test
    void namesAreStoredInNfcAndJoinersAndAstralCharactersStay() {
        String decomposed =
                "Zoe\u0301 \uD83D\uDC69\u200D\uD83D\uDCBB Ka\u0301ra\u200Cn"; // é as e + accent, ZWJ emoji, ZWNJ
        Api.Response r = api.post(
                API + "/auth/register",
                Map.of("email", uniqueEmail(), "password", PASSWORD, "full_name", decomposed),
                null);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        String stored = r.json().get("full_name").asString();
        assertThat(stored).isEqualTo(java.text.Normalizer.normalize(decomposed, java.text.Normalizer.Form.NFC));
        assertThat(stored).contains("\u00e9").contains("\u200D").contains("\u200C");
    }

    /**
     * A domain is taken as IDNA maps it: {@code jane@ｅｘａｍｐｌｅ.com} (fullwidth letters) and {@code
     * jane@example。com} (an ideographic full stop) reach jane@example.com's mailbox, and were second accounts.
     */
    @Test
    void aDomainInFullwidthFormIsTheSameAddress() {
        String local = "wide" + java.util.UUID.randomUUID().toString().substring(0, 6);
        register(local + "@example.com");
        for (String lookalike :
                List.of(local + "@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", local + "@example\u3002com")) {
            assertProblem(
                    api.post(
                            API + "/auth/register",
                            Map.of("email", lookalike, "password", PASSWORD, "full_name", "Again"),
                            null),
                    409,
                    "email-taken");
        }
    }

    @Test
    void anEmailInDecomposedFormLogsInToTheSameAccount() {
        String local = "jos" + java.util.UUID.randomUUID().toString().substring(0, 6);
        String composed = local + "\u00e9@example.com";
        String decomposed = local + "e\u0301@example.com";
        register(composed);
        assertThat(login(decomposed, PASSWORD).status()).isEqualTo(200);
        assertProblem(
                api.post(
                        API + "/auth/register",
                        Map.of("email", decomposed, "password", PASSWORD, "full_name", "Again"),
                        null),
                409,
                "email-taken");
    }

    // --- one normalisation of an email for registration, login and lookups ----------------------

    /** The account {@code token} belongs to. */
    private String idOf(Api.Response login) {
        assertThat(login.status()).as(login.text()).isEqualTo(200);
        Api.Response me =
                api.get(API + "/users/me", login.json().get("access_token").asString());
        assertThat(me.status()).as(me.text()).isEqualTo(200);
        return me.json().get("id").asString();
    }

    /** {@code ascii} (printable ASCII) in its fullwidth forms, U+FF01–U+FF5E. */
    private static String fullwidth(String ascii) {
        StringBuilder b = new StringBuilder();
        ascii.chars().forEach(c -> b.append(c > 0x20 && c < 0x7f ? (char) (c - 0x21 + 0xff01) : (char) c));
        return b.toString();
    }

    private Api.Response registerAs(String email) {
        return api.post(
                API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Look Alike"), null);
    }

    /**
     * Login looked the address up lower-cased only, while registration had mapped its domain through IDNA: {@code
     * x@bücher.example} could not log in typed as {@code x@xn--bcher-kva.example}, with a decomposed {@code ü}, or in
     * fullwidth letters. One normalisation now serves both, and every form is the one account.
     */
    @Test
    void anInternationalisedDomainLogsInToTheSameAccountHoweverItIsTyped() throws Exception {
        String local = "idn" + java.util.UUID.randomUUID().toString().substring(0, 6);
        String id = register(local + "@b\u00fccher.example");
        assertThat(count("SELECT COUNT(*) FROM users WHERE email = ?", local + "@b\u00fccher.example"))
                .as("stored in the mapped (Unicode) form")
                .isOne();
        for (String typed : List.of(
                local + "@b\u00fccher.example",
                local + "@xn--bcher-kva.example", // the A-label (punycode)
                local + "@XN--BCHER-KVA.EXAMPLE",
                local + "@bu\u0308cher.example", // ü decomposed
                local.toUpperCase(java.util.Locale.ROOT) + "@B\u00dcCHER.Example",
                local + "@\uff42\u00fc\uff43\uff48\uff45\uff52.example", // fullwidth letters
                " " + local + "@b\u00fccher.example ")) {
            assertThat(idOf(login(typed, PASSWORD))).as(typed).isEqualTo(id);
        }
        long users = count("SELECT COUNT(*) FROM users");
        long audit = count("SELECT COUNT(*) FROM audit_log WHERE action = 'register'");
        assertProblem(registerAs(local + "@xn--bcher-kva.example"), 409, "email-taken");
        assertThat(count("SELECT COUNT(*) FROM users")).isEqualTo(users);
        assertThat(count("SELECT COUNT(*) FROM audit_log WHERE action = 'register'"))
                .isEqualTo(audit);
    }

    /**
     * {@code ｍａｒｉｏ@example.com} (a fullwidth local part) registered a second account that looked like {@code
     * mario@example.com} everywhere it was shown. The local part is folded (NFKC, as PRECIS username preparation
     * does): the look-alike is the same address, a sign-up with it is 409 and writes nothing, and login with either
     * form reaches the one account — with its password only, and a wrong one counts towards that account's lockout.
     */
    @Test
    void aFullwidthLocalPartIsTheSameAccountNotALookAlike() throws Exception {
        String local = "mario" + java.util.UUID.randomUUID().toString().substring(0, 6);
        String ascii = local + "@example.com";
        String wide = fullwidth(local) + "@example.com";
        String id = register(ascii);
        long users = count("SELECT COUNT(*) FROM users");
        long audit = count("SELECT COUNT(*) FROM audit_log WHERE action IN ('register', 'create_user')");

        for (String lookalike :
                List.of(wide, fullwidth(ascii), fullwidth(local.toUpperCase(java.util.Locale.ROOT)) + "@example.com")) {
            Api.Response r = registerAs(lookalike);
            assertProblem(r, 409, "email-taken");
        }
        assertThat(count("SELECT COUNT(*) FROM users")).isEqualTo(users);
        assertThat(count("SELECT COUNT(*) FROM audit_log WHERE action IN ('register', 'create_user')"))
                .isEqualTo(audit);
        assertThat(count("SELECT COUNT(*) FROM users WHERE email = ?", wide)).isZero();

        assertThat(idOf(login(ascii, PASSWORD))).isEqualTo(id);
        assertThat(idOf(login(wide, PASSWORD))).isEqualTo(id);
        assertThat(idOf(login(fullwidth(ascii), PASSWORD))).isEqualTo(id);
        assertProblem(login(wide, OTHER_PASSWORD), 401, "invalid-credentials");
        assertThat(count("SELECT failed_attempts FROM users WHERE id = ?", id))
                .as("the failure counts against the one account")
                .isOne();
        assertProblem(login(ascii, OTHER_PASSWORD), 401, "invalid-credentials");
        assertThat(count("SELECT failed_attempts FROM users WHERE id = ?", id)).isEqualTo(2);
        assertThat(idOf(login(ascii, PASSWORD))).isEqualTo(id); // a success resets the count
    }

    /** The other way round: an address typed in fullwidth form is stored as its ASCII form, which then is taken. */
    @Test
    void aFullwidthAddressIsStoredInItsFoldedForm() throws Exception {
        String local = "luigi" + java.util.UUID.randomUUID().toString().substring(0, 6);
        String ascii = local + "@example.com";
        Api.Response created = registerAs(fullwidth(ascii)); // ＠ and ． too
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().get("email").asString()).isEqualTo(ascii);
        String id = created.json().get("id").asString();
        long users = count("SELECT COUNT(*) FROM users");
        assertProblem(registerAs(ascii), 409, "email-taken");
        assertThat(count("SELECT COUNT(*) FROM users")).isEqualTo(users);
        assertThat(idOf(login(ascii, PASSWORD))).isEqualTo(id);

        // An administrator's change of someone's email folds the same way: the look-alike of another is taken.
        String admin = svc.adminToken();
        String other = register("peach" + java.util.UUID.randomUUID().toString().substring(0, 6) + "@example.com");
        Api.Response patch = api.send(
                "PATCH",
                API + "/users/" + other,
                Api.JSON.writeValueAsString(Map.of("email", fullwidth(local) + "@example.com")),
                "application/json",
                admin,
                Map.of());
        assertProblem(patch, 409, "email-taken");
        assertThat(count("SELECT COUNT(*) FROM users WHERE email = ?", ascii)).isOne();
    }
}
