package io.vigil.dashboards;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The dashboards Vigil generates for one service from its {@link MetricCatalogue}: service overview
 * (RED per endpoint, SLOs), authentication and security, users and tokens, database and pool, JVM,
 * logs explorer (Loki) and traces (Tempo). Each dashboard is a list of rows, one per convention
 * (HTTP, WebSocket, consumers, each identity kind, database, pool, exporters), and a row or panel is
 * generated only when the catalogue holds its metrics; a dashboard left without panels is not
 * generated. Every Prometheus query selects the {@code job} and {@code instance} variables, every
 * Loki, Tempo and Pyroscope query the {@code service} variable. Each query notes the source-document
 * query it covers.
 */
public final class StandardDashboards {
    /** The service overview's name: its uid is {@link #uid(ServiceTarget, String)} of it. */
    public static final String OVERVIEW = "overview";
    /** The authentication and security dashboard's name. */
    public static final String AUTH = "auth-security";
    /** The users and tokens dashboard's name. */
    public static final String USERS = "users-tokens";
    /** The event pipeline's dashboard (ingest, Kafka consumers and producers, dependency health). */
    public static final String PIPELINE = "pipeline";
    /** The database and pool dashboard's name. */
    public static final String DATABASE = "database";
    /** The JVM dashboard's name. */
    public static final String JVM = "jvm";
    /** The logs explorer's name. */
    public static final String LOGS = "logs";
    /** The traces dashboard's name. */
    public static final String TRACES = "traces";
    /** Every dashboard name, in menu order. */
    public static final List<String> NAMES = List.of(OVERVIEW, AUTH, USERS, PIPELINE, DATABASE, JVM, LOGS, TRACES);

    /** The Apdex target T in seconds (satisfied); tolerating is within 4T, a bucket boundary of the HTTP histogram. */
    public static final String APDEX_T = "0.1";
    /** 4T, the Apdex tolerating threshold. */
    public static final String APDEX_4T = "0.4";

    private static final String RATE = "$__rate_interval";
    private static final String STREAM = "{service=\"$service\"}";
    private static final String ERROR_STREAM = "{service=\"$service\", level=\"ERROR\"}";
    private static final String IN_SERVICE = "resource.service.name = \"$service\"";

    private final MetricCatalogue c;
    private final ServiceTarget target;

    private StandardDashboards(MetricCatalogue catalogue, ServiceTarget target) {
        this.c = catalogue;
        this.target = target;
    }

    /** Every dashboard with at least one panel for {@code target}'s catalogue, in menu order. */
    public static List<Dashboard> all(MetricCatalogue catalogue, ServiceTarget target) {
        StandardDashboards d = new StandardDashboards(catalogue, target);
        return List.of(d.overview(), d.auth(), d.users(), d.pipeline(), d.database(), d.jvm(), d.logs(), d.traces())
                .stream()
                .filter(x -> x.panels().stream().anyMatch(p -> !p.isRow()))
                .toList();
    }

    /**
     * The Grafana uid of the dashboard {@code name} (one of {@link #NAMES}) for {@code target}: {@code
     * <slug>-<name>}, at most 40 characters of {@code [A-Za-z0-9_-]}, distinct for every service (see
     * {@link ServiceTarget#slug()}), so several services' dashboards share one Grafana. Alert links
     * and file names use it.
     */
    public static String uid(ServiceTarget target, String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("no dashboard named '" + name + "'; known: " + NAMES);
        }
        return target.slug() + "-" + name;
    }

    // ---- variables ----------------------------------------------------------------------------

    private Variable job() {
        return Variable.prometheus("job", "Job", "label_values(app_info, job)", false, target.job());
    }

    private static Variable instance() {
        return Variable.prometheus(
                "instance", "Instance", "label_values(app_info{job=~\"$job\"}, instance)", true, ".*");
    }

    private static Variable endpoint() {
        return Variable.prometheus(
                "endpoint",
                "Endpoint",
                "label_values(http_requests_total{job=~\"$job\", instance=~\"$instance\"}, endpoint)",
                true,
                ".*");
    }

    private Variable service() {
        return Variable.custom("service", "Service", target.service());
    }

    private static Variable userId() {
        return Variable.textbox("user_id", "User id", "", "00000000-0000-0000-0000-000000000000");
    }

    // ---- assembly -----------------------------------------------------------------------------

    /** Panels of one row, each added only when the catalogue holds the metrics it reads. */
    private final class Row {
        private final String title;
        private final List<Panel> panels = new ArrayList<>();

        private Row(String title) {
            this.title = title;
        }

        /** Adds the panel when every one of {@code metrics} is in the catalogue. */
        Row when(List<String> metrics, Supplier<Panel> panel) {
            if (c.containsAll(metrics.toArray(String[]::new))) {
                panels.add(panel.get());
            }
            return this;
        }

        Row when(String metric, Supplier<Panel> panel) {
            return when(List.of(metric), panel);
        }

        Row always(Panel panel) {
            panels.add(panel);
            return this;
        }
    }

    private Row row(String title) {
        return new Row(title);
    }

    private static Dashboard dashboard(Dashboard.Builder b, Row... rows) {
        for (Row r : rows) {
            if (!r.panels.isEmpty()) {
                b.row(r.title).add(r.panels.toArray(Panel[]::new));
            }
        }
        return b.build();
    }

    /**
     * A dashboard of this service: its uid, its title prefixed with the service name (titles are
     * unique per Grafana folder), and the service as a tag (the dashboards' menu link lists the
     * dashboards tagged with it).
     */
    private Dashboard.Builder start(String name, String title) {
        return Dashboard.builder(uid(target, name), target.service() + " · " + title)
                .tag(target.service());
    }

    private Dashboard.Builder prometheusDashboard(String name, String title, String description) {
        return start(name, title).description(description).variable(job()).variable(instance());
    }

    // ---- service overview ---------------------------------------------------------------------

    private Dashboard overview() {
        return dashboard(
                prometheusDashboard(
                                OVERVIEW,
                                "Service overview",
                                "RED per endpoint, SLO burn, WebSocket and consumer health of one service.")
                        .variable(endpoint()),
                goldenSignals(),
                slo(),
                redPerEndpoint(),
                webSocket(),
                consumers(),
                tasks(),
                runtimeHealth(),
                row("Dependencies (from traces)")
                        .when(
                                "traces_service_graph_request_total",
                                () -> Panel.nodeGraph("Service graph", Query.serviceMap())));
    }

    private Selector requests() {
        return svc("http_requests_total").re("endpoint", "$endpoint");
    }

    private Selector serverErrors() {
        return requests().re("status_code", "5..");
    }

    private Selector httpDuration() {
        return svc("http_request_duration_seconds").re("endpoint", "$endpoint");
    }

    private Row goldenSignals() {
        return row("Golden signals")
                .when(
                        "http_requests_total",
                        () -> Panel.stat("Requests", "reqps", promql("sum(" + rate(requests()) + ")", "requests")))
                .when(
                        "http_requests_total",
                        () -> Panel.stat(
                                "Error ratio (5xx)",
                                "percentunit",
                                promql(share("", serverErrors(), requests()), "errors")))
                .when(
                        "http_request_duration_seconds",
                        () -> Panel.stat(
                                "p95 latency",
                                "s",
                                promql(quantile(0.95, httpDuration().bucket(), ""), "p95")))
                .when("up", () -> Panel.stat("Targets up", "none", promql("sum(" + svc("up") + ")", "up")));
    }

    private Row slo() {
        List<String> metrics = List.of("http_requests_total", "http_request_duration_seconds");
        return row("SLO: " + pct(StandardAlerts.AVAILABILITY_OBJECTIVE) + " available, "
                        + pct(StandardAlerts.LATENCY_OBJECTIVE) + " within " + StandardAlerts.LATENCY_THRESHOLD_SECONDS
                        + "s")
                .when(
                        metrics,
                        () -> burnRate(
                                        "Error budget burn rate",
                                        "job:slo_http_errors:ratio_rate",
                                        StandardAlerts.AVAILABILITY_OBJECTIVE,
                                        "availability")
                                .describedAs("1 = spending the error budget exactly over 30 days; the fast-burn"
                                        + " alert pages at 14.4 (1h) or 6 (6h)."))
                .when(
                        metrics,
                        () -> burnRate(
                                        "Latency budget burn rate",
                                        "job:slo_http_slow_requests:ratio_rate",
                                        StandardAlerts.LATENCY_OBJECTIVE,
                                        "latency")
                                .describedAs("Share of requests slower than the objective's threshold, in units of"
                                        + " the budget."));
    }

    /** A recorded SLO ratio over 1h and 6h, in units of the objective's budget. */
    private static Panel burnRate(String title, String recorded, double objective, String legend) {
        return Panel.timeseries(
                title,
                "x",
                promql(recorded + "1h{job=~\"$job\"} / " + budget(objective), legend + ", 1h"),
                promql(recorded + "6h{job=~\"$job\"} / " + budget(objective), legend + ", 6h"));
    }

    private Row redPerEndpoint() {
        String requestsTotal = "http_requests_total";
        String duration = "http_request_duration_seconds";
        return row("RED per endpoint")
                .when(requestsTotal, this::requestRateByEndpoint)
                .when(requestsTotal, this::serverErrorsByEndpoint)
                .when(requestsTotal, this::errorRatioByEndpoint)
                .when(duration, this::latencyByEndpoint)
                .when(duration, this::averageResponseTime)
                .when(duration, this::apdex)
                .when(requestsTotal, this::responsesByStatus)
                .when("http_requests_in_progress", this::requestsInProgress)
                .when(List.of("http_request_size_bytes", "http_response_size_bytes"), this::bodySizes)
                .when(List.of("http_exceptions_total", "http_requests_total"), this::exceptionsByType)
                .when(List.of("rate_limit_hits_total", "http_requests_total"), this::rateLimitHits);
    }

    private Panel requestRateByEndpoint() {
        return Panel.timeseries(
                "Request rate by endpoint",
                "reqps",
                promql("sum by (method, endpoint) (" + rate(requests()) + ")", "{{method}} {{endpoint}}")
                        .covering("004 request throughput: rate(http_requests_total[5m]); 000 HTTP"
                                + " request rates by endpoint"));
    }

    private Panel serverErrorsByEndpoint() {
        return Panel.timeseries(
                "5xx rate by endpoint",
                "reqps",
                promql(
                                breakdownOrZero("method, endpoint, status_code", serverErrors(), requests()),
                                "{{method}} {{endpoint}} {{status_code}}")
                        .covering("000 HTTP 5xx error rate: rate(http_requests_total{status=~\"5..\"}[5m]),"
                                + " label status_code"));
    }

    private Panel errorRatioByEndpoint() {
        return Panel.timeseries(
                "Error ratio by endpoint",
                "percentunit",
                promql(share("endpoint", serverErrors(), requests()), "{{endpoint}}")
                        .covering("004 error rate percentage"));
    }

    private Panel latencyByEndpoint() {
        return Panel.timeseries(
                "Latency p95 by endpoint",
                "s",
                promql(quantile(0.95, httpDuration().bucket(), "endpoint"), "p95 {{endpoint}}")
                        .withExemplars()
                        .covering("004 p99 / percentiles of http_request_duration_seconds"),
                promql(quantile(0.99, httpDuration().bucket(), ""), "p99 all").withExemplars(),
                promql(quantile(0.5, httpDuration().bucket(), ""), "p50 all"));
    }

    private Panel averageResponseTime() {
        return Panel.timeseries(
                "Average response time by endpoint",
                "s",
                promql(
                                "sum by (endpoint) ("
                                        + rate(httpDuration().sum()) + ") / sum by (endpoint) ("
                                        + rate(httpDuration().count()) + ")",
                                "{{endpoint}}")
                        .covering("004 average response time by endpoint"));
    }

    private Panel responsesByStatus() {
        return Panel.pie(
                "Responses by status code",
                "reqps",
                promql("sum by (status_code) (" + rate(requests()) + ")", "{{status_code}}"));
    }

    private Panel requestsInProgress() {
        return Panel.timeseries(
                        "Requests in progress",
                        "none",
                        promql(
                                "sum by (endpoint) ("
                                        + svc("http_requests_in_progress").re("endpoint", "$endpoint") + ")",
                                "{{endpoint}}"))
                .sized(8, 8);
    }

    private Panel bodySizes() {
        return Panel.timeseries(
                        "Request / response size p95",
                        "bytes",
                        promql(
                                quantile(0.95, svc("http_request_size_bytes").bucket(), "endpoint"),
                                "request {{endpoint}}"),
                        promql(
                                quantile(0.95, svc("http_response_size_bytes").bucket(), "endpoint"),
                                "response {{endpoint}}"))
                .sized(8, 8);
    }

    private Panel exceptionsByType() {
        return Panel.timeseries(
                "Exceptions by type",
                "ops",
                promql(
                        breakdownOrZero(
                                "exception_type, endpoint", svc("http_exceptions_total"), svc("http_requests_total")),
                        "{{exception_type}} {{endpoint}}"));
    }

    private Panel rateLimitHits() {
        return Panel.timeseries(
                "Rate-limit hits by type",
                "ops",
                promql(
                                breakdownOrZero("limit_type", svc("rate_limit_hits_total"), svc("http_requests_total")),
                                "{{limit_type}}")
                        .covering("004 rate_limit_hits_total{limit_type}"));
    }

    /** The HTTP/WebSocket document's Apdex query as written: T = 0.1 s, tolerating within 4T = 0.4 s. */
    private Panel apdex() {
        Selector bucket = httpDuration().bucket();
        return Panel.timeseries(
                        "Apdex (T = " + APDEX_T + "s)",
                        "percentunit",
                        promql(
                                        "(sum(" + rate(bucket.eq("le", APDEX_T)) + ") + sum("
                                                + rate(bucket.eq("le", APDEX_4T)) + ")) / 2 / sum("
                                                + rate(httpDuration().count()) + ")",
                                        "apdex")
                                .covering("004 Apdex score: (satisfied le=\"0.1\" + tolerating le=\"0.4\") / 2 / total;"
                                        + " job:http_apdex:ratio_rate5m records it per job"))
                .describedAs("(satisfied + (satisfied + tolerating)) / 2 / all; satisfied is within " + APDEX_T
                        + "s, tolerating within " + APDEX_4T + "s (4T).");
    }

    private Row webSocket() {
        return row("WebSocket")
                .when(
                        "ws_connections_active",
                        () -> Panel.stat(
                                "Open connections",
                                "none",
                                promql("sum(" + svc("ws_connections_active") + ")", "open")
                                        .covering("004 ws_connections_active")))
                .when(
                        "ws_connections_total",
                        () -> Panel.timeseries(
                                        "Connections by outcome",
                                        "ops",
                                        promql(sumBy("status", rate(svc("ws_connections_total"))), "{{status}}")
                                                .covering("004 ws_connections_total{status}"))
                                .sized(6, 8))
                .when(
                        List.of("ws_messages_received_total", "ws_messages_sent_total"),
                        () -> Panel.timeseries(
                                        "Messages",
                                        "ops",
                                        promql("sum(" + rate(svc("ws_messages_received_total")) + ")", "received"),
                                        promql("sum(" + rate(svc("ws_messages_sent_total")) + ")", "sent"))
                                .sized(6, 8))
                .when(
                        "ws_message_processing_duration_seconds",
                        () -> Panel.timeseries(
                                        "Message processing p95 by handler",
                                        "s",
                                        promql(
                                                quantile(
                                                        0.95,
                                                        svc("ws_message_processing_duration_seconds")
                                                                .bucket(),
                                                        "handler"),
                                                "{{handler}}"))
                                .sized(6, 8))
                .when(List.of("ws_connections_closed_total", "ws_connections_total"), this::closesByCode)
                .when("ws_connection_duration_seconds", this::connectionDuration)
                .when("ws_message_size_bytes", this::messageSizes)
                .when(List.of("ws_message_errors_total", "ws_connections_total"), this::webSocketErrors);
    }

    private Panel closesByCode() {
        return Panel.timeseries(
                        "Closes by code",
                        "ops",
                        promql(
                                breakdownOrZero(
                                        "close_code", svc("ws_connections_closed_total"), svc("ws_connections_total")),
                                "{{close_code}}"))
                .describedAs("Accepted connections closed, by RFC 6455 close code: 1000 normal, 1001 going away,"
                        + " 1003 unsupported data (a frame type the endpoint has no handler for), 1006 abnormal"
                        + " (no close frame), 1008 policy (e.g. access revoked), 1009 message too big, 1011 server"
                        + " error; other codes are 'other'. Connections refused at connect are"
                        + " not here but under Connections by outcome.")
                .sized(6, 8);
    }

    private Panel connectionDuration() {
        Selector bucket = svc("ws_connection_duration_seconds").bucket();
        return Panel.timeseries(
                        "Connection duration p50 / p95",
                        "s",
                        promql(quantile(0.5, bucket, "endpoint"), "{{endpoint}} p50"),
                        promql(quantile(0.95, bucket, "endpoint"), "{{endpoint}} p95"))
                .describedAs("How long accepted connections stayed open, measured when they close (an open"
                        + " connection is not in it yet).")
                .sized(6, 8);
    }

    private Panel messageSizes() {
        return Panel.timeseries(
                        "Message size p95",
                        "bytes",
                        promql(quantile(0.95, svc("ws_message_size_bytes").bucket(), "direction"), "{{direction}} p95"))
                .sized(6, 8);
    }

    private Panel webSocketErrors() {
        return Panel.timeseries(
                        "Errors by type",
                        "ops",
                        promql(
                                // errors of a connection as much as of its messages: the connections are their traffic
                                breakdownOrZero(
                                        "error_type", svc("ws_message_errors_total"), svc("ws_connections_total")),
                                "{{error_type}}"))
                // The error_type values vigil-http's WebSocketConnection reports (WebSocketMetricsTest drives each).
                .describedAs("too_big: a message over the size limit (closed 1009) or the container's own;"
                        + " bad_frame: a frame type the endpoint has no handler for, e.g. binary to a text-only"
                        + " endpoint (closed 1003), or a frame the container could not decode; handler_error: the"
                        + " application's handler threw (closed 1011); io_error: an I/O failure or timeout on the"
                        + " connection, mostly a client gone without a close frame (then 1006); error: any other"
                        + " error the container reported.")
                .sized(6, 8);
    }

    private Row consumers() {
        return row("Message consumers")
                .when(
                        "consumer_messages_processed_total",
                        () -> Panel.timeseries(
                                        "Throughput by outcome",
                                        "ops",
                                        promql(
                                                        "sum by (status) (rate("
                                                                + svc("consumer_messages_processed_total")
                                                                        .over("1m") + "))",
                                                        "{{status}}")
                                                .covering(
                                                        "002 Consumer Throughput: rate(consumer_messages_processed_total[1m])"))
                                .sized(6, 8))
                .when(
                        "consumer_processing_duration_seconds",
                        () -> consumerLatency().sized(6, 8))
                .when(
                        List.of("consumer_errors_total", "consumer_messages_consumed_total"),
                        () -> Panel.timeseries(
                                        "Errors by type",
                                        "ops",
                                        promql(
                                                        breakdownOrZero(
                                                                "error_type",
                                                                svc("consumer_errors_total"),
                                                                svc("consumer_messages_consumed_total")),
                                                        "{{error_type}}")
                                                .covering("002 consumer_errors_total"))
                                .sized(6, 8))
                .when(
                        "consumer_lag",
                        () -> Panel.timeseries(
                                        "Lag",
                                        "none",
                                        promql("max(" + svc("consumer_lag") + ")", "lag")
                                                .covering("002 consumer_lag"))
                                .sized(6, 8));
    }

    // Background jobs (vigil-jobs): one series per task. The backlog gauges are counted by every
    // instance from the shared job table, hence max, never sum, across instances.
    private Row tasks() {
        return row("Background jobs")
                .when(
                        "task_executions_total",
                        () -> Panel.timeseries(
                                        "Executions by task and outcome",
                                        "ops",
                                        promql(
                                                        sumBy("task, status", rate(svc("task_executions_total"))),
                                                        "{{task}} {{status}}")
                                                .covering("003 task metrics (Flower): throughput per task"))
                                .sized(8, 8))
                .when(
                        "task_executions_total",
                        () -> Panel.timeseries(
                                        "Failed share and dead jobs",
                                        "percentunit",
                                        promql(
                                                        taskShare(svc("task_executions_total")
                                                                .re("status", "failure|retry|dead")),
                                                        "{{task}} failed")
                                                .covering("003 task failures"),
                                        promql(
                                                taskShare(svc("task_executions_total")
                                                        .eq("status", "dead")),
                                                "{{task}} dead"))
                                .describedAs("Failed executions (failure, retry, dead) and dead jobs (retries"
                                        + " exhausted, dropped) as a share of all executions, per task."))
                .when(
                        "task_duration_seconds",
                        () -> Panel.timeseries(
                                        "Duration p50 / p95 / p99",
                                        "s",
                                        promql(
                                                quantile(
                                                        0.5,
                                                        svc("task_duration_seconds")
                                                                .bucket(),
                                                        "task"),
                                                "{{task}} p50"),
                                        promql(
                                                        quantile(
                                                                0.95,
                                                                svc("task_duration_seconds")
                                                                        .bucket(),
                                                                "task"),
                                                        "{{task}} p95")
                                                .withExemplars(),
                                        promql(
                                                quantile(
                                                        0.99,
                                                        svc("task_duration_seconds")
                                                                .bucket(),
                                                        "task"),
                                                "{{task}} p99"))
                                .sized(8, 8))
                .when(
                        "task_queue_wait_seconds",
                        () -> Panel.timeseries(
                                        "Queue wait p50 / p95 / p99 (due → started)",
                                        "s",
                                        promql(
                                                quantile(
                                                        0.5,
                                                        svc("task_queue_wait_seconds")
                                                                .bucket(),
                                                        "task"),
                                                "{{task}} p50"),
                                        promql(
                                                quantile(
                                                        0.95,
                                                        svc("task_queue_wait_seconds")
                                                                .bucket(),
                                                        "task"),
                                                "{{task}} p95"),
                                        promql(
                                                quantile(
                                                        0.99,
                                                        svc("task_queue_wait_seconds")
                                                                .bucket(),
                                                        "task"),
                                                "{{task}} p99"))
                                .sized(8, 8))
                .when(
                        "task_queue_due_jobs",
                        () -> Panel.timeseries(
                                        "Backlog (due, not picked)",
                                        "none",
                                        promql("max by (task) (" + svc("task_queue_due_jobs") + ")", "{{task}}"))
                                .sized(8, 8))
                .when(
                        List.of("task_queue_oldest_wait_seconds", "task_last_success_timestamp_seconds"),
                        () -> Panel.timeseries(
                                        "Oldest waiting job and time since last success",
                                        "s",
                                        promql(
                                                "max by (task) (" + svc("task_queue_oldest_wait_seconds") + ")",
                                                "{{task}} oldest waiting"),
                                        promql(
                                                "time() - max by (task) (" + svc("task_last_success_timestamp_seconds")
                                                        + ")",
                                                "{{task}} since last success"))
                                .sized(8, 8));
    }

    // The share of a task's executions that {@code part} selects; 0, not "no data", while the task
    // runs without any such execution (the part's series does not exist yet).
    private String taskShare(Selector part) {
        return share("task", part, svc("task_executions_total"));
    }

    private Panel consumerLatency() {
        List<Query> queries = new ArrayList<>();
        queries.add(promql(
                        quantile(
                                0.95,
                                svc("consumer_processing_duration_seconds").bucket(),
                                ""),
                        "p95")
                .withExemplars()
                .covering("002 histogram_quantile(0.95, consumer_processing_duration_seconds_bucket)"));
        if (c.contains("consumer_sink_insert_duration_seconds")) {
            queries.add(promql(
                    quantile(0.95, svc("consumer_sink_insert_duration_seconds").bucket(), ""), "sink insert p95"));
        }
        return Panel.timeseries("Processing latency", "s", queries.toArray(Query[]::new));
    }

    private Row runtimeHealth() {
        return row("Service")
                .when(
                        "app_info",
                        () -> Panel.table(
                                        "Running versions",
                                        promql(svc("app_info").toString(), "")
                                                .covering("004 app_info{version,environment}"))
                                .sized(12, 6))
                .when(
                        List.of("vigil_export_failures_total", "vigil_label_overflow_total"),
                        () -> Panel.timeseries(
                                        "Telemetry health",
                                        "ops",
                                        promql(
                                                sumBy("signal", rate(svc("vigil_export_failures_total"))),
                                                "export failures {{signal}}"),
                                        promql(
                                                sumBy("kind, label", rate(svc("vigil_label_overflow_total"))),
                                                "label overflow {{kind}}.{{label}}"))
                                .sized(12, 6));
    }

    // ---- event pipeline (document 002) ----------------------------------------------------------

    private Dashboard pipeline() {
        // A service that only publishes (identity-service's audit outbox) gets the same dashboard,
        // named for what it shows rather than for a pipeline it is not.
        boolean ingests = c.contains("events_ingested_total");
        return dashboard(
                prometheusDashboard(
                        PIPELINE,
                        ingests ? "Event pipeline" : "Messaging",
                        ingests
                                ? "Ingest API, Kafka consumers and producers (throughput, latency, errors, dead letters,"
                                        + " lag per partition) and the health of every dependency."
                                : "Kafka consumers and producers (throughput, latency, errors, dead letters,"
                                        + " lag per partition) and the health of every dependency."),
                ingest(),
                kafkaConsumers(),
                kafkaProducers(),
                dependencyHealth());
    }

    private Row ingest() {
        return row("Ingest")
                .when(
                        "events_ingested_total",
                        () -> Panel.timeseries(
                                        "Events ingested by outcome",
                                        "ops",
                                        promql(sumBy("status", rate(svc("events_ingested_total"))), "{{status}}")
                                                .covering("002 events_ingested_total"))
                                .sized(8, 8))
                .when(
                        "event_ingest_duration_seconds",
                        () -> quantiles("Ingest latency p50 / p95 / p99", svc("event_ingest_duration_seconds"), "")
                                .sized(8, 8))
                .when(
                        "pipeline_step_duration_seconds",
                        () -> Panel.timeseries(
                                        "Step latency p95 (store, publish, insert)",
                                        "s",
                                        promql(
                                                        quantile(
                                                                0.95,
                                                                svc("pipeline_step_duration_seconds")
                                                                        .bucket(),
                                                                "step"),
                                                        "{{step}}")
                                                .covering("002 trace ingest_event: minio_upload, kafka_publish,"
                                                        + " postgres_insert"))
                                .sized(8, 8))
                .when(
                        "pipeline_steps_total",
                        () -> Panel.timeseries(
                                        "Failed steps",
                                        "ops",
                                        promql(
                                                breakdownOrZero(
                                                        "step",
                                                        svc("pipeline_steps_total")
                                                                .ne("status", "success"),
                                                        svc("pipeline_steps_total")),
                                                "{{step}}"))
                                .sized(24, 6));
    }

    private Row kafkaConsumers() {
        return row("Kafka consumers")
                .when(
                        List.of("consumer_messages_consumed_total", "consumer_dead_lettered_total"),
                        () -> Panel.timeseries(
                                        "Consumed by topic and group",
                                        "ops",
                                        promql(
                                                        sumBy(
                                                                "topic, group",
                                                                rate(svc("consumer_messages_consumed_total"))),
                                                        "{{topic}} {{group}}")
                                                .covering("002 consumer_messages_consumed_total"))
                                .sized(8, 8))
                .when(
                        List.of("consumer_messages_processed_total", "consumer_dead_lettered_total"),
                        () -> Panel.timeseries(
                                        "Processed by outcome",
                                        "ops",
                                        promql(
                                                        sumBy(
                                                                "topic, status",
                                                                rate(svc("consumer_messages_processed_total"))),
                                                        "{{topic}} {{status}}")
                                                .covering("002 Consumer Throughput by status"))
                                .sized(8, 8))
                .when(
                        List.of("consumer_processing_duration_seconds", "consumer_dead_lettered_total"),
                        () -> quantiles(
                                        "Processing duration p50 / p95 / p99",
                                        svc("consumer_processing_duration_seconds"),
                                        "topic")
                                .sized(8, 8))
                .when(
                        List.of(
                                "consumer_errors_total",
                                "consumer_dead_lettered_total",
                                "consumer_messages_consumed_total"),
                        () -> Panel.timeseries(
                                        "Errors by type and dead-lettered",
                                        "ops",
                                        promql(
                                                        breakdownOrZero(
                                                                "topic, error_type",
                                                                svc("consumer_errors_total"),
                                                                svc("consumer_messages_consumed_total")),
                                                        "{{topic}} {{error_type}}")
                                                .covering("002 consumer_errors_total by error_type"),
                                        promql(
                                                breakdownOrZero(
                                                        "topic, status",
                                                        svc("consumer_dead_lettered_total"),
                                                        svc("consumer_messages_consumed_total")),
                                                "dead-lettered {{topic}} {{status}}"))
                                .describedAs("Poison records by exception type, and their writes to the dead-letter"
                                        + " topic (status error: the dead-letter write failed)."))
                .when(
                        List.of("consumer_sink_insert_duration_seconds", "consumer_dead_lettered_total"),
                        () -> quantiles(
                                        "Sink insert duration p50 / p95 / p99",
                                        svc("consumer_sink_insert_duration_seconds"),
                                        "sink")
                                .sized(8, 8))
                .when(
                        List.of("consumer_lag", "consumer_dead_lettered_total"),
                        () -> Panel.timeseries(
                                        "Lag by topic, partition and group",
                                        "none",
                                        promql(
                                                        "max by (topic, partition, group) (" + svc("consumer_lag")
                                                                + ")",
                                                        "{{topic}}[{{partition}}] {{group}}")
                                                .covering("002 consumer_lag (end offset - committed offset)"))
                                .describedAs("Every consumer instance reports its group's lag for every partition:"
                                        + " max, not sum, across instances.")
                                .sized(8, 8));
    }

    private Row kafkaProducers() {
        return row("Kafka producers")
                .when(
                        "producer_messages_sent_total",
                        () -> Panel.timeseries(
                                        "Sent by topic and outcome",
                                        "ops",
                                        promql(
                                                sumBy("topic, status", rate(svc("producer_messages_sent_total"))),
                                                "{{topic}} {{status}}"),
                                        promql(
                                                breakdownOrZero(
                                                        "topic, error_type",
                                                        svc("producer_errors_total"),
                                                        svc("producer_messages_sent_total")),
                                                "error {{topic}} {{error_type}}"))
                                .sized(12, 8))
                .when(
                        "producer_send_duration_seconds",
                        () -> quantiles(
                                        "Send to acknowledgement p50 / p95 / p99",
                                        svc("producer_send_duration_seconds"),
                                        "topic")
                                .sized(12, 8));
    }

    private Row dependencyHealth() {
        return row("Dependencies")
                .when(
                        List.of("postgres_status", "kafka_status", "minio_status"),
                        () -> Panel.timeseries(
                                        "Dependency status (1 up, 0 down)",
                                        "none",
                                        promql("min(" + svc("postgres_status") + ")", "postgres")
                                                .covering("002 health check: postgres_status, kafka_status,"
                                                        + " minio_status"),
                                        promql("min(" + svc("kafka_status") + ")", "kafka"),
                                        promql("min(" + svc("minio_status") + ")", "object storage"))
                                .describedAs("Each dependency's answer to the last health probe, the worst across"
                                        + " instances.")
                                .sized(12, 8))
                .when(
                        "health_checks_total",
                        () -> Panel.timeseries(
                                        "Failed probes by dependency",
                                        "ops",
                                        promql(
                                                breakdownOrZero(
                                                        "dependency",
                                                        svc("health_checks_total")
                                                                .ne("status", "success"),
                                                        svc("health_checks_total")),
                                                "{{dependency}}"))
                                .sized(12, 8));
    }

    /** p50, p95 (with exemplars) and p99 of a histogram, per {@code by} (or overall when empty). */
    private static Panel quantiles(String title, Selector histogram, String by) {
        String prefix = by.isEmpty() ? "" : "{{" + by + "}} ";
        return Panel.timeseries(
                title,
                "s",
                promql(quantile(0.5, histogram.bucket(), by), prefix + "p50"),
                promql(quantile(0.95, histogram.bucket(), by), prefix + "p95").withExemplars(),
                promql(quantile(0.99, histogram.bucket(), by), prefix + "p99"));
    }

    // ---- authentication and security ------------------------------------------------------------

    private Dashboard auth() {
        return dashboard(
                prometheusDashboard(
                                AUTH,
                                "Authentication & security",
                                "Logins, failures by reason, lockouts, authorization denials and security events.")
                        .variable(service()),
                authNow(),
                authentication(),
                securityAndAuthorization(),
                row("Logs")
                        .when("security_events_total", () -> highSeveritySecurityLogs())
                        .when("authentication_attempts_total", () -> failedAuthenticationLogs()));
    }

    private Row authNow() {
        return row("Now")
                .when(
                        "authentication_attempts_total",
                        () -> Panel.stat(
                                "Authentications",
                                "ops",
                                promql("sum(" + rate(svc("authentication_attempts_total")) + ")", "attempts")))
                .when(
                        List.of("failed_login_attempts_total", "authentication_attempts_total"),
                        () -> Panel.stat(
                                "Failed logins, last hour",
                                "none",
                                promql(
                                                breakdownOrZero(
                                                        "",
                                                        svc("failed_login_attempts_total"),
                                                        logins(),
                                                        increase("1h")),
                                                "failed")
                                        .covering(
                                                "000 Total failed logins in last hour:"
                                                        + " sum(increase(failed_login_attempts[1h])) -> failed_login_attempts_total")))
                .when( // failed logins lock accounts: 0 locked while there are logins
                        List.of("security_events_total", "authentication_attempts_total"),
                        () -> Panel.stat(
                                "Accounts locked, last hour",
                                "none",
                                promql(
                                        breakdownOrZero(
                                                "",
                                                svc("security_events_total").eq("event_type", "account_locked"),
                                                logins(),
                                                increase("1h")),
                                        "locked")))
                .when(
                        "authorization_checks_total",
                        () -> Panel.stat(
                                "Authorization denials, last hour",
                                "none",
                                promql(
                                                breakdownOrZero(
                                                        "",
                                                        denials(),
                                                        svc("authorization_checks_total"),
                                                        increase("1h")),
                                                "denied")
                                        .covering(
                                                "000 Failed authorization checks:"
                                                        + " sum(increase(authorization_checks_total{is_authorized=\"false\"}[1h]))")));
    }

    private Selector denials() {
        return svc("authorization_checks_total").eq("is_authorized", "false");
    }

    /** The login attempts: the traffic failed logins (and the lockouts they cause) are part of. */
    private Selector logins() {
        return svc("authentication_attempts_total").eq("auth_type", "login");
    }

    private Row authentication() {
        Supplier<Selector> attempts = () -> svc("authentication_attempts_total");
        return row("Authentication")
                .when(
                        "authentication_attempts_total",
                        () -> Panel.timeseries(
                                "Attempts by type and outcome",
                                "ops",
                                promql(sumBy("auth_type, status", rate(attempts.get())), "{{auth_type}} {{status}}")
                                        .covering("000 Authentication attempts")))
                .when(
                        "authentication_attempts_total",
                        () -> Panel.timeseries(
                                "Failure rate",
                                "ops",
                                promql(
                                                breakdownOrZero(
                                                        "auth_type",
                                                        attempts.get().eq("status", "failure"),
                                                        attempts.get()),
                                                "{{auth_type}}")
                                        .covering("000 rate(authentication_attempts_total{status=\"failure\"}[5m])")))
                .when(
                        "authentication_duration_seconds",
                        () -> Panel.timeseries(
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
                                        .withExemplars()))
                .when(
                        List.of("failed_login_attempts_total", "authentication_attempts_total"),
                        () -> Panel.pie(
                                        "Failed logins by reason",
                                        "none",
                                        promql(
                                                        breakdownOrZero(
                                                                "reason",
                                                                svc("failed_login_attempts_total"),
                                                                logins(),
                                                                increase("$__range")),
                                                        "{{reason}}")
                                                .covering("000 Failed login attempts by reason (pie chart)"))
                                .sized(12, 8));
    }

    private Row securityAndAuthorization() {
        return row("Security and authorization")
                .when( // security events happen while serving requests (logins, role and password changes)
                        List.of("security_events_total", "http_requests_total"),
                        () -> Panel.timeseries(
                                "Security events by type and severity",
                                "ops",
                                promql(
                                                breakdownOrZero(
                                                        "event_type, severity",
                                                        svc("security_events_total"),
                                                        svc("http_requests_total")),
                                                "{{event_type}} ({{severity}})")
                                        .covering("000 Security events timeline")))
                .when(
                        "authorization_checks_total",
                        () -> Panel.timeseries(
                                "Authorization denials by resource and action",
                                "ops",
                                promql(
                                        breakdownOrZero(
                                                "resource, action", denials(), svc("authorization_checks_total")),
                                        "{{resource}} {{action}}")))
                .when("password_operations_total", this::passwordOperations)
                .when( // bearer tokens are HTTP's, shown next to the authentications
                        List.of("token_validation_total", "http_requests_total", "authentication_attempts_total"),
                        () -> Panel.timeseries(
                                "Token validations and 403s",
                                "ops",
                                promql(sumBy("status", rate(svc("token_validation_total"))), "validation {{status}}")
                                        .covering("004 token_validation_total{status}"),
                                promql(
                                                breakdownOrZero(
                                                        "",
                                                        svc("http_requests_total")
                                                                .eq("status_code", "403"),
                                                        svc("http_requests_total")),
                                                "403 responses")
                                        .covering("004 UnauthorizedAccessAttempts' rate")));
    }

    private Panel passwordOperations() {
        return Panel.timeseries(
                "Password operations",
                "ops",
                promql(
                        sumBy("operation_type, status", rate(svc("password_operations_total"))),
                        "{{operation_type}} {{status}}"));
    }

    // ---- users and tokens ---------------------------------------------------------------------

    private Dashboard users() {
        return dashboard(
                prometheusDashboard(USERS, "Users & tokens", "User management and the token lifecycle.")
                        .variable(service()),
                tokens(),
                usersRow(),
                row("Logs")
                        .when("user_operations_total", () -> userOperationsTimeline("User operations timeline (logs)"))
                        .when("token_operations_total", () -> tokenGenerationLogs("Token generation events", 8)));
    }

    private Row tokens() {
        Supplier<Selector> tokenOps = () -> svc("token_operations_total");
        return row("Tokens")
                .when(
                        "active_tokens",
                        () -> Panel.stat(
                                        "Active access tokens",
                                        "none",
                                        promql("sum(" + svc("active_tokens").eq("token_type", "access") + ")", "access")
                                                .covering("000 active_tokens{token_type=\"access\"}"))
                                .sized(6, 8))
                .when(
                        "active_tokens",
                        () -> Panel.timeseries(
                                        "Active tokens by type",
                                        "none",
                                        promql(
                                                        sumBy(
                                                                "token_type",
                                                                svc("active_tokens")
                                                                        .toString()),
                                                        "{{token_type}}")
                                                .covering("000 Active tokens gauge"))
                                .sized(6, 8))
                .when(
                        "token_operations_total",
                        () -> Panel.timeseries(
                                "Token operations",
                                "ops",
                                promql(
                                        sumBy("operation_type, token_type, status", rate(tokenOps.get())),
                                        "{{operation_type}} {{token_type}} {{status}}")))
                .when(
                        "token_operation_duration_seconds",
                        () -> Panel.timeseries(
                                "Token operation p95",
                                "s",
                                promql(
                                                quantile(
                                                        0.95,
                                                        svc("token_operation_duration_seconds")
                                                                .bucket(),
                                                        "operation_type, token_type"),
                                                "{{operation_type}} {{token_type}}")
                                        .withExemplars()))
                .when(
                        "token_operations_total",
                        () -> Panel.timeseries(
                                "Token operation failures",
                                "ops",
                                promql(
                                        breakdownOrZero(
                                                "operation_type, token_type",
                                                tokenOps.get().re("status", "failure|error"),
                                                tokenOps.get()),
                                        "{{operation_type}} {{token_type}}")));
    }

    private Row usersRow() {
        Supplier<Selector> userOps = () -> svc("user_operations_total");
        return row("Users")
                .when(
                        "user_operations_total",
                        () -> Panel.timeseries(
                                "User operations",
                                "ops",
                                promql(
                                                sumBy("operation_type, status", rate(userOps.get())),
                                                "{{operation_type}} {{status}}")
                                        .covering("000 User operations rate")))
                .when(
                        "user_operation_duration_seconds",
                        () -> Panel.timeseries(
                                "User operation p95",
                                "s",
                                promql(
                                                quantile(
                                                        0.95,
                                                        svc("user_operation_duration_seconds")
                                                                .bucket(),
                                                        "operation_type"),
                                                "{{operation_type}}")
                                        .withExemplars()))
                .when(
                        "user_operations_total",
                        () -> Panel.timeseries(
                                "Failed user operations",
                                "ops",
                                promql(
                                        breakdownOrZero(
                                                "operation_type, status",
                                                userOps.get().re("status", "failure|error"),
                                                userOps.get()),
                                        "{{operation_type}} {{status}}")))
                .when("password_operations_total", this::passwordOperations);
    }

    // ---- database and pool --------------------------------------------------------------------

    private Dashboard database() {
        return dashboard(
                prometheusDashboard(
                        DATABASE,
                        "Database & pool",
                        "Repository-level operations, the connection pool, PostgreSQL and Redis."),
                databaseOperations(),
                connectionPool(),
                postgres(),
                redis());
    }

    private Row databaseOperations() {
        Supplier<Selector> ops = () -> svc("database_operations_total");
        Supplier<Selector> duration = () -> svc("database_operation_duration_seconds");
        return row("Operations")
                .when(
                        "database_operations_total",
                        () -> Panel.timeseries(
                                "Operations by type and table",
                                "ops",
                                promql(sumBy("operation, table", rate(ops.get())), "{{operation}} {{table}}")
                                        .covering("000 Database operations: operation counts")))
                .when(
                        "database_operation_duration_seconds",
                        () -> Panel.timeseries(
                                "Latency p50 / p95 / p99",
                                "s",
                                promql(quantile(0.5, duration.get().bucket(), ""), "p50"),
                                promql(quantile(0.95, duration.get().bucket(), ""), "p95")
                                        .withExemplars(),
                                promql(quantile(0.99, duration.get().bucket(), ""), "p99")
                                        .withExemplars()
                                        .covering(
                                                "000 Database query p99 latency:"
                                                        + " histogram_quantile(0.99, rate(database_operation_duration_seconds_bucket[5m]))")))
                .when(
                        "database_operation_duration_seconds",
                        () -> Panel.timeseries(
                                "p95 by table",
                                "s",
                                promql(
                                        quantile(0.95, duration.get().bucket(), "operation, table"),
                                        "{{operation}} {{table}}")))
                .when(
                        List.of("db_errors_total", "database_operations_total"),
                        () -> Panel.timeseries(
                                "Errors by operation and type",
                                "ops",
                                promql(
                                                breakdownOrZero(
                                                        "operation, error_type", svc("db_errors_total"), ops.get()),
                                                "{{operation}} {{error_type}}")
                                        .covering("004 db_errors_total{operation,error_type}"),
                                promql(
                                        sumBy(
                                                "operation, status",
                                                rate(ops.get().re("status", "failure|error"))),
                                        "{{operation}} {{status}}")));
    }

    private Row connectionPool() {
        List<String> pool =
                List.of("db_connections_active", "db_connections_idle", "db_connections_max", "db_connections_pending");
        return row("Connection pool")
                .when(
                        pool,
                        () -> Panel.timeseries(
                                        "Connections",
                                        "none",
                                        promql(
                                                        sumBy(
                                                                "pool",
                                                                svc("db_connections_active")
                                                                        .toString()),
                                                        "active {{pool}}")
                                                .covering("004 db_connections_active"),
                                        promql(
                                                sumBy(
                                                        "pool",
                                                        svc("db_connections_idle")
                                                                .toString()),
                                                "idle {{pool}}"),
                                        promql(
                                                sumBy(
                                                        "pool",
                                                        svc("db_connections_max")
                                                                .toString()),
                                                "max {{pool}}"),
                                        promql(
                                                sumBy(
                                                        "pool",
                                                        svc("db_connections_pending")
                                                                .toString()),
                                                "pending {{pool}}"))
                                .sized(16, 8))
                .when(
                        pool,
                        () -> Panel.gauge(
                                        "Pool utilization",
                                        "percentunit",
                                        promql(
                                                "max by (pool) (" + svc("db_connections_active") + " / "
                                                        + svc("db_connections_max") + ")",
                                                "{{pool}}"))
                                .sized(8, 8));
    }

    /** postgres-exporter's metrics: the exporter is its own scrape target, so no job/instance variable. */
    private Row postgres() {
        return row("PostgreSQL (postgres-exporter)")
                .when(
                        "pg_up",
                        () -> Panel.stat("PostgreSQL up", "none", promql("min(" + c.select("pg_up") + ")", "up")))
                .when(
                        List.of("pg_stat_database_blks_hit", "pg_stat_database_blks_read"),
                        () -> Panel.stat(
                                "Cache hit ratio",
                                "percentunit",
                                promql(
                                                "sum(" + c.select("pg_stat_database_blks_hit") + ") / (sum("
                                                        + c.select("pg_stat_database_blks_hit") + ") + sum("
                                                        + c.select("pg_stat_database_blks_read") + "))",
                                                "hit ratio")
                                        .covering("004 cache hit ratio")))
                .when(
                        "pg_stat_database_numbackends",
                        () -> Panel.timeseries(
                                        "Backends",
                                        "none",
                                        promql(
                                                        sumBy(
                                                                "datname",
                                                                c.select("pg_stat_database_numbackends")
                                                                        .toString()),
                                                        "{{datname}}")
                                                .covering("004 pg_stat_database_numbackends (active connections)"))
                                .sized(12, 4))
                .when(
                        List.of("pg_stat_database_xact_commit", "pg_stat_database_xact_rollback"),
                        () -> Panel.timeseries(
                                "Transactions per second",
                                "ops",
                                promql(
                                                sumBy(
                                                        "datname",
                                                        "rate("
                                                                + c.select("pg_stat_database_xact_commit")
                                                                        .over(RATE) + ")"),
                                                "commit {{datname}}")
                                        .covering("004 rate(pg_stat_database_xact_commit[5m])"),
                                promql(
                                        sumBy(
                                                "datname",
                                                "rate("
                                                        + c.select("pg_stat_database_xact_rollback")
                                                                .over(RATE) + ")"),
                                        "rollback {{datname}}")))
                .when(
                        List.of("pg_database_size_bytes", "pg_stat_database_deadlocks"),
                        () -> Panel.timeseries(
                                "Database size and deadlocks",
                                "bytes",
                                promql(
                                                sumBy(
                                                        "datname",
                                                        c.select("pg_database_size_bytes")
                                                                .toString()),
                                                "{{datname}}")
                                        .covering("004 pg_database_size_bytes"),
                                promql(
                                        sumBy(
                                                "datname",
                                                "increase("
                                                        + c.select("pg_stat_database_deadlocks")
                                                                .over("1h") + ")"),
                                        "deadlocks/h {{datname}}")));
    }

    /** redis-exporter's metrics (its own scrape target). */
    private Row redis() {
        return row("Redis (redis-exporter)")
                .when(
                        "redis_up",
                        () -> Panel.stat("Redis up", "none", promql("min(" + c.select("redis_up") + ")", "up")))
                .when(
                        "redis_connected_clients",
                        () -> Panel.stat(
                                "Connected clients",
                                "none",
                                promql("sum(" + c.select("redis_connected_clients") + ")", "clients")
                                        .covering("004 redis_connected_clients")))
                .when(
                        "redis_memory_used_bytes",
                        () -> Panel.timeseries(
                                        "Memory used",
                                        "bytes",
                                        promql("sum(" + c.select("redis_memory_used_bytes") + ")", "used")
                                                .covering("004 redis_memory_used_bytes"))
                                .sized(12, 4));
    }

    // ---- JVM ----------------------------------------------------------------------------------

    private Dashboard jvm() {
        return dashboard(
                prometheusDashboard(
                                JVM,
                                "JVM",
                                "Memory, garbage collection, threads and CPU (OpenTelemetry runtime metrics), with"
                                        + " continuous profiles.")
                        .variable(service()),
                memory(),
                gcAndThreads(),
                cpuAndClasses(),
                profiles());
    }

    private Row memory() {
        return row("Memory")
                .when(
                        List.of(
                                "jvm_memory_used_bytes",
                                "jvm_memory_limit_bytes",
                                "jvm_memory_used_after_last_gc_bytes"),
                        () -> Panel.timeseries(
                                "Heap used / limit",
                                "bytes",
                                promql(sumBy("instance", heap("jvm_memory_used_bytes")), "used {{instance}}"),
                                promql(sumBy("instance", heap("jvm_memory_limit_bytes")), "limit {{instance}}"),
                                promql(
                                        sumBy("instance", heap("jvm_memory_used_after_last_gc_bytes")),
                                        "after GC {{instance}}")))
                .when(
                        "jvm_memory_used_bytes",
                        () -> Panel.timeseries(
                                "Memory by pool",
                                "bytes",
                                promql(
                                        sumBy(
                                                "jvm_memory_type, jvm_memory_pool_name",
                                                svc("jvm_memory_used_bytes").toString()),
                                        "{{jvm_memory_type}} {{jvm_memory_pool_name}}")));
    }

    private String heap(String metric) {
        return svc(metric).eq("jvm_memory_type", "heap").toString();
    }

    private Row gcAndThreads() {
        return row("Garbage collection and threads")
                .when(
                        "jvm_gc_duration_seconds",
                        () -> Panel.timeseries(
                                        "GC time spent",
                                        "percentunit",
                                        promql(
                                                sumBy(
                                                        "jvm_gc_name",
                                                        rate(svc("jvm_gc_duration_seconds")
                                                                .sum())),
                                                "{{jvm_gc_name}}"))
                                .sized(8, 8))
                .when(
                        "jvm_gc_duration_seconds",
                        () -> Panel.timeseries(
                                        "Average GC pause",
                                        "s",
                                        promql(
                                                sumBy(
                                                                "jvm_gc_name",
                                                                rate(svc("jvm_gc_duration_seconds")
                                                                        .sum())) + " / "
                                                        + sumBy(
                                                                "jvm_gc_name",
                                                                rate(svc("jvm_gc_duration_seconds")
                                                                        .count())),
                                                "{{jvm_gc_name}}"))
                                .sized(8, 8))
                .when(
                        "jvm_thread_count",
                        () -> Panel.timeseries(
                                        "Threads by state",
                                        "none",
                                        promql(
                                                sumBy(
                                                        "jvm_thread_state",
                                                        svc("jvm_thread_count").toString()),
                                                "{{jvm_thread_state}}"))
                                .sized(8, 8));
    }

    private Row cpuAndClasses() {
        return row("CPU and classes")
                .when(
                        List.of("jvm_cpu_recent_utilization", "jvm_cpu_time_seconds_total", "jvm_cpu_count"),
                        () -> Panel.timeseries(
                                        "CPU utilization",
                                        "percentunit",
                                        promql(
                                                "max by (instance) (" + svc("jvm_cpu_recent_utilization") + ")",
                                                "{{instance}}"),
                                        promql(
                                                sumBy("instance", rate(svc("jvm_cpu_time_seconds_total"))) + " / "
                                                        + sumBy(
                                                                "instance",
                                                                svc("jvm_cpu_count")
                                                                        .toString()),
                                                "from cpu time {{instance}}"))
                                .sized(12, 8))
                .when(
                        List.of("jvm_class_count", "jvm_class_loaded_total", "jvm_class_unloaded_total"),
                        () -> Panel.timeseries(
                                        "Classes",
                                        "none",
                                        promql("sum(" + svc("jvm_class_count") + ")", "loaded"),
                                        promql("sum(" + rate(svc("jvm_class_loaded_total")) + ")", "loads/s"),
                                        promql("sum(" + rate(svc("jvm_class_unloaded_total")) + ")", "unloads/s"))
                                .sized(12, 8));
    }

    /** Pyroscope's profiles of every Vigil runtime (vigil-profiling), by service name. */
    private Row profiles() {
        return row("Profiles (Pyroscope)")
                .when(
                        "jvm_cpu_time_seconds_total",
                        () -> flameGraph("CPU", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"))
                .when(
                        "jvm_cpu_time_seconds_total",
                        () -> flameGraph("Allocations", "memory:alloc_in_new_tlab_bytes:bytes:space:bytes"));
    }

    private static Panel flameGraph(String title, String profileType) {
        return Panel.flameGraph(title, Query.profile(profileType, "{service_name=\"$service\"}"))
                .sized(12, 12);
    }

    // ---- logs (Loki) --------------------------------------------------------------------------

    private Dashboard logs() {
        return dashboard(
                start(LOGS, "Logs explorer")
                        .description("Structured logs in Loki: one JSON object per line, filtered with | json.")
                        .variable(service())
                        .variable(Variable.textbox("request_id", "Request id", "", "abc12345"))
                        .variable(userId()),
                logVolume(),
                row("Everything")
                        .always(Panel.logs("All logs", logql(STREAM + " | json").covering("000 All logs viewer")))
                        .always(logsWhere(
                                        "One request",
                                        "request_id=\"$request_id\"",
                                        "004 correlate by request ID; 003 all logs for a request")
                                .sized(12, 10))
                        .always(logsWhere(
                                        "One user",
                                        "user_id=\"$user_id\"",
                                        "000 user operations by specific user; 003/004 logs for a user")
                                .sized(12, 10)),
                authenticationAndSecurityLogs(),
                userAndTokenLogs(),
                problemLogs());
    }

    private Row logVolume() {
        return row("Volume")
                .always(Panel.timeseries(
                                "Log volume by level",
                                "none",
                                logql("sum by (level) (count_over_time(" + STREAM + " [$__interval]))", "{{level}}")
                                        .covering("000 Loki dashboard: Log volume by level"))
                        .option("stacking", "normal")
                        .sized(12, 8))
                .always(Panel.timeseries(
                                "Error rate",
                                "none",
                                logql("sum(rate(" + ERROR_STREAM + " [$__interval]))", "errors/s")
                                        .covering("004 Error rate over time: rate({…} | json | level=\"ERROR\"[5m]);"
                                                + " 003 HighErrorRate LogQL"))
                        .sized(12, 8));
    }

    private Row authenticationAndSecurityLogs() {
        return row("Authentication and security")
                .when(
                        "authentication_attempts_total",
                        () -> eventTimeline(
                                "Authentication events by status",
                                "status",
                                "authentication",
                                "{{status}}",
                                "000 Loki dashboard: Authentication events by status"))
                .when(
                        "security_events_total",
                        () -> eventTimeline(
                                "Security events by type and severity",
                                "security_event_type, severity",
                                "security",
                                "{{security_event_type}} ({{severity}})",
                                "000 Loki dashboard: Security events by type and severity"))
                .when("authentication_attempts_total", StandardDashboards::failedAuthenticationLogs)
                .when(
                        "security_events_total",
                        () -> logsWhere(
                                        "Account lockouts",
                                        "security_event_type=\"account_locked\"",
                                        "000 LogQL account lockout events")
                                .sized(12, 10))
                .when("security_events_total", StandardDashboards::highSeveritySecurityLogs)
                .when(
                        "password_operations_total",
                        () -> logsWhere(
                                        "Password operations",
                                        "event_type=\"password_operation\"",
                                        "000 Loki dashboard: Password security events")
                                .sized(12, 10));
    }

    private Row userAndTokenLogs() {
        return row("Users and tokens")
                .when("user_operations_total", () -> userOperationsTimeline("User operations timeline"))
                .when(
                        "token_operations_total",
                        () -> eventTimeline(
                                "Token operations by type",
                                "operation_type",
                                "token_operation",
                                "{{operation_type}}",
                                "000 Loki dashboard: Token operations by type"))
                .when(
                        "user_operations_total",
                        () -> logsWhere(
                                        "Failed user operations",
                                        "event_type=\"user_operation\" | status=~\"failure|error\"",
                                        "000 Loki dashboard: Failed user operations")
                                .sized(12, 10))
                .when("token_operations_total", () -> tokenGenerationLogs("Token generation", 10));
    }

    private Row problemLogs() {
        return row("Problems")
                .always(Panel.logs(
                                "Errors",
                                logql(ERROR_STREAM + " | json")
                                        .covering(
                                                "000 errors (level=\"ERROR\"); 004 recent error logs; 002 errors only"))
                        .sized(12, 10))
                .always(logsWhere(
                                "Slow operations (> 1 s)",
                                "duration_seconds > 1",
                                "000 LogQL slow operations; 004 duration filter")
                        .sized(12, 10))
                .always(Panel.table(
                                "Top 10 error messages (1h)",
                                logql(
                                                "topk(10, sum by (message) (count_over_time(" + ERROR_STREAM
                                                        + " | json [1h])))",
                                                "{{message}}")
                                        .covering("004 top 10 error messages"))
                        .sized(12, 8))
                .when(
                        "http_requests_total",
                        () -> logsWhere(
                                        "Rate-limited requests",
                                        "event_type=\"http_request\" | status_code = 429",
                                        "004 rate limit violations")
                                .sized(12, 8))
                .when(
                        "consumer_messages_consumed_total",
                        () -> logsWhere("Message consumers", "event_type=\"consumer\"", "002 consumer logs")
                                .sized(24, 8));
    }

    /** Log lines of the service that pass {@code filter} after {@code | json}. */
    private static Panel logsWhere(String title, String filter, String covers) {
        return Panel.logs(title, logql(STREAM + " | json | " + filter).covering(covers));
    }

    /** Log lines of one event type counted per interval, by {@code by}. */
    private static Panel eventTimeline(String title, String by, String eventType, String legend, String covers) {
        return Panel.timeseries(
                        title,
                        "none",
                        logql(
                                        "sum by (" + by + ") (count_over_time(" + STREAM + " | json | event_type=\""
                                                + eventType + "\" [$__interval]))",
                                        legend)
                                .covering(covers))
                .sized(12, 8);
    }

    private static Panel failedAuthenticationLogs() {
        return logsWhere(
                        "Failed authentications",
                        "event_type=\"authentication\" | status=\"failure\"",
                        "000 LogQL all authentication failures")
                .sized(12, 10);
    }

    private static Panel highSeveritySecurityLogs() {
        return logsWhere(
                        "High and critical security events",
                        "event_type=\"security\" | severity=~\"high|critical\"",
                        "000 LogQL high severity security events")
                .sized(12, 10);
    }

    private static Panel userOperationsTimeline(String title) {
        return eventTimeline(
                title,
                "operation_type",
                "user_operation",
                "{{operation_type}}",
                "000 Loki dashboard: User operations timeline");
    }

    private static Panel tokenGenerationLogs(String title, int height) {
        return logsWhere(
                        title,
                        "event_type=\"token_operation\" | operation_type=\"generate\"",
                        "000 LogQL token generation events")
                .sized(12, height);
    }

    // ---- traces (Tempo) -----------------------------------------------------------------------

    private Dashboard traces() {
        return dashboard(
                start(TRACES, "Traces")
                        .description("Tempo: service graph, span RED metrics from the metrics generator, and TraceQL"
                                + " searches (scoped attribute names, as real Tempo requires).")
                        .variable(service())
                        .variable(userId()),
                spanMetrics(),
                searches());
    }

    private Row spanMetrics() {
        Supplier<Selector> calls =
                () -> c.select("traces_spanmetrics_calls_total").eq("service", "$service");
        return row("Service graph and span metrics")
                .when(
                        "traces_service_graph_request_total",
                        () -> Panel.nodeGraph("Service graph", Query.serviceMap())
                                .sized(24, 10))
                .when(
                        "traces_spanmetrics_calls_total",
                        () -> Panel.timeseries(
                                        "Span rate by name",
                                        "ops",
                                        promql(
                                                        sumBy(
                                                                "span_name",
                                                                "rate("
                                                                        + calls.get()
                                                                                .over(RATE) + ")"),
                                                        "{{span_name}}")
                                                .covering("001 trace -> metrics: RED for traced operations"))
                                .sized(8, 8))
                .when(
                        "traces_spanmetrics_calls_total",
                        () -> Panel.timeseries(
                                        "Span errors by name",
                                        "ops",
                                        promql(
                                                breakdownOrZero(
                                                        "span_name",
                                                        calls.get().eq("status_code", "STATUS_CODE_ERROR"),
                                                        calls.get()),
                                                "{{span_name}}"))
                                .sized(8, 8))
                .when(
                        "traces_spanmetrics_latency",
                        () -> Panel.timeseries(
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
                                .sized(8, 8));
    }

    /** TraceQL searches: the generic ones always, one per identity convention when its kind is there. */
    private Row searches() {
        return row("Searches")
                .when(
                        "authentication_attempts_total",
                        () -> search(
                                "Failed logins",
                                "name = \"auth.login.authenticate_user\" && span.auth.status = \"failure\"",
                                "000 TraceQL { name=\"auth.login.authenticate_user\" && auth.status=\"failure\" } (scoped)"))
                .always(search("Slow operations (> 1 s)", "duration > 1s", "000 TraceQL { duration > 1s }"))
                .always(search("Errors", "status = error", "000 TraceQL { status=error }"))
                .when(
                        "authorization_checks_total",
                        () -> search(
                                "Authorization denials",
                                "span.authz.granted = false",
                                "000 TraceQL { authz.granted=false } (scoped)"))
                .when(
                        "security_events_total",
                        () -> search(
                                "High and critical security events",
                                "(span.security.event.severity = \"high\" || span.security.event.severity = \"critical\")",
                                "000 TraceQL security.event.severity high || critical (scoped)"))
                .always(search(
                        "One user's traces",
                        "span.user.id = \"$user_id\"",
                        "000 TraceQL { user.id=\"<user-uuid>\" } (scoped)"))
                .when(
                        "authentication_attempts_total",
                        () -> search(
                                "Login requests",
                                "name = \"POST /api/v1/auth/login\"",
                                "contract section 3: the login trace"))
                .when(
                        "password_operations_total",
                        () -> search(
                                "Security-relevant password operations",
                                "span.security.relevant = true",
                                "000 password operations marked security-relevant"));
    }

    private static Panel search(String title, String condition, String covers) {
        return Panel.table(
                title, traceql("{ " + IN_SERVICE + " && " + condition + " }").covering(covers));
    }

    // ---- query helpers ------------------------------------------------------------------------

    /** A selector on the chosen service's series: the dashboard's job and instance variables. */
    private Selector svc(String metric) {
        return c.select(metric).re("job", "$job").re("instance", "$instance");
    }

    private static String rate(Selector s) {
        return "rate(" + s.over(RATE) + ")";
    }

    private static String sumBy(String labels, String inner) {
        return "sum by (" + labels + ") (" + inner + ")";
    }

    /**
     * The share of {@code all}'s events that {@code part} selects (5xx of all requests), per {@code by} (empty: one
     * ratio): 0, not "no data", while there are events without any such one — the part's series only exist from their
     * first event (a status code, an error type appears when it first happens) — and still no value without events at
     * all, where the ratio has none. As the SLO error-ratio rules do.
     */
    private static String share(String by, Selector part, Selector all) {
        String some = by.isEmpty() ? "sum(" + rate(part) + ")" : sumBy(by, rate(part));
        String whole = by.isEmpty() ? "sum(" + rate(all) + ")" : sumBy(by, rate(all));
        return "(" + some + " or " + whole + " * 0) / " + whole;
    }

    /**
     * {@code counter}'s rate by {@code by}, for a counter with an open label set ({@code db_errors_total}'s error
     * types, {@code http_exceptions_total}'s exception types) or a label value nothing creates in advance (an
     * operation's {@code status="failure"}, a 5xx status code): its series exist only from their first event, so before
     * one the panel said "No data", as for a target that is not scraped at all. With none, one 0 series, its first
     * {@code by} label {@code none}, while {@code traffic} (what the counted events would be part of: requests,
     * statements, messages consumed) has series; with no traffic either, still no data. {@code or on ()}: the 0 only
     * when there is no series of the counter at all, never beside real ones.
     */
    private static String breakdownOrZero(String by, Selector counter, Selector traffic) {
        return breakdownOrZero(by, counter, traffic, StandardDashboards::rate);
    }

    /**
     * As {@link #breakdownOrZero(String, Selector, Selector)} with {@code over} instead of the rate (the {@link
     * #increase(String)} over a window of a stat or a pie); {@code by} empty: one sum, its 0 unlabelled.
     */
    private static String breakdownOrZero(
            String by, Selector counter, Selector traffic, Function<Selector, String> over) {
        String zero = "sum(" + over.apply(traffic) + ") * 0";
        if (by.isEmpty()) {
            return "sum(" + over.apply(counter) + ") or " + zero;
        }
        String first = by.split(",")[0].strip();
        return sumBy(by, over.apply(counter)) + " or on () label_replace(" + zero + ", \"" + first
                + "\", \"none\", \"\", \"\")";
    }

    /** A counter's increase over {@code window}. */
    private static Function<Selector, String> increase(String window) {
        return s -> "increase(" + s.over(window) + ")";
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
        return new BigDecimal(Double.toString(1 - objective))
                .round(new MathContext(6))
                .stripTrailingZeros()
                .toPlainString();
    }

    private static String pct(double objective) {
        return new BigDecimal(Double.toString(objective * 100))
                        .round(new MathContext(6))
                        .stripTrailingZeros()
                        .toPlainString()
                + "%";
    }
}
