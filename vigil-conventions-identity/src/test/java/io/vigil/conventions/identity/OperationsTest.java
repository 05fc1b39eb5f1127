package io.vigil.conventions.identity;

import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.DomainFailure;
import io.vigil.core.MessageConsumption;
import io.vigil.core.Observed;
import io.vigil.core.Operation;
import io.vigil.core.OperationKind;
import io.vigil.core.OperationScope;
import io.vigil.test.MetricSamples;
import io.vigil.test.VigilExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The three ways to observe an operation, outcomes, async, nesting and the annotation proxy. */
class OperationsTest {
    private static final Operation LOGIN = Authentication.login("authenticate_user");
    private static final Operation ISSUE = TokenOperation.of("generate", "access", "create_access_token");

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private final ExecutorService pool = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    static final class InvalidCredentials extends RuntimeException implements DomainFailure {
        @Override
        public String failureReason() {
            return "invalid_credentials";
        }
    }

    @Test
    void observeReturnsTheResult() {
        String user = telemetry.operations().observe(LOGIN, op -> "u-1");
        assertThat(user).isEqualTo("u-1");
        assertThat(telemetry
                        .span("auth.login.authenticate_user")
                        .getAttributes()
                        .get(stringKey("auth.status")))
                .isEqualTo("success");
    }

    @Test
    void declaredOperationsHaveTheirCounterSeriesAtZeroFromTheFirstScrape() {
        // Prometheus takes a new series' first sample as its baseline: a lockout counter appearing at 12 would hide
        // the burst that made it appear from increase(), and with it from the alert.
        telemetry.operations().declare(LOGIN, SecurityEvent.of("account_locked", "high"));

        MetricSamples scrape = telemetry.metrics();
        for (String status : new String[] {"success", "failure", "error"}) {
            assertThat(scrape.require("authentication_attempts_total", Map.of("auth_type", "login", "status", status)))
                    .isZero();
        }
        for (String reason : Authentication.KIND.failureReasons()) {
            assertThat(scrape.require("failed_login_attempts_total", Map.of("reason", reason)))
                    .isZero();
        }
        assertThat(scrape.require("security_events_total", Map.of("event_type", "account_locked", "severity", "high")))
                .isZero();
        assertThat(scrape.named("security_events_total")).hasSize(1);
        assertThat(scrape.all())
                .as("no histogram observation is made up")
                .noneMatch(sample -> sample.name().startsWith("authentication_duration"));
        assertThat(telemetry.spans()).isEmpty();
        assertThat(telemetry.logs()).isEmpty();

        telemetry.operations().observe(LOGIN, op -> op.failure("invalid_credentials"));
        assertThat(telemetry.metrics().require("failed_login_attempts_total", Map.of("reason", "invalid_credentials")))
                .isEqualTo(1);
    }

    @Test
    void aVerificationDeclaresNoLoginOnlyCounter() {
        telemetry.operations().declare(Authentication.verify("verify_token"));

        assertThat(telemetry.metrics().named("failed_login_attempts_total")).isEmpty();
        assertThat(telemetry
                        .metrics()
                        .require("authentication_attempts_total", Map.of("auth_type", "verify", "status", "failure")))
                .isZero();
    }

    @Test
    void domainFailureExceptionsAreFailuresWithTheirReason() {
        assertThatThrownBy(() -> telemetry.operations().observe(LOGIN, op -> {
                    throw new InvalidCredentials();
                }))
                .isInstanceOf(InvalidCredentials.class);
        assertThat(telemetry.metrics().value("failed_login_attempts_total", Map.of("reason", "invalid_credentials")))
                .isEqualTo(1);
        assertThat(telemetry.span("auth.login.authenticate_user").getEvents()).isEmpty();
    }

    @Test
    void aRefusalMarkedBeforeTheBodyThrowsStaysARefusal() {
        // e.g. a handler that marks the reason, then throws its HTTP problem to answer it
        assertThatThrownBy(() -> telemetry.operations().observe(LOGIN, op -> {
                    op.failure("invalid_credentials");
                    throw new IllegalArgumentException("answered with 401");
                }))
                .isInstanceOf(IllegalArgumentException.class);
        SpanData span = telemetry.span("auth.login.authenticate_user");
        assertThat(span.getAttributes().get(stringKey("auth.status"))).isEqualTo("failure");
        assertThat(span.getEvents()).as("no exception event").isEmpty();
        assertThat(telemetry.metrics().value("failed_login_attempts_total", Map.of("reason", "invalid_credentials")))
                .isEqualTo(1);
        assertThat(telemetry.logs())
                .filteredOn(e -> "invalid_credentials".equals(e.field("failure_reason")))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.level()).isEqualTo("WARN");
                    assertThat(e.exceptionType()).isNull();
                });
    }

    @Test
    void otherExceptionsAreErrorsRecordedOnTheSpan() {
        assertThatThrownBy(() -> telemetry.operations().observe(LOGIN, op -> {
                    throw new IllegalStateException("database unavailable");
                }))
                .isInstanceOf(IllegalStateException.class);
        SpanData span = telemetry.span("auth.login.authenticate_user");
        assertThat(span.getAttributes().get(stringKey("auth.status"))).isEqualTo("error");
        assertThat(span.getEvents())
                .singleElement()
                .satisfies(e -> assertThat(e.getAttributes().get(stringKey("exception.message")))
                        .isEqualTo("database unavailable"));
        assertThat(telemetry
                        .metrics()
                        .value("authentication_attempts_total", Map.of("auth_type", "login", "status", "error")))
                .isEqualTo(1);
    }

    @Test
    void nestedOperationsFormOneTrace() {
        telemetry.operations().run(LOGIN, login -> telemetry.operations().run(ISSUE, issue -> {}));
        SpanData parent = telemetry.span("auth.login.authenticate_user");
        SpanData child = telemetry.span("token.generate.access.create_access_token");
        assertThat(child.getTraceId()).isEqualTo(parent.getTraceId());
        assertThat(child.getParentSpanId()).isEqualTo(parent.getSpanId());
    }

    @Test
    void scopeRestoresTheCallersContext() {
        Span before = Span.current();
        try (OperationScope op = telemetry.operations().start(LOGIN)) {
            assertThat(Span.current()).isSameAs(op.span());
            op.event("password_checked");
        }
        assertThat(Span.current()).isSameAs(before);
        assertThat(telemetry.span("auth.login.authenticate_user").getEvents())
                .extracting(e -> e.getName())
                .containsExactly("password_checked");
    }

    @Test
    void asyncOperationsEndWhenTheFutureCompletesOnAnotherThread() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> result = telemetry
                .operations()
                .observeAsync(
                        ISSUE,
                        () -> CompletableFuture.supplyAsync(
                                () -> {
                                    awaitLatch(release);
                                    return "token";
                                },
                                pool));
        assertThat(telemetry.spans()).isEmpty();
        release.countDown();
        assertThat(result.get()).isEqualTo("token");
        await().atMost(Duration.ofSeconds(5)).until(() -> telemetry.spans().size() == 1);
        assertThat(telemetry
                        .span("token.generate.access.create_access_token")
                        .getAttributes()
                        .get(stringKey("token.operation.status")))
                .isEqualTo("success");
        assertThat(telemetry.logs("token_operation").getFirst().traceId())
                .isEqualTo(telemetry.spans().getFirst().getTraceId());
    }

    @Test
    void failedFuturesEndTheOperationAsFailureOrError() {
        CompletableFuture<String> failed = telemetry
                .operations()
                .observeAsync(
                        LOGIN,
                        () -> CompletableFuture.supplyAsync(
                                () -> {
                                    throw new InvalidCredentials();
                                },
                                pool));
        assertThatThrownBy(failed::join).hasCauseInstanceOf(InvalidCredentials.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> telemetry.spans().size() == 1);
        assertThat(telemetry.metrics().value("failed_login_attempts_total", Map.of("reason", "invalid_credentials")))
                .isEqualTo(1);
    }

    interface AuthService {
        @Observed(kind = "authentication", values = "login")
        String authenticateUser(String email, String password);

        @Observed(
                kind = "token_operation",
                values = {"generate", "access"},
                name = "create_access_token")
        CompletableFuture<String> issueToken(String userId);

        String notObserved();
    }

    static final class RealAuthService implements AuthService {
        @Override
        public String authenticateUser(String email, String password) {
            if (!password.equals("right")) {
                throw new InvalidCredentials();
            }
            return "u-1";
        }

        @Override
        public CompletableFuture<String> issueToken(String userId) {
            return CompletableFuture.completedFuture("token-for-" + userId);
        }

        @Override
        public String notObserved() {
            return "plain";
        }
    }

    @Test
    void annotatedInterfaceMethodsAreObservedThroughAProxy() {
        // @Observed names its kind: the kinds are registered first (nothing is pre-registered).
        IdentityConventions.registerWith(telemetry.operations());
        AuthService auth = telemetry.operations().instrument(AuthService.class, new RealAuthService());

        assertThat(auth.authenticateUser("a@example.com", "right")).isEqualTo("u-1");
        assertThatThrownBy(() -> auth.authenticateUser("a@example.com", "wrong"))
                .isInstanceOf(InvalidCredentials.class);
        assertThat(auth.issueToken("u-1").join()).isEqualTo("token-for-u-1");
        assertThat(auth.notObserved()).isEqualTo("plain");

        assertThat(telemetry.spans())
                .extracting(SpanData::getName)
                .containsExactly(
                        "auth.login.authenticate_user",
                        "auth.login.authenticate_user",
                        "token.generate.access.create_access_token");
        var metrics = telemetry.metrics();
        assertThat(metrics.value("authentication_attempts_total", Map.of("auth_type", "login", "status", "success")))
                .isEqualTo(1);
        assertThat(metrics.value("failed_login_attempts_total", Map.of("reason", "invalid_credentials")))
                .isEqualTo(1);
    }

    @Test
    void unknownKindsInAnnotationsAreRejectedWhenInstrumenting() {
        interface Broken {
            @Observed(kind = "no_such_kind")
            void call();
        }
        assertThatThrownBy(() -> telemetry.operations().instrument(Broken.class, () -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no_such_kind");
    }

    @Test
    void aNewKindIsOneDeclaration() {
        OperationKind payment = OperationKind.builder("payment")
                .dimension("method", "payment.method", java.util.Set.of("card", "invoice"))
                .spanName(op -> "payment." + op.value(0) + "." + op.name())
                .outcome("status", "payment.status", OperationKind.OutcomeEncoding.STATUS)
                .durationSpanAttribute("payment.duration_seconds")
                .counter("payments_total", "Payments", OperationKind.Trigger.END, "method", "status")
                .durationHistogram("payment_duration_seconds", "Payment duration", "method")
                .build();
        telemetry.operations().register(payment);
        telemetry.operations().run(payment.operation("charge", "card"), op -> {});

        assertThat(telemetry.span("payment.card.charge").getAttributes().get(stringKey("payment.status")))
                .isEqualTo("success");
        assertThat(telemetry.metrics().value("payments_total", Map.of("method", "card", "status", "success")))
                .isEqualTo(1);
        assertThat(telemetry.operations().catalogue()).contains(payment);
        assertThat(telemetry.logs("payment")).hasSize(1);
    }

    @Test
    void anUnregisteredKindIsUnknownToAnnotationsUntilRegistered() {
        assertThatThrownBy(() -> telemetry.operations().instrument(AuthService.class, new RealAuthService()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown operation kind authentication");
        telemetry.operations().register(Authentication.KIND).register(TokenOperation.KIND);
        assertThat(telemetry.operations().instrument(AuthService.class, new RealAuthService()))
                .isNotNull();
    }

    @Test
    void theCatalogueListsOnlyTheKindsThisServiceUses() {
        assertThat(telemetry.operations().catalogue()).isEmpty();
        telemetry.operations().run(LOGIN, op -> {});
        assertThat(telemetry.operations().catalogue()).containsExactly(Authentication.KIND);
    }

    @Test
    void registeringTheIdentityConventionsListsTheirInstruments() {
        IdentityConventions.registerWith(telemetry.operations())
                .register(DatabaseOperation.KIND)
                .register(MessageConsumption.KIND);
        var expected = new java.util.ArrayList<>(IdentityConventions.kinds());
        expected.add(DatabaseOperation.KIND);
        expected.add(MessageConsumption.KIND);
        assertThat(telemetry.operations().catalogue()).containsExactlyInAnyOrderElementsOf(expected);
        var names = telemetry.operations().catalogue().stream()
                .flatMap(k -> k.instruments().stream())
                .map(OperationKind.Instrument::name)
                .toList();
        assertThat(names)
                .contains(
                        "authentication_attempts_total",
                        "authentication_duration_seconds",
                        "failed_login_attempts_total",
                        "user_operations_total",
                        "user_operation_duration_seconds",
                        "token_operations_total",
                        "token_operation_duration_seconds",
                        "password_operations_total",
                        "security_events_total",
                        "authorization_checks_total",
                        "database_operations_total",
                        "database_operation_duration_seconds",
                        "db_errors_total",
                        "consumer_messages_consumed_total",
                        "consumer_messages_processed_total",
                        "consumer_processing_duration_seconds",
                        "consumer_errors_total");
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
