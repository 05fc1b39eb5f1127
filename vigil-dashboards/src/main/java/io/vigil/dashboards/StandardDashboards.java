package io.vigil.dashboards;

import java.util.List;

/**
 * The seven dashboards Vigil ships, generated from the {@link MetricCatalogue}: service overview
 * (RED per endpoint, SLOs), authentication and security, users and tokens, database and pool, JVM,
 * logs explorer (Loki) and traces (Tempo). Each query notes the source-document query it covers.
 */
public final class StandardDashboards {
    public static final String OVERVIEW = "vigil-service-overview";
    public static final String AUTH = "vigil-auth-security";
    public static final String USERS = "vigil-users-tokens";
    public static final String DATABASE = "vigil-database";
    public static final String JVM = "vigil-jvm";
    public static final String LOGS = "vigil-logs";
    public static final String TRACES = "vigil-traces";

    private static final String RATE = "$__rate_interval";
    private static final String STREAM = "{service=\"$service\"}";

    private final MetricCatalogue c;

    private StandardDashboards(MetricCatalogue catalogue) {
        this.c = catalogue;
    }

    /** Every dashboard, in menu order. */
    public static List<Dashboard> all(MetricCatalogue catalogue) {
        StandardDashboards d = new StandardDashboards(catalogue);
        return List.of(d.overview(), d.auth(), d.users(), d.database(), d.jvm(), d.logs(), d.traces());
    }

    // ---- variables ----------------------------------------------------------------------------

    private static Variable job() {
        return Variable.prometheus("job", "Service", "label_values(app_info, job)", false, "identity-service");
    }

    private static Variable endpoint() {
        return Variable.prometheus(
                "endpoint", "Endpoint", "label_values(http_requests_total{job=~\"$job\"}, endpoint)", true, ".*");
    }

    private static Variable service() {
        return Variable.custom("service", "Service", "identity-service");
    }

    // ---- dashboards ---------------------------------------------------------------------------

    private Dashboard overview() {
        Selector requests = svc("http_requests_total").re("endpoint", "$endpoint");
        Selector errors = requests.re("status_code", "5..");
        Selector duration = svc("http_request_duration_seconds").re("endpoint", "$endpoint");
        return Dashboard.builder(OVERVIEW, "Vigil · Service overview")
                .description("RED per endpoint, SLO burn, WebSocket and consumer health of one service.")
                .variable(job())
                .variable(endpoint())
                .row("Golden signals")
                .add(
                        Panel.stat("Requests", "reqps", promql("sum(" + rate(requests) + ")", "requests")),
                        Panel.stat(
                                "Error ratio (5xx)",
                                "percentunit",
                                promql("sum(" + rate(errors) + ") / sum(" + rate(requests) + ")", "errors")),
                        Panel.stat("p95 latency", "s", promql(quantile(0.95, duration.bucket(), ""), "p95")),
                        Panel.stat("Targets up", "none", promql("sum(" + svc("up") + ")", "up")))
                .row("SLO: " + pct(StandardAlerts.AVAILABILITY_OBJECTIVE) + " available, "
                        + pct(StandardAlerts.LATENCY_OBJECTIVE) + " within " + StandardAlerts.LATENCY_THRESHOLD_SECONDS
                        + "s")
                .add(
                        Panel.timeseries(
                                        "Error budget burn rate",
                                        "x",
                                        promql(
                                                "job:slo_http_errors:ratio_rate1h{job=~\"$job\"} / "
                                                        + budget(StandardAlerts.AVAILABILITY_OBJECTIVE),
                                                "availability, 1h"),
                                        promql(
                                                "job:slo_http_errors:ratio_rate6h{job=~\"$job\"} / "
                                                        + budget(StandardAlerts.AVAILABILITY_OBJECTIVE),
                                                "availability, 6h"))
                                .describedAs("1 = spending the error budget exactly over 30 days; the fast-burn"
                                        + " alert pages at 14.4 (1h) or 6 (6h)."),
                        Panel.timeseries(
                                        "Latency budget burn rate",
                                        "x",
                                        promql(
                                                "job:slo_http_slow_requests:ratio_rate1h{job=~\"$job\"} / "
                                                        + budget(StandardAlerts.LATENCY_OBJECTIVE),
                                                "latency, 1h"),
                                        promql(
                                                "job:slo_http_slow_requests:ratio_rate6h{job=~\"$job\"} / "
                                                        + budget(StandardAlerts.LATENCY_OBJECTIVE),
                                                "latency, 6h"))
                                .describedAs("Share of requests slower than the objective's threshold, in units of"
                                        + " the budget."))
                .row("RED per endpoint")
                .add(
                        Panel.timeseries(
                                "Request rate by endpoint",
                                "reqps",
                                promql("sum by (method, endpoint) (" + rate(requests) + ")", "{{method}} {{endpoint}}")
                                        .covering("004 request throughput: rate(http_requests_total[5m]); 000 HTTP"
                                                + " request rates by endpoint")),
                        Panel.timeseries(
                                "5xx rate by endpoint",
                                "reqps",
                                promql(
                                                "sum by (method, endpoint, status_code) (" + rate(errors) + ")",
                                                "{{method}} {{endpoint}} {{status_code}}")
                                        .covering(
                                                "000 HTTP 5xx error rate: rate(http_requests_total{status=~\"5..\"}[5m]),"
                                                        + " label status_code")),
                        Panel.timeseries(
                                "Error ratio by endpoint",
                                "percentunit",
                                promql(
                                                "sum by (endpoint) (" + rate(errors) + ") / sum by (endpoint) ("
                                                        + rate(requests) + ")",
                                                "{{endpoint}}")
                                        .covering("004 error rate percentage")),
                        Panel.timeseries(
                                "Latency p95 by endpoint",
                                "s",
                                promql(quantile(0.95, duration.bucket(), "endpoint"), "p95 {{endpoint}}")
                                        .withExemplars()
                                        .covering("004 p99 / percentiles of http_request_duration_seconds"),
                                promql(quantile(0.99, duration.bucket(), ""), "p99 all")
                                        .withExemplars(),
                                promql(quantile(0.5, duration.bucket(), ""), "p50 all")),
                        Panel.timeseries(
                                "Average response time by endpoint",
                                "s",
                                promql(
                                                "sum by (endpoint) (" + rate(duration.sum()) + ") / sum by (endpoint) ("
                                                        + rate(duration.count()) + ")",
                                                "{{endpoint}}")
                                        .covering("004 average response time by endpoint")),
                        Panel.timeseries(
                                        "Apdex (T = 0.1s, tolerating 0.5s)",
                                        "percentunit",
                                        promql(
                                                        "(sum("
                                                                + rate(duration.bucket()
                                                                        .eq("le", "0.1")) + ") + sum("
                                                                + rate(duration.bucket()
                                                                        .eq("le", "0.5")) + ")) / 2 / sum("
                                                                + rate(duration.count()) + ")",
                                                        "apdex")
                                                .covering("004 Apdex score (tolerating bucket 0.4s -> 0.5s, a boundary"
                                                        + " the histogram has)"))
                                .describedAs("(satisfied + (satisfied + tolerating)) / 2 / all; satisfied is within"
                                        + " 0.1s, tolerating within 0.5s."),
                        Panel.pie(
                                "Responses by status code",
                                "reqps",
                                promql("sum by (status_code) (" + rate(requests) + ")", "{{status_code}}")),
                        Panel.timeseries(
                                        "Requests in progress",
                                        "none",
                                        promql(
                                                "sum by (endpoint) ("
                                                        + svc("http_requests_in_progress")
                                                                .re("endpoint", "$endpoint") + ")",
                                                "{{endpoint}}"))
                                .sized(8, 8),
                        Panel.timeseries(
                                        "Request / response size p95",
                                        "bytes",
                                        promql(
                                                quantile(
                                                        0.95,
                                                        svc("http_request_size_bytes")
                                                                .bucket(),
                                                        "endpoint"),
                                                "request {{endpoint}}"),
                                        promql(
                                                quantile(
                                                        0.95,
                                                        svc("http_response_size_bytes")
                                                                .bucket(),
                                                        "endpoint"),
                                                "response {{endpoint}}"))
                                .sized(8, 8),
                        Panel.timeseries(
                                "Exceptions by type",
                                "ops",
                                promql(
                                        "sum by (exception_type, endpoint) (" + rate(svc("http_exceptions_total"))
                                                + ")",
                                        "{{exception_type}} {{endpoint}}")),
                        Panel.timeseries(
                                "Rate-limit hits by type",
                                "ops",
                                promql(
                                                "sum by (limit_type) (" + rate(svc("rate_limit_hits_total")) + ")",
                                                "{{limit_type}}")
                                        .covering("004 rate_limit_hits_total{limit_type}")))
                .row("WebSocket")
                .add(
                        Panel.stat(
                                "Open connections",
                                "none",
                                promql("sum(" + svc("ws_connections_active") + ")", "open")
                                        .covering("004 ws_connections_active")),
                        Panel.timeseries(
                                        "Connections by outcome",
                                        "ops",
                                        promql(
                                                        "sum by (status) (" + rate(svc("ws_connections_total")) + ")",
                                                        "{{status}}")
                                                .covering("004 ws_connections_total{status}"))
                                .sized(6, 8),
                        Panel.timeseries(
                                        "Messages",
                                        "ops",
                                        promql("sum(" + rate(svc("ws_messages_received_total")) + ")", "received"),
                                        promql("sum(" + rate(svc("ws_messages_sent_total")) + ")", "sent"))
                                .sized(6, 8),
                        Panel.timeseries(
                                        "Message processing p95 by handler",
                                        "s",
                                        promql(
                                                quantile(
                                                        0.95,
                                                        svc("ws_message_processing_duration_seconds")
                                                                .bucket(),
                                                        "pkg_id"),
                                                "{{pkg_id}}"))
                                .sized(6, 8))
                .row("Message consumers")
                .add(
                        Panel.timeseries(
                                        "Throughput by outcome",
                                        "ops",
                                        promql(
                                                        "sum by (status) (rate("
                                                                + svc("consumer_messages_processed_total")
                                                                        .over("1m") + "))",
                                                        "{{status}}")
                                                .covering(
                                                        "002 Consumer Throughput: rate(consumer_messages_processed_total[1m])"))
                                .sized(6, 8),
                        Panel.timeseries(
                                        "Processing latency",
                                        "s",
                                        promql(
                                                        quantile(
                                                                0.95,
                                                                svc("consumer_processing_duration_seconds")
                                                                        .bucket(),
                                                                ""),
                                                        "p95")
                                                .withExemplars()
                                                .covering(
                                                        "002 histogram_quantile(0.95, consumer_processing_duration_seconds_bucket)"),
                                        promql(
                                                quantile(
                                                        0.95,
                                                        svc("consumer_sink_insert_duration_seconds")
                                                                .bucket(),
                                                        ""),
                                                "sink insert p95"))
                                .sized(6, 8),
                        Panel.timeseries(
                                        "Errors by type",
                                        "ops",
                                        promql(
                                                        "sum by (error_type) (" + rate(svc("consumer_errors_total"))
                                                                + ")",
                                                        "{{error_type}}")
                                                .covering("002 consumer_errors_total"))
                                .sized(6, 8),
                        Panel.timeseries(
                                        "Lag",
                                        "none",
                                        promql("max(" + svc("consumer_lag") + ")", "lag")
                                                .covering("002 consumer_lag"))
                                .sized(6, 8))
                .row("Service")
                .add(
                        Panel.table(
                                        "Running versions",
                                        promql(svc("app_info").toString(), "")
                                                .covering("004 app_info{version,environment}"))
                                .sized(12, 6),
                        Panel.timeseries(
                                        "Telemetry health",
                                        "ops",
                                        promql(
                                                "sum by (signal) (" + rate(svc("vigil_export_failures_total")) + ")",
                                                "export failures {{signal}}"),
                                        promql(
                                                "sum by (kind, label) (" + rate(svc("vigil_label_overflow_total"))
                                                        + ")",
                                                "label overflow {{kind}}.{{label}}"))
                                .sized(12, 6))
                .row("Dependencies (from traces)")
                .add(Panel.nodeGraph("Service graph", Query.serviceMap()))
                .build();
    }

    private Dashboard auth() {
        Selector attempts = svc("authentication_attempts_total");
        Selector failedLogins = svc("failed_login_attempts_total");
        Selector security = svc("security_events_total");
        Selector authz = svc("authorization_checks_total");
        return Dashboard.builder(AUTH, "Vigil · Authentication & security")
                .description("Logins, failures by reason, lockouts, authorization denials and security events.")
                .variable(job())
                .variable(service())
                .row("Now")
                .add(
                        Panel.stat("Authentications", "ops", promql("sum(" + rate(attempts) + ")", "attempts")),
                        Panel.stat(
                                "Failed logins, last hour",
                                "none",
                                promql("sum(increase(" + failedLogins.over("1h") + "))", "failed")
                                        .covering(
                                                "000 Total failed logins in last hour:"
                                                        + " sum(increase(failed_login_attempts[1h])) -> failed_login_attempts_total")),
                        Panel.stat(
                                "Accounts locked, last hour",
                                "none",
                                promql(
                                        "sum(increase("
                                                + security.eq("event_type", "account_locked")
                                                        .over("1h") + "))",
                                        "locked")),
                        Panel.stat(
                                "Authorization denials, last hour",
                                "none",
                                promql(
                                                "sum(increase("
                                                        + authz.eq("is_authorized", "false")
                                                                .over("1h") + "))",
                                                "denied")
                                        .covering(
                                                "000 Failed authorization checks:"
                                                        + " sum(increase(authorization_checks_total{is_authorized=\"false\"}[1h]))")))
                .row("Authentication")
                .add(
                        Panel.timeseries(
                                "Attempts by type and outcome",
                                "ops",
                                promql(
                                                "sum by (auth_type, status) (" + rate(attempts) + ")",
                                                "{{auth_type}} {{status}}")
                                        .covering("000 Authentication attempts")),
                        Panel.timeseries(
                                "Failure rate",
                                "ops",
                                promql(
                                                "sum by (auth_type) (" + rate(attempts.eq("status", "failure")) + ")",
                                                "{{auth_type}}")
                                        .covering("000 rate(authentication_attempts_total{status=\"failure\"}[5m])")),
                        Panel.timeseries(
                                "Duration p95 / p99",
                                "s",
                                promql(
                                                quantile(
                                                        0.95,
                                                        svc("authentication_duration_seconds")
                                                                .bucket(),
                                                        "auth_type"),
                                                "p95 {{auth_type}}")
                                        .withExemplars()
                                        .covering(
                                                "000 histogram_quantile(0.95, rate(authentication_duration_seconds_bucket[5m]))"),
                                promql(
                                                quantile(
                                                        0.99,
                                                        svc("authentication_duration_seconds")
                                                                .bucket(),
                                                        "auth_type"),
                                                "p99 {{auth_type}}")
                                        .withExemplars()),
                        Panel.pie(
                                        "Failed logins by reason",
                                        "none",
                                        promql(
                                                        "sum by (reason) (increase(" + failedLogins.over("$__range")
                                                                + "))",
                                                        "{{reason}}")
                                                .covering("000 Failed login attempts by reason (pie chart)"))
                                .sized(12, 8))
                .row("Security and authorization")
                .add(
                        Panel.timeseries(
                                "Security events by type and severity",
                                "ops",
                                promql(
                                                "sum by (event_type, severity) (" + rate(security) + ")",
                                                "{{event_type}} ({{severity}})")
                                        .covering("000 Security events timeline")),
                        Panel.timeseries(
                                "Authorization denials by resource and action",
                                "ops",
                                promql(
                                        "sum by (resource, action) (" + rate(authz.eq("is_authorized", "false")) + ")",
                                        "{{resource}} {{action}}")),
                        Panel.timeseries(
                                "Password operations",
                                "ops",
                                promql(
                                        "sum by (operation_type, status) (" + rate(svc("password_operations_total"))
                                                + ")",
                                        "{{operation_type}} {{status}}")),
                        Panel.timeseries(
                                "Token validations and 403s",
                                "ops",
                                promql(
                                                "sum by (status) (" + rate(svc("token_validation_total")) + ")",
                                                "validation {{status}}")
                                        .covering("004 token_validation_total{status}"),
                                promql(
                                                "sum("
                                                        + rate(svc("http_requests_total")
                                                                .eq("status_code", "403")) + ")",
                                                "403 responses")
                                        .covering("004 UnauthorizedAccessAttempts' rate")))
                .row("Logs")
                .add(
                        Panel.logs(
                                        "High and critical security events",
                                        logql(
                                                        STREAM
                                                                + " | json | event_type=\"security\" | severity=~\"high|critical\"")
                                                .covering("000 LogQL high severity security events"))
                                .sized(12, 10),
                        Panel.logs(
                                        "Failed authentications",
                                        logql(STREAM + " | json | event_type=\"authentication\" | status=\"failure\"")
                                                .covering("000 LogQL all authentication failures"))
                                .sized(12, 10))
                .build();
    }

    private Dashboard users() {
        Selector userOps = svc("user_operations_total");
        Selector tokenOps = svc("token_operations_total");
        return Dashboard.builder(USERS, "Vigil · Users & tokens")
                .description("User management and the token lifecycle.")
                .variable(job())
                .variable(service())
                .row("Tokens")
                .add(
                        Panel.stat(
                                        "Active access tokens",
                                        "none",
                                        promql("sum(" + svc("active_tokens").eq("token_type", "access") + ")", "access")
                                                .covering("000 active_tokens{token_type=\"access\"}"))
                                .sized(6, 8),
                        Panel.timeseries(
                                        "Active tokens by type",
                                        "none",
                                        promql("sum by (token_type) (" + svc("active_tokens") + ")", "{{token_type}}")
                                                .covering("000 Active tokens gauge"))
                                .sized(6, 8),
                        Panel.timeseries(
                                "Token operations",
                                "ops",
                                promql(
                                        "sum by (operation_type, token_type, status) (" + rate(tokenOps) + ")",
                                        "{{operation_type}} {{token_type}} {{status}}")),
                        Panel.timeseries(
                                "Token operation p95",
                                "s",
                                promql(
                                                quantile(
                                                        0.95,
                                                        svc("token_operation_duration_seconds")
                                                                .bucket(),
                                                        "operation_type, token_type"),
                                                "{{operation_type}} {{token_type}}")
                                        .withExemplars()),
                        Panel.timeseries(
                                "Token operation failures",
                                "ops",
                                promql(
                                        "sum by (operation_type, token_type) ("
                                                + rate(tokenOps.re("status", "failure|error")) + ")",
                                        "{{operation_type}} {{token_type}}")))
                .row("Users")
                .add(
                        Panel.timeseries(
                                "User operations",
                                "ops",
                                promql(
                                                "sum by (operation_type, status) (" + rate(userOps) + ")",
                                                "{{operation_type}} {{status}}")
                                        .covering("000 User operations rate")),
                        Panel.timeseries(
                                "User operation p95",
                                "s",
                                promql(
                                                quantile(
                                                        0.95,
                                                        svc("user_operation_duration_seconds")
                                                                .bucket(),
                                                        "operation_type"),
                                                "{{operation_type}}")
                                        .withExemplars()),
                        Panel.timeseries(
                                "Failed user operations",
                                "ops",
                                promql(
                                        "sum by (operation_type, status) ("
                                                + rate(userOps.re("status", "failure|error")) + ")",
                                        "{{operation_type}} {{status}}")),
                        Panel.timeseries(
                                "Password operations",
                                "ops",
                                promql(
                                        "sum by (operation_type, status) (" + rate(svc("password_operations_total"))
                                                + ")",
                                        "{{operation_type}} {{status}}")))
                .row("Logs")
                .add(
                        Panel.timeseries(
                                        "User operations timeline (logs)",
                                        "none",
                                        logql(
                                                        "sum by (operation_type) (count_over_time(" + STREAM
                                                                + " | json | event_type=\"user_operation\" [$__interval]))",
                                                        "{{operation_type}}")
                                                .covering("000 Loki dashboard: User operations timeline"))
                                .sized(12, 8),
                        Panel.logs(
                                        "Token generation events",
                                        logql(
                                                        STREAM
                                                                + " | json | event_type=\"token_operation\" | operation_type=\"generate\"")
                                                .covering("000 LogQL token generation events"))
                                .sized(12, 8))
                .build();
    }

    private Dashboard database() {
        Selector ops = svc("database_operations_total");
        Selector duration = svc("database_operation_duration_seconds");
        return Dashboard.builder(DATABASE, "Vigil · Database & pool")
                .description("Repository-level operations, the connection pool, PostgreSQL and Redis.")
                .variable(job())
                .row("Operations")
                .add(
                        Panel.timeseries(
                                "Operations by type and table",
                                "ops",
                                promql("sum by (operation, table) (" + rate(ops) + ")", "{{operation}} {{table}}")
                                        .covering("000 Database operations: operation counts")),
                        Panel.timeseries(
                                "Latency p50 / p95 / p99",
                                "s",
                                promql(quantile(0.5, duration.bucket(), ""), "p50"),
                                promql(quantile(0.95, duration.bucket(), ""), "p95")
                                        .withExemplars(),
                                promql(quantile(0.99, duration.bucket(), ""), "p99")
                                        .withExemplars()
                                        .covering(
                                                "000 Database query p99 latency:"
                                                        + " histogram_quantile(0.99, rate(database_operation_duration_seconds_bucket[5m]))")),
                        Panel.timeseries(
                                "p95 by table",
                                "s",
                                promql(
                                        quantile(0.95, duration.bucket(), "operation, table"),
                                        "{{operation}} {{table}}")),
                        Panel.timeseries(
                                "Errors by operation and type",
                                "ops",
                                promql(
                                                "sum by (operation, error_type) (" + rate(svc("db_errors_total")) + ")",
                                                "{{operation}} {{error_type}}")
                                        .covering("004 db_errors_total{operation,error_type}"),
                                promql(
                                        "sum by (operation, status) (" + rate(ops.re("status", "failure|error")) + ")",
                                        "{{operation}} {{status}}")))
                .row("Connection pool")
                .add(
                        Panel.timeseries(
                                        "Connections",
                                        "none",
                                        promql(
                                                        "sum by (pool) (" + svc("db_connections_active") + ")",
                                                        "active {{pool}}")
                                                .covering("004 db_connections_active"),
                                        promql("sum by (pool) (" + svc("db_connections_idle") + ")", "idle {{pool}}"),
                                        promql("sum by (pool) (" + svc("db_connections_max") + ")", "max {{pool}}"),
                                        promql(
                                                "sum by (pool) (" + svc("db_connections_pending") + ")",
                                                "pending {{pool}}"))
                                .sized(16, 8),
                        Panel.gauge(
                                        "Pool utilization",
                                        "percentunit",
                                        promql(
                                                "max by (pool) (" + svc("db_connections_active") + " / "
                                                        + svc("db_connections_max") + ")",
                                                "{{pool}}"))
                                .sized(8, 8))
                .row("PostgreSQL (postgres-exporter)")
                .add(
                        Panel.stat("PostgreSQL up", "none", promql("min(" + c.select("pg_up") + ")", "up")),
                        Panel.stat(
                                "Cache hit ratio",
                                "percentunit",
                                promql(
                                                "sum(" + c.select("pg_stat_database_blks_hit") + ") / (sum("
                                                        + c.select("pg_stat_database_blks_hit") + ") + sum("
                                                        + c.select("pg_stat_database_blks_read") + "))",
                                                "hit ratio")
                                        .covering("004 cache hit ratio")),
                        Panel.timeseries(
                                        "Backends",
                                        "none",
                                        promql(
                                                        "sum by (datname) (" + c.select("pg_stat_database_numbackends")
                                                                + ")",
                                                        "{{datname}}")
                                                .covering("004 pg_stat_database_numbackends (active connections)"))
                                .sized(12, 4),
                        Panel.timeseries(
                                "Transactions per second",
                                "ops",
                                promql(
                                                "sum by (datname) (rate("
                                                        + c.select("pg_stat_database_xact_commit")
                                                                .over(RATE) + "))",
                                                "commit {{datname}}")
                                        .covering("004 rate(pg_stat_database_xact_commit[5m])"),
                                promql(
                                        "sum by (datname) (rate("
                                                + c.select("pg_stat_database_xact_rollback")
                                                        .over(RATE) + "))",
                                        "rollback {{datname}}")),
                        Panel.timeseries(
                                "Database size and deadlocks",
                                "bytes",
                                promql("sum by (datname) (" + c.select("pg_database_size_bytes") + ")", "{{datname}}")
                                        .covering("004 pg_database_size_bytes"),
                                promql(
                                        "sum by (datname) (increase("
                                                + c.select("pg_stat_database_deadlocks")
                                                        .over("1h") + "))",
                                        "deadlocks/h {{datname}}")))
                .row("Redis (redis-exporter)")
                .add(
                        Panel.stat("Redis up", "none", promql("min(" + c.select("redis_up") + ")", "up")),
                        Panel.stat(
                                "Connected clients",
                                "none",
                                promql("sum(" + c.select("redis_connected_clients") + ")", "clients")
                                        .covering("004 redis_connected_clients")),
                        Panel.timeseries(
                                        "Memory used",
                                        "bytes",
                                        promql("sum(" + c.select("redis_memory_used_bytes") + ")", "used")
                                                .covering("004 redis_memory_used_bytes"))
                                .sized(12, 4))
                .build();
    }

    private Dashboard jvm() {
        Selector heapUsed = svc("jvm_memory_used_bytes").eq("jvm_memory_type", "heap");
        return Dashboard.builder(JVM, "Vigil · JVM")
                .description("Memory, garbage collection, threads and CPU (OpenTelemetry runtime metrics), with"
                        + " continuous profiles.")
                .variable(job())
                .variable(service())
                .row("Memory")
                .add(
                        Panel.timeseries(
                                "Heap used / limit",
                                "bytes",
                                promql("sum by (instance) (" + heapUsed + ")", "used {{instance}}"),
                                promql(
                                        "sum by (instance) ("
                                                + svc("jvm_memory_limit_bytes").eq("jvm_memory_type", "heap") + ")",
                                        "limit {{instance}}"),
                                promql(
                                        "sum by (instance) ("
                                                + svc("jvm_memory_used_after_last_gc_bytes")
                                                        .eq("jvm_memory_type", "heap")
                                                + ")",
                                        "after GC {{instance}}")),
                        Panel.timeseries(
                                "Memory by pool",
                                "bytes",
                                promql(
                                        "sum by (jvm_memory_type, jvm_memory_pool_name) ("
                                                + svc("jvm_memory_used_bytes") + ")",
                                        "{{jvm_memory_type}} {{jvm_memory_pool_name}}")))
                .row("Garbage collection and threads")
                .add(
                        Panel.timeseries(
                                        "GC time spent",
                                        "percentunit",
                                        promql(
                                                "sum by (jvm_gc_name) ("
                                                        + rate(svc("jvm_gc_duration_seconds")
                                                                .sum()) + ")",
                                                "{{jvm_gc_name}}"))
                                .sized(8, 8),
                        Panel.timeseries(
                                        "Average GC pause",
                                        "s",
                                        promql(
                                                "sum by (jvm_gc_name) ("
                                                        + rate(svc("jvm_gc_duration_seconds")
                                                                .sum())
                                                        + ") / sum by (jvm_gc_name) ("
                                                        + rate(svc("jvm_gc_duration_seconds")
                                                                .count()) + ")",
                                                "{{jvm_gc_name}}"))
                                .sized(8, 8),
                        Panel.timeseries(
                                        "Threads by state",
                                        "none",
                                        promql(
                                                "sum by (jvm_thread_state) (" + svc("jvm_thread_count") + ")",
                                                "{{jvm_thread_state}}"))
                                .sized(8, 8))
                .row("CPU and classes")
                .add(
                        Panel.timeseries(
                                        "CPU utilization",
                                        "percentunit",
                                        promql(
                                                "max by (instance) (" + svc("jvm_cpu_recent_utilization") + ")",
                                                "{{instance}}"),
                                        promql(
                                                "sum by (instance) (" + rate(svc("jvm_cpu_time_seconds_total"))
                                                        + ") / sum by (instance) (" + svc("jvm_cpu_count") + ")",
                                                "from cpu time {{instance}}"))
                                .sized(12, 8),
                        Panel.timeseries(
                                        "Classes",
                                        "none",
                                        promql("sum(" + svc("jvm_class_count") + ")", "loaded"),
                                        promql("sum(" + rate(svc("jvm_class_loaded_total")) + ")", "loads/s"),
                                        promql("sum(" + rate(svc("jvm_class_unloaded_total")) + ")", "unloads/s"))
                                .sized(12, 8))
                .row("Profiles (Pyroscope)")
                .add(
                        Panel.flameGraph(
                                        "CPU",
                                        Query.profile(
                                                "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                                                "{service_name=\"$service\"}"))
                                .sized(12, 12),
                        Panel.flameGraph(
                                        "Allocations",
                                        Query.profile(
                                                "memory:alloc_in_new_tlab_bytes:bytes:space:bytes",
                                                "{service_name=\"$service\"}"))
                                .sized(12, 12))
                .build();
    }

    private Dashboard logs() {
        return Dashboard.builder(LOGS, "Vigil · Logs explorer")
                .description("Structured logs in Loki: one JSON object per line, filtered with | json.")
                .variable(service())
                .variable(Variable.textbox("request_id", "Request id", "", "abc12345"))
                .variable(Variable.textbox("user_id", "User id", "", "00000000-0000-0000-0000-000000000000"))
                .row("Volume")
                .add(
                        Panel.timeseries(
                                        "Log volume by level",
                                        "none",
                                        logql(
                                                        "sum by (level) (count_over_time(" + STREAM
                                                                + " [$__interval]))",
                                                        "{{level}}")
                                                .covering("000 Loki dashboard: Log volume by level"))
                                .option("stacking", "normal")
                                .sized(12, 8),
                        Panel.timeseries(
                                        "Error rate",
                                        "none",
                                        logql(
                                                        "sum(rate({service=\"$service\", level=\"ERROR\"} [$__interval]))",
                                                        "errors/s")
                                                .covering(
                                                        "004 Error rate over time: rate({…} | json | level=\"ERROR\"[5m]);"
                                                                + " 003 HighErrorRate LogQL"))
                                .sized(12, 8))
                .row("Everything")
                .add(Panel.logs("All logs", logql(STREAM + " | json").covering("000 All logs viewer")))
                .add(
                        Panel.logs(
                                        "One request",
                                        logql(STREAM + " | json | request_id=\"$request_id\"")
                                                .covering("004 correlate by request ID; 003 all logs for a request"))
                                .sized(12, 10),
                        Panel.logs(
                                        "One user",
                                        logql(STREAM + " | json | user_id=\"$user_id\"")
                                                .covering(
                                                        "000 user operations by specific user; 003/004 logs for a user"))
                                .sized(12, 10))
                .row("Authentication and security")
                .add(
                        Panel.timeseries(
                                        "Authentication events by status",
                                        "none",
                                        logql(
                                                        "sum by (status) (count_over_time(" + STREAM
                                                                + " | json | event_type=\"authentication\" [$__interval]))",
                                                        "{{status}}")
                                                .covering("000 Loki dashboard: Authentication events by status"))
                                .sized(12, 8),
                        Panel.timeseries(
                                        "Security events by type and severity",
                                        "none",
                                        logql(
                                                        "sum by (security_event_type, severity) (count_over_time("
                                                                + STREAM
                                                                + " | json | event_type=\"security\" [$__interval]))",
                                                        "{{security_event_type}} ({{severity}})")
                                                .covering("000 Loki dashboard: Security events by type and severity"))
                                .sized(12, 8),
                        Panel.logs(
                                        "Failed authentications",
                                        logql(STREAM + " | json | event_type=\"authentication\" | status=\"failure\"")
                                                .covering("000 LogQL all authentication failures"))
                                .sized(12, 10),
                        Panel.logs(
                                        "Account lockouts",
                                        logql(STREAM + " | json | security_event_type=\"account_locked\"")
                                                .covering("000 LogQL account lockout events"))
                                .sized(12, 10),
                        Panel.logs(
                                        "High and critical security events",
                                        logql(
                                                        STREAM
                                                                + " | json | event_type=\"security\" | severity=~\"high|critical\"")
                                                .covering("000 LogQL high severity security events"))
                                .sized(12, 10),
                        Panel.logs(
                                        "Password operations",
                                        logql(STREAM + " | json | event_type=\"password_operation\"")
                                                .covering("000 Loki dashboard: Password security events"))
                                .sized(12, 10))
                .row("Users and tokens")
                .add(
                        Panel.timeseries(
                                        "User operations timeline",
                                        "none",
                                        logql(
                                                        "sum by (operation_type) (count_over_time(" + STREAM
                                                                + " | json | event_type=\"user_operation\" [$__interval]))",
                                                        "{{operation_type}}")
                                                .covering("000 Loki dashboard: User operations timeline"))
                                .sized(12, 8),
                        Panel.timeseries(
                                        "Token operations by type",
                                        "none",
                                        logql(
                                                        "sum by (operation_type) (count_over_time(" + STREAM
                                                                + " | json | event_type=\"token_operation\" [$__interval]))",
                                                        "{{operation_type}}")
                                                .covering("000 Loki dashboard: Token operations by type"))
                                .sized(12, 8),
                        Panel.logs(
                                        "Failed user operations",
                                        logql(
                                                        STREAM
                                                                + " | json | event_type=\"user_operation\" | status=~\"failure|error\"")
                                                .covering("000 Loki dashboard: Failed user operations"))
                                .sized(12, 10),
                        Panel.logs(
                                        "Token generation",
                                        logql(
                                                        STREAM
                                                                + " | json | event_type=\"token_operation\" | operation_type=\"generate\"")
                                                .covering("000 LogQL token generation events"))
                                .sized(12, 10))
                .row("Problems")
                .add(
                        Panel.logs(
                                        "Errors",
                                        logql("{service=\"$service\", level=\"ERROR\"} | json")
                                                .covering(
                                                        "000 errors (level=\"ERROR\"); 004 recent error logs; 002 errors only"))
                                .sized(12, 10),
                        Panel.logs(
                                        "Slow operations (> 1 s)",
                                        logql(STREAM + " | json | duration_seconds > 1")
                                                .covering("000 LogQL slow operations; 004 duration filter"))
                                .sized(12, 10),
                        Panel.table(
                                        "Top 10 error messages (1h)",
                                        logql(
                                                        "topk(10, sum by (message) (count_over_time({service=\"$service\","
                                                                + " level=\"ERROR\"} | json [1h])))",
                                                        "{{message}}")
                                                .covering("004 top 10 error messages"))
                                .sized(12, 8),
                        Panel.logs(
                                        "Rate-limited requests",
                                        logql(STREAM + " | json | event_type=\"http_request\" | status_code = 429")
                                                .covering("004 rate limit violations"))
                                .sized(12, 8),
                        Panel.logs(
                                        "Message consumers",
                                        logql(STREAM + " | json | event_type=\"consumer\"")
                                                .covering("002 consumer logs"))
                                .sized(24, 8))
                .build();
    }

    private Dashboard traces() {
        Selector calls = c.select("traces_spanmetrics_calls_total").eq("service", "$service");
        String inService = "resource.service.name = \"$service\"";
        return Dashboard.builder(TRACES, "Vigil · Traces")
                .description("Tempo: service graph, span RED metrics from the metrics generator, and TraceQL searches"
                        + " (scoped attribute names, as real Tempo requires).")
                .variable(service())
                .variable(Variable.textbox("user_id", "User id", "", "00000000-0000-0000-0000-000000000000"))
                .row("Service graph and span metrics")
                .add(
                        Panel.nodeGraph("Service graph", Query.serviceMap()).sized(24, 10),
                        Panel.timeseries(
                                        "Span rate by name",
                                        "ops",
                                        promql("sum by (span_name) (rate(" + calls.over(RATE) + "))", "{{span_name}}")
                                                .covering("001 trace -> metrics: RED for traced operations"))
                                .sized(8, 8),
                        Panel.timeseries(
                                        "Span errors by name",
                                        "ops",
                                        promql(
                                                "sum by (span_name) (rate("
                                                        + calls.eq("status_code", "STATUS_CODE_ERROR")
                                                                .over(RATE) + "))",
                                                "{{span_name}}"))
                                .sized(8, 8),
                        Panel.timeseries(
                                        "Span p95 by name",
                                        "s",
                                        promql(
                                                        "histogram_quantile(0.95, sum by (span_name, le) (rate("
                                                                + c.select("traces_spanmetrics_latency")
                                                                        .bucket()
                                                                        .eq("service", "$service")
                                                                        .over(RATE)
                                                                + ")))",
                                                        "{{span_name}}")
                                                .withExemplars())
                                .sized(8, 8))
                .row("Searches")
                .add(
                        Panel.table(
                                "Failed logins",
                                traceql("{ " + inService + " && name = \"auth.login.authenticate_user\""
                                                + " && span.auth.status = \"failure\" }")
                                        .covering("000 TraceQL { name=\"auth.login.authenticate_user\" &&"
                                                + " auth.status=\"failure\" } (scoped)")),
                        Panel.table(
                                "Slow operations (> 1 s)",
                                traceql("{ " + inService + " && duration > 1s }")
                                        .covering("000 TraceQL { duration > 1s }")),
                        Panel.table(
                                "Errors",
                                traceql("{ " + inService + " && status = error }")
                                        .covering("000 TraceQL { status=error }")),
                        Panel.table(
                                "Authorization denials",
                                traceql("{ " + inService + " && span.authz.granted = false }")
                                        .covering("000 TraceQL { authz.granted=false } (scoped)")),
                        Panel.table(
                                "High and critical security events",
                                traceql("{ " + inService + " && (span.security.event.severity = \"high\""
                                                + " || span.security.event.severity = \"critical\") }")
                                        .covering("000 TraceQL security.event.severity high || critical (scoped)")),
                        Panel.table(
                                "One user's traces",
                                traceql("{ " + inService + " && span.user.id = \"$user_id\" }")
                                        .covering("000 TraceQL { user.id=\"<user-uuid>\" } (scoped)")),
                        Panel.table(
                                "Login requests",
                                traceql("{ " + inService + " && name = \"POST /api/v1/auth/login\" }")
                                        .covering("contract section 3: the login trace")),
                        Panel.table(
                                "Security-relevant password operations",
                                traceql("{ " + inService + " && span.security.relevant = true }")
                                        .covering("000 password operations marked security-relevant")))
                .build();
    }

    // ---- query helpers ------------------------------------------------------------------------

    /** A selector on the chosen service's series. */
    private Selector svc(String metric) {
        return c.select(metric).re("job", "$job");
    }

    private static String rate(Selector s) {
        return "rate(" + s.over(RATE) + ")";
    }

    private static String quantile(double q, Selector bucket, String by) {
        String group = by.isEmpty() ? "le" : by + ", le";
        return "histogram_quantile(" + q + ", sum by (" + group + ") (rate(" + bucket.over(RATE) + ")))";
    }

    private static Query promql(String expr, String legend) {
        return Query.promql(expr, legend);
    }

    private static Query logql(String expr) {
        return Query.logql(expr, "");
    }

    private static Query logql(String expr, String legend) {
        return Query.logql(expr, legend);
    }

    private static Query traceql(String q) {
        return Query.traceql(q);
    }

    private static String budget(double objective) {
        return new java.math.BigDecimal(Double.toString(1 - objective))
                .round(new java.math.MathContext(6))
                .stripTrailingZeros()
                .toPlainString();
    }

    private static String pct(double objective) {
        return new java.math.BigDecimal(Double.toString(objective * 100))
                        .round(new java.math.MathContext(6))
                        .stripTrailingZeros()
                        .toPlainString()
                + "%";
    }
}
