package io.vigil.conventions.identity;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.MessageConsumption;
import io.vigil.core.Operation;
import io.vigil.core.Operations;
import io.vigil.test.LogEvent;
import io.vigil.test.VigilExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Per kind: the exact span, metric samples and log fields of the telemetry contract. */
class OperationKindsTest {
    private static final Operation LOGIN = Authentication.login("authenticate_user");

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private Operations ops() {
        return telemetry.operations();
    }

    @Test
    void successfulLoginEmitsSpanMetricsAndLogWithOneDuration() {
        ops().run(LOGIN, op -> op.userId("u-1").email("alice@example.com"));

        SpanData span = telemetry.span("auth.login.authenticate_user");
        assertThat(span.getAttributes().get(stringKey("auth.type"))).isEqualTo("login");
        assertThat(span.getAttributes().get(stringKey("auth.status"))).isEqualTo("success");
        assertThat(span.getAttributes().get(stringKey("user.id"))).isEqualTo("u-1");
        assertThat(span.getAttributes().get(stringKey("user.email"))).isEqualTo("a***@example.com");
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.OK);
        double spanSeconds = (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e9;
        assertThat(span.getAttributes().get(doubleKey("auth.duration_seconds"))).isEqualTo(spanSeconds);

        var metrics = telemetry.metrics();
        assertThat(metrics.value("authentication_attempts_total", Map.of("auth_type", "login", "status", "success")))
                .isEqualTo(1);
        assertThat(metrics.value("authentication_duration_seconds_count", Map.of("auth_type", "login")))
                .isEqualTo(1);
        assertThat(metrics.value("authentication_duration_seconds_sum", Map.of("auth_type", "login")))
                .isEqualTo(spanSeconds);
        assertThat(metrics.named("failed_login_attempts_total")).isEmpty();

        LogEvent log = telemetry.logs("authentication").getFirst();
        assertThat(log.level()).isEqualTo("INFO");
        assertThat(log.message()).isEqualTo("auth.login.authenticate_user success");
        assertThat(log.fields())
                .containsEntry("auth_type", "login")
                .containsEntry("operation_type", "login")
                .containsEntry("status", "success")
                .containsEntry("user_id", "u-1")
                .containsEntry("email", "a***@example.com")
                .containsEntry("duration_seconds", spanSeconds);
        assertThat(log.traceId()).isEqualTo(span.getTraceId());
        assertThat(log.spanId()).isEqualTo(span.getSpanId());
    }

    @Test
    void failedLoginCountsTheReasonAndMarksTheSpan() {
        ops().run(LOGIN, op -> op.failure("invalid_credentials"));

        SpanData span = telemetry.span("auth.login.authenticate_user");
        assertThat(span.getAttributes().get(stringKey("auth.status"))).isEqualTo("failure");
        assertThat(span.getAttributes().get(stringKey("auth.failure_reason"))).isEqualTo("invalid_credentials");
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        var metrics = telemetry.metrics();
        assertThat(metrics.value("authentication_attempts_total", Map.of("auth_type", "login", "status", "failure")))
                .isEqualTo(1);
        assertThat(metrics.value("failed_login_attempts_total", Map.of("reason", "invalid_credentials")))
                .isEqualTo(1);
        LogEvent log = telemetry.logs("authentication").getFirst();
        assertThat(log.level()).isEqualTo("WARN");
        assertThat(log.fields())
                .containsEntry("status", "failure")
                .containsEntry("failure_reason", "invalid_credentials");
    }

    @Test
    void undeclaredFailureReasonsBecomeOther() {
        ops().run(LOGIN, op -> op.failure("user bob@example.com not found"));
        assertThat(telemetry.metrics().value("failed_login_attempts_total", Map.of("reason", "other")))
                .isEqualTo(1);
        assertThat(telemetry.everything()).doesNotContain("bob@example.com");
    }

    @Test
    void refreshFailuresAreNotFailedLogins() {
        ops().run(Authentication.refresh("refresh_tokens"), op -> op.failure("token_expired"));
        var metrics = telemetry.metrics();
        assertThat(metrics.value("authentication_attempts_total", Map.of("auth_type", "refresh", "status", "failure")))
                .isEqualTo(1);
        assertThat(metrics.named("failed_login_attempts_total")).isEmpty();
    }

    @Test
    void userOperationNamesTheTargetAndActor() {
        ops().run(
                        UserOperation.of("create", "create_user"),
                        op -> op.userId("u-2").actorId("admin-1"));

        SpanData span = telemetry.span("user.create.create_user");
        assertThat(span.getAttributes().get(stringKey("user.operation.type"))).isEqualTo("create");
        assertThat(span.getAttributes().get(stringKey("user.operation.status"))).isEqualTo("success");
        assertThat(span.getAttributes().get(stringKey("user.target.id"))).isEqualTo("u-2");
        assertThat(span.getAttributes().get(stringKey("user.actor.id"))).isEqualTo("admin-1");
        assertThat(span.getAttributes().get(doubleKey("user.operation.duration_seconds")))
                .isNotNull();
        var metrics = telemetry.metrics();
        assertThat(metrics.value("user_operations_total", Map.of("operation_type", "create", "status", "success")))
                .isEqualTo(1);
        assertThat(metrics.value("user_operation_duration_seconds_count", Map.of("operation_type", "create")))
                .isEqualTo(1);
        assertThat(telemetry.logs("user_operation").getFirst().fields())
                .containsEntry("operation_type", "create")
                .containsEntry("target_user_id", "u-2")
                .containsEntry("actor_id", "admin-1");
    }

    @Test
    void tokenOperationCarriesBothTypes() {
        ops().run(TokenOperation.of("generate", "access", "create_access_token"), op -> op.userId("u-3"));

        SpanData span = telemetry.span("token.generate.access.create_access_token");
        assertThat(span.getAttributes().get(stringKey("token.operation.type"))).isEqualTo("generate");
        assertThat(span.getAttributes().get(stringKey("token.type"))).isEqualTo("access");
        assertThat(span.getAttributes().get(stringKey("token.operation.status")))
                .isEqualTo("success");
        assertThat(span.getAttributes().get(stringKey("user.id"))).isEqualTo("u-3");
        var metrics = telemetry.metrics();
        assertThat(metrics.value(
                        "token_operations_total",
                        Map.of("operation_type", "generate", "token_type", "access", "status", "success")))
                .isEqualTo(1);
        assertThat(metrics.value(
                        "token_operation_duration_seconds_count",
                        Map.of("operation_type", "generate", "token_type", "access")))
                .isEqualTo(1);
        assertThat(telemetry.logs("token_operation").getFirst().fields()).containsEntry("token_type", "access");
    }

    @Test
    void passwordOperationIsSecurityRelevant() {
        ops().run(PasswordOperation.of("change", "change_password"), op -> op.failure("policy_violation"));

        SpanData span = telemetry.span("password.change.change_password");
        assertThat(span.getAttributes().get(stringKey("password.operation.type")))
                .isEqualTo("change");
        assertThat(span.getAttributes().get(stringKey("password.operation.status")))
                .isEqualTo("failure");
        assertThat(span.getAttributes().get(booleanKey("security.relevant"))).isTrue();
        assertThat(telemetry
                        .metrics()
                        .value("password_operations_total", Map.of("operation_type", "change", "status", "failure")))
                .isEqualTo(1);
        assertThat(telemetry.logs("password_operation").getFirst().fields()).containsEntry("status", "failure");
    }

    @Test
    void deniedAuthorizationIsAFailureWithGrantedFalse() {
        ops().run(
                        AuthorizationCheck.of("user", "delete"),
                        op -> op.userId("u-4")
                                .attribute("authz.required_roles", "admin")
                                .attribute("authz.user_roles", "user")
                                .failure("missing_role"));

        SpanData span = telemetry.span("authz.user.delete");
        assertThat(span.getAttributes().get(stringKey("authz.resource"))).isEqualTo("user");
        assertThat(span.getAttributes().get(stringKey("authz.action"))).isEqualTo("delete");
        assertThat(span.getAttributes().get(booleanKey("authz.granted"))).isFalse();
        assertThat(span.getAttributes().get(stringKey("authz.required_roles"))).isEqualTo("admin");
        assertThat(span.getAttributes().get(stringKey("authz.user_roles"))).isEqualTo("user");
        assertThat(span.getAttributes().get(doubleKey("authz.duration_seconds")))
                .isNotNull();
        assertThat(telemetry
                        .metrics()
                        .value(
                                "authorization_checks_total",
                                Map.of("resource", "user", "action", "delete", "is_authorized", "false")))
                .isEqualTo(1);
        assertThat(telemetry.logs("authorization").getFirst().fields())
                .containsEntry("granted", false)
                .containsEntry("resource", "user")
                .containsEntry("action", "delete")
                .containsEntry("authz_required_roles", "admin");
    }

    @Test
    void securityEventCountsTypeAndSeverity() {
        ops().run(
                        SecurityEvent.of("account_locked", "high"),
                        op -> op.userId("u-5").attribute("security.event.failed_attempts", 5));

        SpanData span = telemetry.span("security.account_locked");
        assertThat(span.getAttributes().get(stringKey("security.event.type"))).isEqualTo("account_locked");
        assertThat(span.getAttributes().get(stringKey("security.event.severity")))
                .isEqualTo("high");
        assertThat(span.getAttributes().get(stringKey("user.id"))).isEqualTo("u-5");
        assertThat(span.getAttributes()
                        .get(io.opentelemetry.api.common.AttributeKey.longKey("security.event.failed_attempts")))
                .isEqualTo(5);
        assertThat(telemetry
                        .metrics()
                        .value("security_events_total", Map.of("event_type", "account_locked", "severity", "high")))
                .isEqualTo(1);
        assertThat(telemetry.logs("security").getFirst().fields())
                .containsEntry("security_event_type", "account_locked")
                .containsEntry("severity", "high")
                .containsEntry("user_id", "u-5");
    }

    @Test
    void databaseOperationCountsErrorsByType() {
        try {
            ops().run(DatabaseOperation.of("insert", "users", "insert_user"), op -> {
                throw new java.sql.SQLException("duplicate key");
            });
        } catch (java.sql.SQLException expected) {
            // rethrown unchanged
        }
        SpanData span = telemetry.span("db.insert.users");
        assertThat(span.getAttributes().get(stringKey("db.operation"))).isEqualTo("insert");
        assertThat(span.getAttributes().get(stringKey("db.sql.table"))).isEqualTo("users");
        assertThat(span.getAttributes().get(stringKey("db.operation.status"))).isEqualTo("error");
        assertThat(span.getEvents()).singleElement().satisfies(e -> {
            assertThat(e.getName()).isEqualTo("exception");
            assertThat(e.getAttributes().get(stringKey("exception.type"))).isEqualTo("java.sql.SQLException");
        });
        var metrics = telemetry.metrics();
        assertThat(metrics.value(
                        "database_operations_total",
                        Map.of("operation", "insert", "table", "users", "status", "error")))
                .isEqualTo(1);
        assertThat(metrics.value(
                        "database_operation_duration_seconds_count", Map.of("operation", "insert", "table", "users")))
                .isEqualTo(1);
        assertThat(metrics.value("db_errors_total", Map.of("operation", "insert", "error_type", "SQLException")))
                .isEqualTo(1);
        LogEvent log = telemetry.logs("database").getFirst();
        assertThat(log.level()).isEqualTo("ERROR");
        assertThat(log.exceptionType()).isEqualTo("java.sql.SQLException");
    }

    @Test
    void messageConsumptionCountsConsumedProcessedAndErrors() {
        ops().run(MessageConsumption.of("orders"), op -> {});
        try {
            ops().run(MessageConsumption.of("orders"), op -> {
                throw new IllegalStateException("sink down");
            });
        } catch (IllegalStateException expected) {
            // rethrown unchanged
        }
        var metrics = telemetry.metrics();
        assertThat(metrics.value("consumer_messages_consumed_total", Map.of())).isEqualTo(2);
        assertThat(metrics.value("consumer_messages_processed_total", Map.of("status", "success")))
                .isEqualTo(1);
        assertThat(metrics.value("consumer_messages_processed_total", Map.of("status", "error")))
                .isEqualTo(1);
        assertThat(metrics.value("consumer_processing_duration_seconds_count", Map.of()))
                .isEqualTo(2);
        assertThat(metrics.value("consumer_errors_total", Map.of("error_type", "IllegalStateException")))
                .isEqualTo(1);
        assertThat(telemetry.spans()).extracting(SpanData::getName).containsOnly("process orders");
        assertThat(telemetry.logs("consumer")).hasSize(2);
    }

    @Test
    void histogramsCarryExemplarsOfTheOperationSpan() {
        ops().run(LOGIN, op -> {});
        SpanData span = telemetry.span("auth.login.authenticate_user");
        String openMetrics = telemetry
                .runtime()
                .metricsEndpoint()
                .scrape("application/openmetrics-text; version=1.0.0")
                .text();
        assertThat(openMetrics).contains("trace_id=\"" + span.getTraceId() + "\"");
    }

    @Test
    void successfulDatabaseOperationsLogAtDebugOnly() {
        ops().run(DatabaseOperation.of("select", "users", "find_user"), op -> {});
        assertThat(telemetry.logs("database")).isEmpty(); // root logger at INFO in tests
        assertThat(telemetry
                        .metrics()
                        .value(
                                "database_operations_total",
                                Map.of("operation", "select", "table", "users", "status", "success")))
                .isEqualTo(1);
    }
}
