package io.vigil.dashboards;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The alert rules Vigil generates for one service: every alert of the source documents, translated
 * to the contract's metric names (with their two slips fixed: {@code failed_login_attempts_total}
 * and {@code status_code}), plus multi-window, multi-burn-rate SLO alerts on HTTP availability and
 * latency. An alert is generated only when the service's {@link MetricCatalogue} holds the metrics it
 * reads; every expression on the service's own series is scoped by {@code job="<job>"} of its {@link
 * ServiceTarget} (the exporters' alerts by the exporters' jobs), log alerts by its {@code service}
 * stream label. Every expression is written through {@link MetricCatalogue#select(String)}; every
 * alert carries promtool cases, on the target's job and instance.
 */
public final class StandardAlerts {
    /** Prometheus job of postgres-exporter. */
    public static final String POSTGRES_JOB = "postgres";
    /** Prometheus job of redis-exporter. */
    public static final String REDIS_JOB = "redis";

    /** Availability objective: share of requests answered without a 5xx. */
    public static final double AVAILABILITY_OBJECTIVE = 0.999;
    /** Latency objective: share of requests answered within {@link #LATENCY_THRESHOLD_SECONDS}. */
    public static final double LATENCY_OBJECTIVE = 0.99;
    /** The bucket boundary the latency objective counts against; the HTTP histogram must have it. */
    public static final String LATENCY_THRESHOLD_SECONDS = "0.5";
    /** {@code TaskFailureRatio} fires above this share of failed executions of a task. */
    public static final double TASK_FAILURE_RATIO = 0.1;
    /** {@code ConsumerLagHigh} fires when a group's lag on one topic exceeds this many messages. */
    public static final int CONSUMER_LAG_THRESHOLD = 1000;
    /** {@code IngestLatencyHigh} fires when the ingest API's p95 exceeds this (seconds). */
    public static final int INGEST_P95_SECONDS = 1;
    /** {@code TaskBacklogAge} fires when a task's oldest due job has waited longer (seconds). */
    public static final int TASK_BACKLOG_SECONDS = 300;
    /** {@code RecurringTaskNotSucceeding}: how long without a success, while runs fail (seconds). */
    public static final int RECURRING_TASK_WINDOW_SECONDS = 3600;
    /** The recorded Apdex score per job over 5 minutes (T = 0.1 s, tolerating within 4T = 0.4 s). */
    public static final String APDEX_RECORD = "job:http_apdex:ratio_rate5m";

    /** The file name (without the service's prefix and extension) of the Loki rules. */
    public static final String LOG_ALERTS_FILE = "log-alerts";
    /**
     * Every rule file name {@link #groups} and {@link #logAlerts} may produce, so the generator knows
     * which files in a shared directory are this service's.
     */
    public static final List<String> FILES = List.of(
            "identity",
            "http",
            "database",
            "infrastructure",
            "consumers",
            "pipeline",
            "tasks",
            "traces",
            "slo",
            LOG_ALERTS_FILE);

    private static final String PG_LABELS = "job=\"" + POSTGRES_JOB + "\",instance=\"postgres-exporter:9187\"";
    private static final String REDIS_LABELS = "job=\"" + REDIS_JOB + "\",instance=\"redis-exporter:9121\"";
    private static final List<String> SLO_WINDOWS = List.of("5m", "30m", "1h", "2h", "6h", "1d", "3d");

    private final MetricCatalogue c;
    private final ServiceTarget target;
    /** The target's labels in promtool input series. */
    private final String svcLabels;

    private final Map<String, String> svcJob;
    private final Map<String, String> svcInstance;

    private StandardAlerts(MetricCatalogue catalogue, ServiceTarget target) {
        this.c = catalogue;
        this.target = target;
        this.svcLabels = "job=\"" + target.job() + "\",instance=\"" + target.instance() + "\"";
        this.svcJob = Map.of("job", target.job());
        this.svcInstance = Map.of("job", target.job(), "instance", target.instance());
    }

    /** The uid of this service's dashboard {@code name}, for the alerts' {@code dashboard} links. */
    private String dashboard(String name) {
        return StandardDashboards.uid(target, name);
    }

    /** The non-empty rule groups generated from {@code catalogue} for {@code target}. */
    public static List<RuleGroup> groups(MetricCatalogue catalogue, ServiceTarget target) {
        StandardAlerts a = new StandardAlerts(catalogue, target);
        return List.of(
                        a.identity(),
                        a.http(),
                        a.database(),
                        a.infrastructure(),
                        a.consumers(),
                        a.pipeline(),
                        a.tasks(),
                        a.traces(),
                        a.slo())
                .stream()
                .filter(g -> !g.alerts().isEmpty() || !g.recordingRules().isEmpty())
                .toList();
    }

    /**
     * Alerts on logs, for Loki's ruler (LogQL, so promtool cannot test them): one per log-based alert
     * class of document 003 that the service has, on the contract's stream labels ({@code service}
     * from {@code target}, {@code environment}, upper-case {@code level}) and JSON fields. 003's
     * payment, GDPR, LLM and token-usage alerts have no counterpart (no Vigil convention has them).
     */
    public static RuleGroup logAlerts(MetricCatalogue catalogue, ServiceTarget target) {
        StandardAlerts a = new StandardAlerts(catalogue, target);
        return new RuleGroup(
                LOG_ALERTS_FILE,
                "vigil-logs",
                "1m",
                List.of(),
                a.rules()
                        .always(a.highErrorLogRate())
                        .when("database_operations_total", a::databaseErrorLogs)
                        .when("authentication_attempts_total", a::authenticationErrorLogs)
                        .always(a.taskFailureLogs())
                        .when("http_requests_total", a::validationErrorLogs)
                        .when("authorization_checks_total", a::blockedAccountDeletions)
                        .list);
    }

    // ---- groups -------------------------------------------------------------------------------

    /** Alerts of one group, each added only when the catalogue holds the metrics it reads. */
    private final class Rules {
        private final List<AlertRule> list = new ArrayList<>();

        Rules when(List<String> metrics, Supplier<AlertRule> alert) {
            if (c.containsAll(metrics.toArray(String[]::new))) {
                list.add(alert.get());
            }
            return this;
        }

        Rules when(String metric, Supplier<AlertRule> alert) {
            return when(List.of(metric), alert);
        }

        Rules always(AlertRule alert) {
            list.add(alert);
            return this;
        }

        RuleGroup group(String file, String name) {
            return new RuleGroup(file, name, "30s", List.of(), list);
        }
    }

    private Rules rules() {
        return new Rules();
    }

    private RuleGroup identity() {
        return rules().when("authentication_attempts_total", this::highAuthenticationFailureRate)
                .when("failed_login_attempts_total", this::highFailedLoginRate)
                .when("security_events_total", this::accountLockoutSpike)
                // 403s are HTTP's, but only a service that checks authorization tells them apart
                .when(List.of("http_requests_total", "authorization_checks_total"), this::unauthorizedAccessAttempts)
                .when("user_operations_total", this::signupSurge)
                .group("identity", "vigil-identity");
    }

    private RuleGroup http() {
        return rules().when("http_requests_total", this::highErrorRate)
                .when("http_requests_total", this::highServerErrorRate)
                .when("http_request_duration_seconds", this::slowResponseTime)
                .when("http_request_duration_seconds", this::slowResponseTimeP95)
                .when("ws_connections_active", this::highWebSocketConnections)
                .when("rate_limit_hits_total", this::rateLimitAbuse)
                .group("http", "vigil-http");
    }

    private RuleGroup database() {
        return rules().when("database_operation_duration_seconds", this::slowDatabaseQueries)
                .when(List.of("db_connections_active", "db_connections_max"), this::databaseConnectionPoolExhausted)
                .group("database", "vigil-database");
    }

    private RuleGroup infrastructure() {
        return rules().when("up", this::serviceDown)
                .when(List.of("up", "pg_up"), this::databaseDown)
                .when(List.of("up", "redis_up"), this::redisDown)
                .when(List.of("jvm_memory_used_bytes", "jvm_memory_limit_bytes"), this::highMemoryUsage)
                .when("jvm_cpu_recent_utilization", this::highCPUUsage)
                .group("infrastructure", "vigil-infrastructure");
    }

    private RuleGroup consumers() {
        return rules().when("consumer_processing_duration_seconds", this::consumerSlowProcessing)
                .when("consumer_lag", this::consumerLagHigh)
                .when(List.of("consumer_errors_total", "consumer_messages_consumed_total"), this::consumerErrorRate)
                .group("consumers", "vigil-consumers");
    }

    private RuleGroup pipeline() {
        return rules().when("event_ingest_duration_seconds", this::ingestLatencyHigh)
                .group("pipeline", "vigil-pipeline");
    }

    private RuleGroup tasks() {
        return rules().when("task_executions_total", this::taskFailureRatio)
                .when("task_queue_oldest_wait_seconds", this::taskBacklogAge)
                .when(
                        List.of("task_executions_total", "task_last_success_timestamp_seconds"),
                        this::recurringTaskFailing)
                .group("tasks", "vigil-tasks");
    }

    private RuleGroup traces() {
        return rules().when("traces_spanmetrics_calls_total", this::highTraceErrorRate)
                .group("traces", "vigil-traces");
    }

    // ---- log alerts ---------------------------------------------------------------------------

    /** The service's log stream at {@code level}. */
    private String stream(String level) {
        return "{service=\"" + target.service() + "\", level=\"" + level + "\"}";
    }

    private AlertRule highErrorLogRate() {
        return AlertRule.builder("HighErrorLogRate")
                .expr("sum by (service) (rate(" + stream("ERROR") + " [5m])) > 0.1")
                .forDuration("2m")
                .severity(Severity.CRITICAL, "003 sets critical (PagerDuty + email) for its error-log alert")
                .label("component", "logs")
                .summary("Many error logs")
                .description("{{ $labels.service }} writes {{ $value | humanize }} ERROR lines per second"
                        + " (threshold 0.1/s).")
                .runbook("Open the logs explorer's Errors panel; exception.type and the trace_id link lead to the"
                        + " failing request.")
                .dashboard(dashboard(StandardDashboards.LOGS))
                .covers(
                        "003 Grafana alert HighErrorRate: rate({service=\"revel\", level=\"error\"} |= \"unhandled_exception\""
                                + " [5m]) > 0.1 for 2m, on our stream labels")
                .build();
    }

    private AlertRule databaseErrorLogs() {
        return AlertRule.builder("DatabaseErrorLogs")
                .expr("sum by (service) (count_over_time(" + stream("ERROR")
                        + " | json | event_type=\"database\" [5m])) > 0")
                .forDuration("1m")
                .severity(Severity.CRITICAL, "003 lists database errors as critical")
                .label("component", "database")
                .summary("Database operations fail")
                .description("{{ $labels.service }} logged {{ $value | humanize }} failed database operations in 5"
                        + " minutes.")
                .runbook("The lines carry exception.type and the table; a DatabaseDown firing at the same time"
                        + " explains them (and silences this alert). Otherwise open the trace of a line (trace_id).")
                .dashboard(dashboard(StandardDashboards.DATABASE))
                .covers("003 critical alerts (database errors): ERROR lines with event_type=\"database\"")
                .build();
    }

    private AlertRule authenticationErrorLogs() {
        return AlertRule.builder("AuthenticationErrorLogs")
                .expr("sum by (service) (count_over_time(" + stream("ERROR")
                        + " | json | event_type=\"authentication\" [5m])) > 0")
                .forDuration("1m")
                .severity(Severity.HIGH, "003 puts authentication issues at high")
                .label("component", "security")
                .summary("Authentication is failing with errors")
                .description("{{ $labels.service }} logged {{ $value | humanize }} authentications that ended in an"
                        + " error (not a wrong password) in 5 minutes.")
                .runbook("Errors, unlike failures, mean the user store or the signing key is broken: check"
                        + " exception.type in the lines and the database alerts.")
                .dashboard(dashboard(StandardDashboards.AUTH))
                .covers("003 high alerts (authentication issues): ERROR lines with event_type=\"authentication\"")
                .build();
    }

    private AlertRule taskFailureLogs() {
        return AlertRule.builder("TaskFailureLogs")
                .expr("sum by (service, task_name) (count_over_time(" + stream("ERROR")
                        + " | json | task_name!=\"\" [15m])) > 0")
                .forDuration("0m")
                .severity(Severity.WARNING, "003 puts task failures at warning")
                .label("component", "tasks")
                .summary("A background task fails")
                .description("{{ $labels.service }}: task {{ $labels.task_name }} logged {{ $value | humanize }} errors"
                        + " in 15 minutes.")
                .runbook("Each line has task_id and exception.type; a task started by a request carries that"
                        + " request's trace_id.")
                .dashboard(dashboard(StandardDashboards.LOGS))
                .covers("003 warning alerts (task failures): ERROR lines of background work (task_name set by"
                        + " ContextPropagation.runTask)")
                .build();
    }

    private AlertRule validationErrorLogs() {
        return AlertRule.builder("ValidationErrorLogs")
                .expr("sum by (service) (rate(" + stream("WARN")
                        + " | json | event_type=\"http_request\" | status_code=~\"400|422\" [5m])) > 1")
                .forDuration("10m")
                .severity(Severity.WARNING, "003 puts validation errors at warning")
                .label("component", "http")
                .summary("Many requests fail validation")
                .description("{{ $labels.service }} answers {{ $value | humanize }} requests per second with 400 or"
                        + " 422 (threshold 1/s).")
                .runbook("Group the lines by endpoint: one endpoint after a deploy is a client/server contract"
                        + " change; many endpoints from one ip_address is a scanner.")
                .dashboard(dashboard(StandardDashboards.LOGS))
                .covers("003 warning alerts (validation errors): access-log lines with status_code 400 or 422")
                .build();
    }

    private AlertRule blockedAccountDeletions() {
        return AlertRule.builder("BlockedAccountDeletions")
                .expr("sum by (service) (count_over_time(" + stream("WARN")
                        + " | json | event_type=\"authorization\" | resource=\"user\" | action=\"delete\""
                        + " | status=\"failure\" [15m])) > 0")
                .forDuration("0m")
                .severity(Severity.INFO, "003 puts blocked account deletions at info")
                .label("component", "users")
                .summary("Account deletions were refused")
                .description("{{ $labels.service }} refused {{ $value | humanize }} account deletions in 15 minutes.")
                .runbook("The lines name the actor (user_id) whose role did not allow it; many from one user is"
                        + " probing, otherwise nothing to do unless a user asks.")
                .dashboard(dashboard(StandardDashboards.USERS))
                .covers("003 info alerts (blocked account deletions): WARN authorization lines for deleting a"
                        + " user with status=\"failure\"")
                .build();
    }

    // ---- service alerts -----------------------------------------------------------------------

    private AlertRule highAuthenticationFailureRate() {
        return AlertRule.builder("HighAuthenticationFailureRate")
                .expr(perInstance(rate(svc("authentication_attempts_total").eq("status", "failure"))) + " > 10")
                .forDuration("5m")
                .severity(Severity.HIGH, "003 puts authentication issues at high (000 had warning)")
                .label("component", "security")
                .summary("High authentication failure rate")
                .description(
                        "{{ $labels.job }}: {{ $value | humanize }} failed authentications per second for 5 minutes"
                                + " (threshold 10/s).")
                .runbook("Look at failed logins by reason and the failure logs: a credential-stuffing burst shows many"
                        + " invalid_credentials from few ip_address values; rate-limit or block them. A spike of"
                        + " 'error' instead of 'failure' points at the user store, not at attackers.")
                .dashboard(dashboard(StandardDashboards.AUTH))
                .exemplars(exemplarsOf("authentication_duration_seconds", true))
                .covers("000 (identity service) HighAuthenticationFailureRate:"
                        + " rate(authentication_attempts_total{status=\"failure\"}[5m]) > 10, summed per job")
                .test(AlertTest.given(
                                "burst of failed logins",
                                "authentication_attempts_total{" + svcLabels
                                        + ",auth_type=\"login\",status=\"failure\"}",
                                counter(1, 15))
                        .and(
                                "authentication_attempts_total{" + svcLabels
                                        + ",auth_type=\"login\",status=\"success\"}",
                                counter(5, 5))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "15"))
                .build();
    }

    private AlertRule highFailedLoginRate() {
        return AlertRule.builder("HighFailedLoginRate")
                .expr(perInstance(rate(svc("failed_login_attempts_total"))) + " > 10")
                .forDuration("5m")
                .severity(Severity.HIGH, "003 puts authentication issues at high (004 had warning)")
                .label("component", "security")
                .summary("High rate of failed login attempts")
                .description("{{ $labels.job }}: {{ $value | humanize }} failed logins per second (threshold 10/s).")
                .runbook("Break failed_login_attempts_total down by reason on the authentication dashboard; many"
                        + " rate_limited or account_locked reasons mean the defences are already working, many"
                        + " invalid_credentials mean they are not yet.")
                .dashboard(dashboard(StandardDashboards.AUTH))
                .exemplars(exemplarsOf("authentication_duration_seconds", true))
                .covers("004 (HTTP service) HighFailedLoginRate: rate(auth_attempts_total{status=\"failed\"}[5m]) > 10;"
                        + " in our names failed_login_attempts_total (000's failed_login_attempts is this counter)")
                .test(AlertTest.given(
                                "failed logins climb",
                                "failed_login_attempts_total{" + svcLabels + ",reason=\"invalid_credentials\"}",
                                counter(2, 12))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "12"))
                .build();
    }

    private AlertRule accountLockoutSpike() {
        return AlertRule.builder("AccountLockoutSpike")
                .expr(perInstance("increase("
                                + svc("security_events_total")
                                        .eq("event_type", "account_locked")
                                        .over("5m") + ")")
                        + " > 5")
                .forDuration("2m")
                .severity(
                        Severity.CRITICAL,
                        "000 sets critical: legitimate users are locked out, a failure users feel, which is more than 003's high for authentication issues")
                .label("component", "security")
                .summary("Multiple account lockouts detected")
                .description("{{ $labels.job }}: {{ $value | humanize }} accounts locked in 5 minutes (threshold 5).")
                .runbook("Many lockouts at once is a brute-force or credential-stuffing attack against many accounts,"
                        + " or a client retrying with a stale password. Check the security events log panel for the"
                        + " ip_address values and block at the edge; unlock legitimate users afterwards.")
                .dashboard(dashboard(StandardDashboards.AUTH))
                .exemplars(exemplarsOf("authentication_duration_seconds", true))
                .covers(
                        "000 AccountLockoutSpike: increase(security_events_total{event_type=\"account_locked\"}[5m]) > 5")
                .test(AlertTest.given(
                                "twelve lockouts in a few minutes",
                                "security_events_total{" + svcLabels
                                        + ",event_type=\"account_locked\",severity=\"high\"}",
                                "0x10 1+2x29")
                        .silentAt("10m")
                        .firesAt("20m", svcInstance, "10"))
                .build();
    }

    private AlertRule unauthorizedAccessAttempts() {
        return AlertRule.builder("UnauthorizedAccessAttempts")
                .expr(perInstance(rate(svc("http_requests_total").eq("status_code", "403"))) + " > 5")
                .forDuration("5m")
                .severity(
                        Severity.HIGH,
                        "003 puts authentication issues at high; refused authorization is one (004 had warning)")
                .label("component", "security")
                .summary("High rate of unauthorized access attempts")
                .description("{{ $labels.job }}: {{ $value | humanize }} responses with status 403 per second"
                        + " (threshold 5/s).")
                .runbook("Find the endpoint and user_id in the authorization logs ({ span.authz.granted = false } in"
                        + " Tempo): a single user probing many resources is an attack, many users on one endpoint"
                        + " is usually a role misconfiguration after a deploy.")
                .dashboard(dashboard(StandardDashboards.AUTH))
                .exemplars(exemplarsOf("http_request_duration_seconds", true))
                .covers("004 UnauthorizedAccessAttempts: rate(http_requests_total{status_code=\"403\"}[5m]) > 5")
                .test(AlertTest.given(
                                "403 burst",
                                "http_requests_total{" + svcLabels
                                        + ",method=\"DELETE\",endpoint=\"/api/v1/users/{id}\",status_code=\"403\"}",
                                counter(0, 6))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "6"))
                .build();
    }

    private AlertRule signupSurge() {
        return AlertRule.builder("SignupSurge")
                .expr(perInstance(rate(svc("user_operations_total")
                                .eq("operation_type", "create")
                                .eq("status", "success")))
                        + " > 0.1")
                .forDuration("10m")
                .severity(Severity.INFO, "003 puts user behaviour patterns at info: worth knowing, nobody paged")
                .label("component", "users")
                .summary("Many new accounts")
                .description("{{ $labels.job }} ({{ $labels.instance }}): {{ $value | humanize }} accounts created per"
                        + " second for 10 minutes (threshold 0.1/s).")
                .runbook("A campaign or a bot signing up: compare with the registration rate limit hits and the"
                        + " ip_address values of the user_operation create logs; many from few addresses is a bot.")
                .dashboard(dashboard(StandardDashboards.USERS))
                .exemplars(exemplarsOf("user_operation_duration_seconds", true))
                .covers(
                        "003 info alerts (user behaviour patterns), on user_operations_total{operation_type=\"create\"}")
                .test(AlertTest.given(
                                "a sign-up wave",
                                "user_operations_total{" + svcLabels + ",operation_type=\"create\",status=\"success\"}",
                                counter(0.01, 1))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "1"))
                .build();
    }

    private AlertRule highErrorRate() {
        return AlertRule.builder("HighErrorRate")
                .expr(serverErrorRate() + " / " + requestRate() + " > 0.05")
                .forDuration("5m")
                .severity(Severity.CRITICAL, "004 sets critical; 003 lists a high error rate as critical")
                .label("component", "http")
                .summary("High HTTP error rate")
                .description("{{ $labels.job }}: {{ $value | humanizePercentage }} of requests fail with a 5xx"
                        + " (threshold 5%).")
                .runbook("Open the service overview: errors by endpoint shows where, the logs explorer's error panel"
                        + " shows why (exception.type). Click an exemplar on the latency graph to open a failing"
                        + " trace. Roll back if it started with a deploy.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", true))
                .covers(
                        "004 HighErrorRate: rate(http_requests_total{status_code=~\"5..\"}[5m]) / rate(http_requests_total[5m])"
                                + " > 0.05; also 002's 'alert if error rate > 5%'")
                .test(httpErrors().silentAt("10m").firesAt("30m", svcInstance, "10%"))
                .build();
    }

    private AlertRule highServerErrorRate() {
        return AlertRule.builder("HighServerErrorRate")
                .expr(serverErrorRate() + " > 1")
                .forDuration("5m")
                .severity(Severity.CRITICAL, "000 sets critical; 003 lists a high error rate as critical")
                .label("component", "http")
                .summary("High HTTP 5xx rate")
                .description(
                        "{{ $labels.job }}: {{ $value | humanize }} responses with a 5xx per second (threshold 1/s).")
                .runbook("Same as HighErrorRate; this one also fires when traffic is high enough that a small"
                        + " error share is many failing users.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", true))
                .covers("000 HighErrorRate: rate(http_requests_total{status=~\"5..\"}[5m]) > 1, with the contract's"
                        + " label status_code instead of status")
                .test(AlertTest.given(
                                "5xx at 2/s",
                                "http_requests_total{" + svcLabels
                                        + ",method=\"GET\",endpoint=\"/api/v1/users\",status_code=\"503\"}",
                                counter(0, 2))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "2"))
                .build();
    }

    private AlertRule slowResponseTime() {
        return AlertRule.builder("SlowResponseTime")
                .expr(quantile(0.99, svc("http_request_duration_seconds").bucket(), "job, instance") + " > 1")
                .forDuration("5m")
                .severity(Severity.WARNING, "004 sets warning: slow, not failing")
                .label("component", "http")
                .summary("Slow response time (p99 > 1s)")
                .description("{{ $labels.job }}: 99th percentile latency is {{ $value | humanize }}s (threshold 1s).")
                .runbook("Find the slow endpoint on the service overview (p99 by endpoint), open an exemplar trace"
                        + " and see which span takes the time: database spans point at the database dashboard,"
                        + " CPU-bound work at the JVM dashboard's CPU flame graph.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", true))
                .covers("004 SlowResponseTime: histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[5m]))"
                        + " > 1, aggregated by (job, le) as histogram_quantile needs")
                .test(slowHistogram("all requests slow down", "http_request_duration_seconds", httpLabels())
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "2.485"))
                .build();
    }

    private AlertRule slowResponseTimeP95() {
        return AlertRule.builder("SlowResponseTimeP95")
                .expr(quantile(0.95, svc("http_request_duration_seconds").bucket(), "job, instance") + " > 1")
                .forDuration("5m")
                .severity(Severity.WARNING, "002 gives none; latency is a warning as in 004")
                .label("component", "http")
                .summary("Slow response time (p95 > 1s)")
                .description("{{ $labels.job }}: 95th percentile latency is {{ $value | humanize }}s (threshold 1s).")
                .runbook("As SlowResponseTime: most requests, not just a tail, are slow; suspect a saturated"
                        + " dependency (connection pool pending > 0, database latency) before the code.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", true))
                .covers(
                        "002 (event pipeline) request latency: histogram_quantile(0.95, …_request_duration_seconds_bucket),"
                                + " 'alert if p95 > 1s'")
                .test(slowHistogram("all requests slow down", "http_request_duration_seconds", httpLabels())
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "2.425"))
                .build();
    }

    private AlertRule highWebSocketConnections() {
        return AlertRule.builder("HighWebSocketConnections")
                .expr(perInstance(svc("ws_connections_active").toString()) + " > 1000")
                .forDuration("5m")
                .severity(Severity.WARNING, "004 sets warning")
                .label("component", "http")
                .summary("High number of WebSocket connections")
                .description("{{ $labels.job }}: {{ $value | humanize }} open WebSocket connections (threshold 1000).")
                .runbook("Check ws_connections_total by status for rejected connections and whether clients"
                        + " reconnect in a loop; scale out or lower the per-client limit.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .covers("004 HighWebSocketConnections: ws_connections_active > 1000")
                .test(AlertTest.given(
                                "connections pile up", "ws_connections_active{" + svcLabels + "}", gauge(100, 1500))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "1.5k"))
                .build();
    }

    private AlertRule rateLimitAbuse() {
        return AlertRule.builder("RateLimitAbuse")
                .expr(perInstance(rate(svc("rate_limit_hits_total"))) + " > 100")
                .forDuration("5m")
                .severity(Severity.WARNING, "004 sets warning: the limits hold, someone should look today")
                .label("component", "http")
                .summary("High rate of rate limit hits")
                .description("{{ $labels.job }}: {{ $value | humanize }} requests refused by rate limits per second"
                        + " (threshold 100/s).")
                .runbook("The limits are holding; find the clients (ip_address in the logs of status 429) and block"
                        + " persistent abusers before they exhaust the limiter's memory or the edge.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", true))
                .covers("004 RateLimitAbuse: rate(rate_limit_hits_total[5m]) > 100")
                .test(AlertTest.given(
                                "limiter refusing",
                                "rate_limit_hits_total{" + svcLabels + ",limit_type=\"http\"}",
                                counter(1, 150))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "150"))
                .build();
    }

    private AlertRule slowDatabaseQueries() {
        return AlertRule.builder("SlowDatabaseQueries")
                .expr(quantile(0.95, svc("database_operation_duration_seconds").bucket(), "job, instance") + " > 1")
                .forDuration("10m")
                .severity(Severity.WARNING, "000 sets warning")
                .label("component", "database")
                .summary("Slow database queries detected")
                .description("{{ $labels.job }}: p95 database operation latency is {{ $value | humanize }}s"
                        + " (threshold 1s).")
                .runbook("The database dashboard shows which operation and table; check pg_stat_database deadlocks and"
                        + " the pool's pending connections, then EXPLAIN the statement seen in a slow trace's JDBC"
                        + " span.")
                .dashboard(dashboard(StandardDashboards.DATABASE))
                .exemplars(exemplarsOf("database_operation_duration_seconds", true))
                .covers(
                        "000 SlowDatabaseQueries: histogram_quantile(0.95, rate(database_operation_duration_seconds_bucket[5m]))"
                                + " > 1 for 10m")
                .test(slowHistogram(
                                "queries slow down",
                                "database_operation_duration_seconds",
                                "operation=\"select\",table=\"users\"")
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "2.425"))
                .build();
    }

    private AlertRule databaseConnectionPoolExhausted() {
        return AlertRule.builder("DatabaseConnectionPoolExhausted")
                .expr(svc("db_connections_active") + " / " + svc("db_connections_max") + " > 0.9")
                .forDuration("5m")
                .severity(
                        Severity.CRITICAL,
                        "004 sets critical; 003 lists database errors as critical, and requests are about to wait for connections")
                .label("component", "database")
                .summary("Database connection pool nearly exhausted")
                .description("{{ $labels.job }} pool {{ $labels.pool }}: {{ $value | humanizePercentage }} of"
                        + " connections in use (threshold 90%).")
                .runbook("Requests will soon wait for connections (db_connections_pending). Look for long"
                        + " transactions in slow traces; raise the pool size only if PostgreSQL has headroom"
                        + " (pg_stat_database_numbackends vs max_connections).")
                .dashboard(dashboard(StandardDashboards.DATABASE))
                .exemplars(exemplarsOf("database_operation_duration_seconds", true))
                .covers("004 DatabaseConnectionPoolExhausted: db_connections_active / db_connections_max > 0.9")
                .test(AlertTest.given(
                                "pool fills up", "db_connections_active{" + svcLabels + ",pool=\"main\"}", gauge(3, 19))
                        .and("db_connections_max{" + svcLabels + ",pool=\"main\"}", gauge(20, 20))
                        .silentAt("10m")
                        .firesAt(
                                "30m",
                                Map.of("job", target.job(), "instance", target.instance(), "pool", "main"),
                                "95%"))
                .build();
    }

    private AlertRule serviceDown() {
        // Generated with the stack's exporters (deploy/'s identity-service), the alert also watches
        // the stack's targets (Tempo, Loki, Grafana, other services...): every job but the two data
        // stores, which have their own alerts. For one service alone (even one reading Tempo's span
        // metrics, as the event pipeline next to it does), its job: one stack-wide rule, not one per
        // service generated into the same directory.
        boolean stack = c.contains("pg_up") || c.contains("redis_up");
        Selector up = stack ? c.select("up").nre("job", POSTGRES_JOB + "|" + REDIS_JOB) : svc("up");
        return AlertRule.builder("ServiceDown")
                .expr(up + " == 0")
                .forDuration("1m")
                .severity(Severity.CRITICAL, "004 sets critical")
                .summary("Service {{ $labels.job }} is down")
                .description("Prometheus has not been able to scrape {{ $labels.instance }} ({{ $labels.job }}) for"
                        + " 1 minute.")
                .runbook("Check the container (docker compose ps / logs {{ $labels.job }}); if it runs, check that"
                        + " the metrics endpoint answers (curl http://{{ $labels.instance }}/metrics from inside the"
                        + " stack's network; a Vigil service serves it on its management port, MANAGEMENT_PORT).")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .covers("004 ServiceDown: up{job=~\"fastapi|keycloak|traefik\"} == 0; here the service's job, or with"
                        + " the stack's sources every job but the two data stores, which have their own alerts")
                .test(AlertTest.given("service stops answering", "up{" + svcLabels + "}", "1x10 0x29")
                        .silentAt("10m")
                        .firesAt("20m", svcInstance, null))
                .build();
    }

    private AlertRule databaseDown() {
        return AlertRule.builder("DatabaseDown")
                .expr(c.select("up").eq("job", POSTGRES_JOB) + " == 0 or " + c.select("pg_up") + " == 0")
                .forDuration("1m")
                .severity(Severity.CRITICAL, "004 sets critical; 003 lists database errors as critical")
                .label("component", "database")
                .summary("PostgreSQL is down")
                .description("{{ $labels.instance }} has not reached PostgreSQL for 1 minute.")
                .runbook("Check the postgres container and its disk; logins fail while it is down (expect"
                        + " authentication errors, not failures).")
                .dashboard(dashboard(StandardDashboards.DATABASE))
                .covers("004 DatabaseDown: up{job=\"postgres\"} == 0; also pg_up == 0 from postgres-exporter (003)")
                .test(AlertTest.given("exporter up, database gone", "up{" + PG_LABELS + "}", "1x40")
                        .and("pg_up{" + PG_LABELS + "}", "1x10 0x29")
                        .silentAt("10m")
                        .firesAt("20m", Map.of("job", POSTGRES_JOB, "instance", "postgres-exporter:9187"), null))
                .build();
    }

    private AlertRule redisDown() {
        return AlertRule.builder("RedisDown")
                .expr(c.select("up").eq("job", REDIS_JOB) + " == 0 or " + c.select("redis_up") + " == 0")
                .forDuration("1m")
                .severity(Severity.CRITICAL, "004 sets critical")
                .label("component", "redis")
                .summary("Redis is down")
                .description("{{ $labels.instance }} has not reached Redis for 1 minute.")
                .runbook("Check the redis container; rate limiting and token revocation lists that live there are"
                        + " unavailable meanwhile.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .covers("004 RedisDown: up{job=\"redis\"} == 0; also redis_up == 0 from redis-exporter (003)")
                .test(AlertTest.given("exporter down", "up{" + REDIS_LABELS + "}", "1x10 0x29")
                        .and("redis_up{" + REDIS_LABELS + "}", "1x40")
                        .silentAt("10m")
                        .firesAt("20m", Map.of("job", REDIS_JOB, "instance", "redis-exporter:9121"), null))
                .build();
    }

    private AlertRule highMemoryUsage() {
        return AlertRule.builder("HighMemoryUsage")
                .expr("sum by (job, instance) ("
                        + svc("jvm_memory_used_bytes").eq("jvm_memory_type", "heap")
                        + ") / sum by (job, instance) ("
                        + svc("jvm_memory_limit_bytes").eq("jvm_memory_type", "heap") + ") > 0.9")
                .forDuration("5m")
                .severity(Severity.WARNING, "004 sets warning")
                .label("component", "jvm")
                .summary("High memory usage")
                .description("{{ $labels.instance }}: heap is {{ $value | humanizePercentage }} full (threshold 90%).")
                .runbook("On the JVM dashboard, heap after GC that keeps rising is a leak (take a heap dump), heap"
                        + " that drops after each GC is only a small -Xmx for the load.")
                .dashboard(dashboard(StandardDashboards.JVM))
                .covers("004 HighMemoryUsage: container_memory_usage_bytes / container_spec_memory_limit_bytes > 0.9;"
                        + " the stack has no cAdvisor, so JVM heap used / heap limit")
                .test(AlertTest.given(
                                "heap fills",
                                "jvm_memory_used_bytes{" + svcLabels
                                        + ",jvm_memory_type=\"heap\",jvm_memory_pool_name=\"G1 Old Gen\"}",
                                gauge(100, 950))
                        .and(
                                "jvm_memory_limit_bytes{" + svcLabels
                                        + ",jvm_memory_type=\"heap\",jvm_memory_pool_name=\"G1 Old Gen\"}",
                                gauge(1000, 1000))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "95%"))
                .build();
    }

    private AlertRule highCPUUsage() {
        return AlertRule.builder("HighCPUUsage")
                .expr("max by (job, instance) (" + svc("jvm_cpu_recent_utilization") + ") > 0.8")
                .forDuration("5m")
                .severity(Severity.WARNING, "004 sets warning")
                .label("component", "jvm")
                .summary("High CPU usage")
                .description("{{ $labels.instance }}: the JVM uses {{ $value | humanizePercentage }} of the CPU"
                        + " (threshold 80%).")
                .runbook("Open the CPU flame graph (Pyroscope) on the JVM dashboard: the widest frames are where"
                        + " the CPU goes. CPU-heavy request work (e.g. hashing) dominating under a traffic burst is"
                        + " expected; GC threads dominating are memory pressure, not load.")
                .dashboard(dashboard(StandardDashboards.JVM))
                .covers("004 HighCPUUsage: rate(container_cpu_usage_seconds_total[5m]) > 0.8; as JVM CPU utilization")
                .test(AlertTest.given(
                                "CPU saturates", "jvm_cpu_recent_utilization{" + svcLabels + "}", gauge(0.2, 0.95))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "95%"))
                .build();
    }

    private AlertRule consumerSlowProcessing() {
        return consumerAlert("ConsumerSlowProcessing")
                .expr(quantile(0.95, svc("consumer_processing_duration_seconds").bucket(), "job, instance") + " > 1")
                .forDuration("5m")
                .severity(Severity.WARNING, "002 gives none; latency is a warning as in 004")
                .summary("Slow message processing (p95 > 1s)")
                .description(
                        "{{ $labels.job }}: p95 message processing time is {{ $value | humanize }}s (threshold 1s).")
                .runbook("Compare with consumer_sink_insert_duration_seconds: a slow sink makes slow processing;"
                        + " otherwise open a slow 'process <destination>' trace.")
                .exemplars(exemplarsOf("consumer_processing_duration_seconds", true))
                .covers("002 consumer latency: histogram_quantile(0.95, consumer_processing_duration_seconds_bucket),"
                        + " 'alert if p95 > 1s'")
                .test(slowHistogram("processing slows down", "consumer_processing_duration_seconds", "")
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "2.425"))
                .build();
    }

    private AlertRule consumerLagHigh() {
        // Every instance of a group reports the group's lag for every partition: max per partition,
        // then the topic's sum.
        return consumerAlert("ConsumerLagHigh")
                .expr("sum by (job, group, topic) (max by (job, group, topic, partition) (" + svc("consumer_lag")
                        + ")) > " + CONSUMER_LAG_THRESHOLD)
                .forDuration("5m")
                .severity(Severity.WARNING, "002 gives none; 003 puts task (background work) failures at warning")
                .summary("Consumer lag is high")
                .description("{{ $labels.job }}: group {{ $labels.group }} has {{ $value | humanize }} messages of"
                        + " {{ $labels.topic }} waiting (threshold " + CONSUMER_LAG_THRESHOLD + ").")
                .runbook("Consumers fall behind producers: check processing latency and errors first, then add"
                        + " consumer instances (up to the partition count).")
                .covers("002 consumer lag: consumer_lag, 'alert if lag > 1000', per group and topic")
                .test(AlertTest.given(
                                "lag grows",
                                "consumer_lag{" + svcLabels + ",topic=\"events\",partition=\"0\",group=\"analytics\"}",
                                gauge(10, 5000))
                        .silentAt("10m")
                        .firesAt("30m", Map.of("job", target.job(), "group", "analytics", "topic", "events"), "5k"))
                .build();
    }

    private AlertRule consumerErrorRate() {
        return consumerAlert("ConsumerErrorRate")
                .expr(perInstance(rate(svc("consumer_errors_total"))) + " / "
                        + perInstance(rate(svc("consumer_messages_consumed_total"))) + " > 0.01")
                .forDuration("5m")
                .severity(Severity.WARNING, "003 puts task (background work) failures at warning")
                .summary("Message processing errors above 1%")
                .description("{{ $labels.job }}: {{ $value | humanizePercentage }} of consumed messages fail"
                        + " (threshold 1%).")
                .runbook("consumer_errors_total by error_type names the exception; the consumer logs"
                        + " (event_type=\"consumer\", status=\"error\") carry the message ids to replay.")
                .exemplars(exemplarsOf("consumer_processing_duration_seconds", true))
                .covers("002 processing errors: rate(consumer_errors_total[5m]), 'alert if error rate > 1%', as a share"
                        + " of consumed messages")
                .test(AlertTest.given(
                                "a poison message type",
                                "consumer_errors_total{" + svcLabels + ",error_type=\"JsonParseException\"}",
                                counter(0, 0.5))
                        .and("consumer_messages_consumed_total{" + svcLabels + "}", counter(10, 10))
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "5%"))
                .build();
    }

    /**
     * An alert on the consumers: component {@code consumer}, linked to the pipeline dashboard when
     * the service has vigil-kafka's consumer metrics, to the overview's consumer row otherwise.
     */
    private AlertRule.Builder consumerAlert(String name) {
        return AlertRule.builder(name)
                .label("component", "consumer")
                .dashboard(dashboard(
                        c.contains("consumer_dead_lettered_total")
                                ? StandardDashboards.PIPELINE
                                : StandardDashboards.OVERVIEW));
    }

    /** A background-job alert: a warning (as 003 has them), component {@code jobs}, the overview's job row. */
    private AlertRule.Builder taskAlert(String name) {
        return AlertRule.builder(name)
                .severity(Severity.WARNING, "003 puts task failures (background work) at warning")
                .label("component", "jobs")
                .dashboard(dashboard(StandardDashboards.OVERVIEW));
    }

    /** The labels of a task alert firing for {@code task} of this service. */
    private Map<String, String> taskLabels(String task) {
        return Map.of("job", target.job(), "task", task);
    }

    private AlertRule ingestLatencyHigh() {
        return AlertRule.builder("IngestLatencyHigh")
                .expr(quantile(0.95, svc("event_ingest_duration_seconds").bucket(), "job, instance") + " > "
                        + INGEST_P95_SECONDS)
                .forDuration("5m")
                .severity(Severity.WARNING, "002 gives none; latency is a warning as in 004")
                .label("component", "pipeline")
                .summary("Slow event ingest (p95 > " + INGEST_P95_SECONDS + "s)")
                .description("{{ $labels.instance }}: p95 ingest time is {{ $value | humanize }}s (threshold "
                        + INGEST_P95_SECONDS + "s).")
                .runbook("An ingest stores the raw event, publishes it and records it: the pipeline dashboard's step"
                        + " latency names the slow one (object storage, broker acknowledgement, database); a slow"
                        + " ingest_event trace shows it too.")
                .dashboard(dashboard(StandardDashboards.PIPELINE))
                .exemplars(exemplarsOf("event_ingest_duration_seconds", true))
                .covers("002 ingest latency: histogram_quantile(0.95, event_ingest_duration_seconds_bucket),"
                        + " 'alert if p95 > 1s'")
                .test(slowHistogram("ingest slows down", "event_ingest_duration_seconds", "")
                        .silentAt("10m")
                        .firesAt("30m", svcInstance, "2.425"))
                .build();
    }

    private AlertRule taskFailureRatio() {
        String failed =
                "sum by (job, task) (" + rate(svc("task_executions_total").re("status", "failure|retry|dead")) + ")";
        return taskAlert("TaskFailureRatio")
                .expr(failed + " / sum by (job, task) (" + rate(svc("task_executions_total")) + ") > "
                        + TASK_FAILURE_RATIO)
                .forDuration("10m")
                .summary("Background job failures above " + percent(TASK_FAILURE_RATIO))
                .description("{{ $labels.job }}: {{ $value | humanizePercentage }} of the executions of task"
                        + " {{ $labels.task }} fail (threshold " + percent(TASK_FAILURE_RATIO) + ").")
                .runbook("The task's log events (event_type=\"task\", task_name, status retry/dead) name the error;"
                        + " its 'process <task>' traces lead back to the request that queued the failing job.")
                .covers("003 task failures raise alerts: failed executions (failure, retry, dead) as a share of all,"
                        + " per task")
                .test(AlertTest.given(
                                "a task's webhook starts answering 500",
                                "task_executions_total{" + svcLabels + ",task=\"notify\",status=\"success\"}",
                                counter(1, 1))
                        .and(
                                "task_executions_total{" + svcLabels + ",task=\"notify\",status=\"retry\"}",
                                counter(0, 0.5))
                        .silentAt("10m")
                        .firesAt("30m", taskLabels("notify"), "33.33%"))
                .build();
    }

    private AlertRule taskBacklogAge() {
        return taskAlert("TaskBacklogAge")
                .expr("max by (job, task) (" + svc("task_queue_oldest_wait_seconds") + ") > " + TASK_BACKLOG_SECONDS)
                .forDuration("5m")
                .summary("Background jobs wait too long")
                .description("{{ $labels.job }}: the oldest due job of task {{ $labels.task }} has waited"
                        + " {{ $value | humanizeDuration }} (threshold " + TASK_BACKLOG_SECONDS + "s).")
                .runbook("No instance picks due jobs fast enough: check that the schedulers run (a stopped"
                        + " instance, a full pool: db_connections_pending), then the task's duration; add"
                        + " scheduler threads or instances.")
                .covers("issue 16: backlog age per task, task_queue_oldest_wait_seconds")
                .test(AlertTest.given(
                                "jobs pile up",
                                "task_queue_oldest_wait_seconds{" + svcLabels + ",task=\"notify\"}",
                                gauge(2, 900))
                        .silentAt("10m")
                        .firesAt("30m", taskLabels("notify"), "15m 0s"))
                .build();
    }

    // A recurring job's failed runs are counted status="failure" (its failure handler reschedules it on
    // its schedule; queued jobs retry instead): fires while it keeps failing and its last success, on
    // any instance, is older than the window. Recurring jobs with periods up to the window only.
    private AlertRule recurringTaskFailing() {
        return taskAlert("RecurringTaskNotSucceeding")
                .expr("(time() - max by (job, task) (" + svc("task_last_success_timestamp_seconds") + ") > "
                        + RECURRING_TASK_WINDOW_SECONDS + ") and on (job, task) (sum by (job, task) (increase("
                        + svc("task_executions_total").eq("status", "failure").over("1h") + ")) > 0)")
                .forDuration("5m")
                .summary("A recurring job has not succeeded within an hour")
                .description("{{ $labels.job }}: task {{ $labels.task }} last succeeded"
                        + " {{ $value | humanizeDuration }} ago and its runs since fail.")
                .runbook("The task's log events (event_type=\"task\", status=\"failure\") carry the error; a"
                        + " recurring job that stops succeeding leaves its work (e.g. expired tokens) piling up.")
                .covers("issue 16: a recurring job that has not succeeded within its period,"
                        + " time() - task_last_success_timestamp_seconds")
                .test(AlertTest.given(
                                "the purge succeeds every minute for 20 minutes, then fails",
                                "task_last_success_timestamp_seconds{" + svcLabels + ",task=\"purge\"}",
                                "0+60x20 1200x100")
                        .and(
                                "task_executions_total{" + svcLabels + ",task=\"purge\",status=\"failure\"}",
                                "0x20 1+1x100")
                        .silentAt("30m")
                        .silentAt("70m")
                        .firesAt("100m", taskLabels("purge"), "1h 20m 0s"))
                .build();
    }

    private AlertRule highTraceErrorRate() {
        return AlertRule.builder("HighTraceErrorRate")
                .expr("sum by (service) (" + rate(serverSpans().eq("status_code", "STATUS_CODE_ERROR"))
                        + ") / sum by (service) (" + rate(serverSpans()) + ") > 0.05")
                .forDuration("5m")
                .severity(
                        Severity.WARNING,
                        "001/002 give none; the 5xx it sees already page through HighErrorRate, this trace view adds errors answered with a 4xx")
                .label("component", "tracing")
                .summary("High error rate in traces")
                .description("{{ $labels.service }}: {{ $value | humanizePercentage }} of server spans end in error"
                        + " (threshold 5%).")
                .runbook("In the traces dashboard, the error traces table ({ status = error }) lists them; the span"
                        + " events hold the exceptions. Unlike HighErrorRate this also sees errors the HTTP layer"
                        + " maps to 4xx.")
                .dashboard(dashboard(StandardDashboards.TRACES))
                .covers("001 and 002 'set up alerting on high error rates in traces', from Tempo's span metrics")
                .test(AlertTest.given(
                                "error spans",
                                "traces_spanmetrics_calls_total{job=\"tempo\",service=\"" + target.service() + "\","
                                        + "span_name=\"POST /api/v1/auth/login\",span_kind=\"SPAN_KIND_SERVER\","
                                        + "status_code=\"STATUS_CODE_ERROR\"}",
                                counter(0, 1))
                        .and(
                                "traces_spanmetrics_calls_total{job=\"tempo\",service=\"" + target.service() + "\","
                                        + "span_name=\"POST /api/v1/auth/login\",span_kind=\"SPAN_KIND_SERVER\","
                                        + "status_code=\"STATUS_CODE_UNSET\"}",
                                counter(10, 9))
                        .silentAt("10m")
                        .firesAt("30m", Map.of("service", target.service()), "10%"))
                .build();
    }

    // ---- SLO ----------------------------------------------------------------------------------

    /**
     * SLO burn-rate alerts after the Google SRE workbook (multiwindow, multi-burn-rate): a fast burn
     * (14.4x over 1h and 5m, or 6x over 6h and 30m) pages, a slow burn (3x over 1d and 2h, or 1x over
     * 3d and 6h) opens a ticket. The short window makes an alert stop soon after the burn stops. The
     * group also records the Apdex score the overview shows.
     */
    private RuleGroup slo() {
        if (!c.containsAll("http_requests_total", "http_request_duration_seconds")) {
            return new RuleGroup("slo", "vigil-slo", "30s", List.of(), List.of());
        }
        List<RecordingRule> recording = new ArrayList<>();
        SLO_WINDOWS.forEach(w -> recording.add(errorRatioRule(w)));
        SLO_WINDOWS.forEach(w -> recording.add(slowRatioRule(w)));
        recording.add(apdexRule());
        return new RuleGroup(
                "slo",
                "vigil-slo",
                "30s",
                recording,
                List.of(
                        availabilityBurnFast(),
                        availabilityBurnSlow(),
                        latencyBudgetBurnFast(),
                        latencyBudgetBurnSlow()));
    }

    private RecordingRule errorRatioRule(String w) {
        // "or 0 * all": a service without a single 5xx has an error ratio of 0, not no data
        // (the burn-rate panels would show "No data" for exactly the healthy case).
        String all = sumByJob("rate(" + svc("http_requests_total").over(w) + ")");
        String series = "http_requests_total{" + svcLabels + "," + httpLabels() + ",status_code=";
        return new RecordingRule(
                errorRatio(w),
                "("
                        + sumByJob("rate("
                                + svc("http_requests_total")
                                        .re("status_code", "5..")
                                        .over(w) + ")") + " or 0 * " + all + ") / " + all,
                List.of(
                        // The absent-series case: a status code's series appears at its first response, so a
                        // service that never answered 5xx has none at all; its ratio is 0, not missing.
                        new RecordingRule.Case(
                                "requests, never a 5xx (no 5xx series at all): 0",
                                List.of(new AlertTest.Series(series + "\"200\"}", "0+600x30")),
                                "20m",
                                svcJob,
                                "0"),
                        new RecordingRule.Case(
                                "every other request answered 500",
                                List.of(
                                        new AlertTest.Series(series + "\"200\"}", "0+300x30"),
                                        new AlertTest.Series(series + "\"500\"}", "0+300x30")),
                                "20m",
                                svcJob,
                                "0.5")));
    }

    private RecordingRule slowRatioRule(String w) {
        Selector duration = svc("http_request_duration_seconds");
        return new RecordingRule(
                slowRatio(w),
                "1 - "
                        + sumByJob("rate("
                                + duration.bucket()
                                        .eq("le", LATENCY_THRESHOLD_SECONDS)
                                        .over(w) + ")") + " / "
                        + sumByJob("rate(" + duration.count().over(w) + ")"));
    }

    /**
     * Apdex as the HTTP/WebSocket document writes it: (satisfied within T = 0.1 s + tolerating within
     * 4T = 0.4 s) / 2 / all, bucket boundaries the HTTP histogram has.
     */
    private RecordingRule apdexRule() {
        Selector duration = svc("http_request_duration_seconds");
        String labels = svcLabels + "," + httpLabels();
        String bucket = "http_request_duration_seconds_bucket{" + labels + ",le=\"";
        return new RecordingRule(
                APDEX_RECORD,
                "("
                        + sumByJob("rate("
                                + duration.bucket()
                                        .eq("le", StandardDashboards.APDEX_T)
                                        .over("5m") + ")")
                        + " + "
                        + sumByJob("rate("
                                + duration.bucket()
                                        .eq("le", StandardDashboards.APDEX_4T)
                                        .over("5m") + ")")
                        + ") / 2 / " + sumByJob("rate(" + duration.count().over("5m") + ")"),
                List.of(new RecordingRule.Case(
                        "60% within T, 90% within 4T",
                        List.of(
                                new AlertTest.Series(bucket + StandardDashboards.APDEX_T + "\"}", "0+360x30"),
                                new AlertTest.Series(bucket + StandardDashboards.APDEX_4T + "\"}", "0+540x30"),
                                new AlertTest.Series(
                                        "http_request_duration_seconds_count{" + labels + "}", "0+600x30")),
                        "20m",
                        svcJob,
                        "0.75")));
    }

    private AlertRule availabilityBurnFast() {
        return AlertRule.builder("AvailabilityBudgetBurnFast")
                .expr(fast(w -> ofJob(errorRatio(w)), 1 - AVAILABILITY_OBJECTIVE))
                .forDuration("2m")
                .severity(Severity.CRITICAL, "SRE workbook: a fast burn pages; 003 lists a high error rate as critical")
                .label("component", "slo")
                .label("slo", "availability")
                .summary("Availability error budget burning fast")
                .description("{{ $labels.job }} fails more than 14.4x (1h) or 6x (6h) the error rate its "
                        + percent(AVAILABILITY_OBJECTIVE) + " availability objective allows: at this pace a 30-day"
                        + " budget is gone in about 2 (or 5) days.")
                .runbook("Treat as an outage: find the failing endpoint on the service overview, roll back a"
                        + " recent deploy, then investigate with exemplar traces.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", false))
                .covers("SLO on availability (004's KPI table: availability > 99.9%), fast burn")
                .test(httpErrors().silentAt("10m").firesAt("30m", svcJob, null))
                .build();
    }

    private AlertRule availabilityBurnSlow() {
        return AlertRule.builder("AvailabilityBudgetBurnSlow")
                .expr(slow(w -> ofJob(errorRatio(w)), 1 - AVAILABILITY_OBJECTIVE))
                .forDuration("1h")
                .severity(Severity.WARNING, "SRE workbook: a slow burn is a ticket, not a page")
                .label("component", "slo")
                .label("slo", "availability")
                .summary("Availability error budget burning")
                .description("{{ $labels.job }} fails more than 3x (1d) or 1x (3d) the error rate its "
                        + percent(AVAILABILITY_OBJECTIVE)
                        + " availability objective allows; the 30-day budget will not last.")
                .runbook("Not an outage: a steady trickle of 5xx. Rank endpoints by errors over the last day"
                        + " and fix the top one.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", false))
                .covers("SLO on availability (004's KPI table: availability > 99.9%), slow burn")
                .test(usersRequests("0.5% of requests fail for hours", "0+597x240", "0+3x240")
                        .silentAt("30m")
                        .firesAt("4h", svcJob, null))
                .test(usersRequests("healthy for hours", "0+600x240", "0+0x240").silentAt("4h"))
                .build();
    }

    private AlertRule latencyBudgetBurnFast() {
        return AlertRule.builder("LatencyBudgetBurnFast")
                .expr(fast(w -> ofJob(slowRatio(w)), 1 - LATENCY_OBJECTIVE))
                .forDuration("2m")
                .severity(Severity.CRITICAL, "SRE workbook: a fast burn pages")
                .label("component", "slo")
                .label("slo", "latency")
                .summary("Latency error budget burning fast")
                .description("{{ $labels.job }} answers more than 14.4x (1h) or 6x (6h) as many requests slower"
                        + " than " + LATENCY_THRESHOLD_SECONDS + "s as its " + percent(LATENCY_OBJECTIVE)
                        + " latency objective allows.")
                .runbook("Check saturation first: connection pool pending, CPU, GC pauses (JVM dashboard);"
                        + " then the slowest spans of an exemplar trace.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", false))
                .covers("SLO on latency (004's KPI table: p99 < 500ms), fast burn")
                .test(latencySlo("half the requests become slow", counter(10, 5), counter(10, 10))
                        .silentAt("10m")
                        .firesAt("30m", svcJob, null))
                .build();
    }

    private AlertRule latencyBudgetBurnSlow() {
        return AlertRule.builder("LatencyBudgetBurnSlow")
                .expr(slow(w -> ofJob(slowRatio(w)), 1 - LATENCY_OBJECTIVE))
                .forDuration("1h")
                .severity(Severity.WARNING, "SRE workbook: a slow burn is a ticket, not a page")
                .label("component", "slo")
                .label("slo", "latency")
                .summary("Latency error budget burning")
                .description("{{ $labels.job }} answers more than 3x (1d) or 1x (3d) as many requests slower"
                        + " than " + LATENCY_THRESHOLD_SECONDS + "s as its " + percent(LATENCY_OBJECTIVE)
                        + " latency objective allows.")
                .runbook("A slow drift: compare p99 by endpoint week over week, look for growing tables"
                        + " (database dashboard) and missing indexes.")
                .dashboard(dashboard(StandardDashboards.OVERVIEW))
                .exemplars(exemplarsOf("http_request_duration_seconds", false))
                .covers("SLO on latency (004's KPI table: p99 < 500ms), slow burn")
                .test(latencySlo("5% of requests slow for hours", "0+570x240", "0+600x240")
                        .silentAt("30m")
                        .firesAt("4h", svcJob, null))
                .test(latencySlo("all requests fast for hours", "0+600x240", "0+600x240")
                        .silentAt("4h"))
                .build();
    }

    // ---- expression helpers -------------------------------------------------------------------

    /** A selector on the service's own series: its job. */
    private Selector svc(String metric) {
        return c.select(metric).eq("job", target.job());
    }

    private String serverErrorRate() {
        return perInstance(rate(svc("http_requests_total").re("status_code", "5..")));
    }

    private String requestRate() {
        return perInstance(rate(svc("http_requests_total")));
    }

    /** Tempo's span metrics of the service's server spans (Tempo is the scrape target; service the label). */
    private Selector serverSpans() {
        return c.select("traces_spanmetrics_calls_total")
                .eq("service", target.service())
                .eq("span_kind", "SPAN_KIND_SERVER");
    }

    /**
     * The p99 of a histogram for the alert's target (or its job, for per-job alerts): in Grafana
     * Explore with exemplars on, each exemplar dot is an example trace of what the alert counts.
     */
    private String exemplarsOf(String histogram, boolean perInstance) {
        Selector s = c.select(histogram).bucket().eq("job", "{{ $labels.job }}");
        if (perInstance) {
            s = s.eq("instance", "{{ $labels.instance }}");
        }
        return "histogram_quantile(0.99, sum by (le) (rate(" + s.over("5m") + ")))";
    }

    private String errorRatio(String window) {
        return "job:slo_http_errors:ratio_rate" + window;
    }

    private String slowRatio(String window) {
        return "job:slo_http_slow_requests:ratio_rate" + window;
    }

    /** The service's own recorded series: another service's rules record the same names for its job. */
    private String ofJob(String recorded) {
        return recorded + "{job=\"" + target.job() + "\"}";
    }

    private static String fast(Function<String, String> ratio, double budget) {
        return "(" + ratio.apply("1h") + " > (14.4 * " + num(budget) + ") and " + ratio.apply("5m") + " > (14.4 * "
                + num(budget) + ")) or (" + ratio.apply("6h") + " > (6 * " + num(budget) + ") and "
                + ratio.apply("30m") + " > (6 * " + num(budget) + "))";
    }

    private static String slow(Function<String, String> ratio, double budget) {
        return "(" + ratio.apply("1d") + " > (3 * " + num(budget) + ") and " + ratio.apply("2h") + " > (3 * "
                + num(budget) + ")) or (" + ratio.apply("3d") + " > " + num(budget) + " and " + ratio.apply("6h")
                + " > " + num(budget) + ")";
    }

    private static String rate(Selector s) {
        return "rate(" + s.over("5m") + ")";
    }

    private static String sumByJob(String inner) {
        return "sum by (job) (" + inner + ")";
    }

    /**
     * Symptoms are per scrape target, as the documents' un-aggregated expressions are: so a firing
     * ServiceDown silences exactly the symptoms of the instance it names (Alertmanager inhibition
     * with {@code equal: [job, instance]}).
     */
    private static String perInstance(String inner) {
        return "sum by (job, instance) (" + inner + ")";
    }

    private static String quantile(double q, Selector bucket, String by) {
        return "histogram_quantile(" + q + ", sum by (" + by + ", le) (rate(" + bucket.over("5m") + ")))";
    }

    private static String num(double v) {
        return BigDecimal.valueOf(v)
                .round(new java.math.MathContext(6))
                .stripTrailingZeros()
                .toPlainString();
    }

    private static String percent(double objective) {
        return num(objective * 100) + "%";
    }

    // ---- test series helpers ------------------------------------------------------------------

    /** A counter rising {@code before}/s for 10 minutes, then {@code after}/s for 30 (one sample a minute). */
    static String counter(double before, double after) {
        double a = before * 60;
        double b = after * 60;
        return "0+" + num(a) + "x10 " + num(10 * a + b) + "+" + num(b) + "x29";
    }

    /** A gauge at {@code before} for 10 minutes, then at {@code after} for 30. */
    static String gauge(double before, double after) {
        return num(before) + "x10 " + num(after) + "x29";
    }

    private static String httpLabels() {
        // a neutral endpoint: the cases are every service's, not one domain's
        return "method=\"POST\",endpoint=\"/api/v1/items\"";
    }

    /**
     * A histogram whose observations (10/s) all fall under 0.5 s for 10 minutes, then all between 1
     * and 2.5 s: p95 becomes 2.425 s and p99 2.485 s by linear interpolation in that bucket.
     */
    private AlertTest.Builder slowHistogram(String name, String metric, String labels) {
        String base = metric + "_bucket{" + svcLabels + (labels.isEmpty() ? "" : "," + labels) + ",le=\"";
        return AlertTest.given(name, base + "0.5\"}", counter(10, 0))
                .and(base + "1\"}", counter(10, 0))
                .and(base + "2.5\"}", counter(10, 10))
                .and(base + "+Inf\"}", counter(10, 10));
    }

    /** HTTP latency series: requests within the latency threshold, and all requests. */
    private AlertTest.Builder latencySlo(String name, String withinThreshold, String all) {
        String labels = svcLabels + "," + httpLabels();
        return AlertTest.given(
                        name,
                        "http_request_duration_seconds_bucket{" + labels + ",le=\"" + LATENCY_THRESHOLD_SECONDS + "\"}",
                        withinThreshold)
                .and("http_request_duration_seconds_count{" + labels + "}", all);
    }

    /** 10% of requests fail after 10 minutes. */
    private AlertTest.Builder httpErrors() {
        return usersRequests("10% of requests fail", counter(10, 9), counter(0, 1));
    }

    /** GET /api/v1/users answered with 200 and with 500, in promtool's notation. */
    private AlertTest.Builder usersRequests(String name, String ok, String failed) {
        String series = "http_requests_total{" + svcLabels + ",method=\"GET\",endpoint=\"/api/v1/users\",status_code=";
        return AlertTest.given(name, series + "\"200\"}", ok).and(series + "\"500\"}", failed);
    }
}
