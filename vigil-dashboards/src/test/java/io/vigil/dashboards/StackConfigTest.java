package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The compose file and the services' configurations, checked structurally (no Docker here). */
class StackConfigTest {
    private final JsonNode compose = Deploy.yaml("compose.yaml");

    @Test
    void runsTheWholeStack() {
        List<String> services = new ArrayList<>();
        compose.get("services").fieldNames().forEachRemaining(services::add);
        assertThat(services)
                .contains(
                        "identity-service",
                        "postgres",
                        "prometheus",
                        "alertmanager",
                        "loki",
                        "tempo",
                        "pyroscope",
                        "grafana",
                        "postgres-exporter",
                        "event-pipeline",
                        "kafka",
                        "minio");
    }

    @Test
    void mountsOnlyFilesThatExistAndVolumesThatAreDeclared() {
        Set<String> volumes = new HashSet<>();
        compose.get("volumes").fieldNames().forEachRemaining(volumes::add);
        compose.get("services").properties().forEach(service -> {
            for (JsonNode v : service.getValue().path("volumes")) {
                String source = v.asText().split(":")[0];
                if (source.startsWith(".")) {
                    assertThat(Deploy.file(source))
                            .as(service.getKey() + " mounts " + source)
                            .exists();
                } else {
                    assertThat(volumes)
                            .as(service.getKey() + " uses volume " + source)
                            .contains(source);
                }
            }
        });
    }

    @Test
    void buildsTheServicesFromTheRepository() throws Exception {
        for (String service : List.of("identity-service", "event-pipeline")) {
            JsonNode build = compose.get("services").get(service).get("build");
            Path context = Deploy.file(build.get("context").asText()).normalize();
            assertThat(context.resolve("pom.xml")).exists();
            Path dockerfile = context.resolve(build.get("dockerfile").asText());
            assertThat(dockerfile).exists();
            assertThat(Files.readString(dockerfile))
                    .contains("-pl " + service + " ")
                    .contains(service + ".jar");
            assertThat(context.resolve(service).resolve("pom.xml")).exists();
        }
    }

    @Test
    void scrapesTheEventPipelineOnItsMetricsPortWhichIsPublishedToNoOne() {
        JsonNode service = compose.at("/services/event-pipeline");
        String metricsPort = service.at("/environment/METRICS_PORT").asText();
        assertThat(metricsPort).isEqualTo("8001"); // the contract's METRICS_PORT
        JsonNode job = scrapeJob(PipelineStack.JOB);
        assertThat(job).as("scrape job " + PipelineStack.JOB).isNotNull();
        assertThat(job.at("/static_configs/0/targets").toString()).contains("event-pipeline:" + metricsPort);
        for (JsonNode p : service.path("ports")) {
            assertThat(p.asText().split(":")[1]).isNotEqualTo(metricsPort);
        }
        // the generated rules and promtool cases name the same job and instance
        assertThat(PipelineStack.TARGET.instance()).isEqualTo("event-pipeline:" + metricsPort);
    }

    @Test
    void runsKafkaAsOneKraftNodeThatThePipelineAndIdentityServiceUse() {
        JsonNode kafka = compose.at("/services/kafka");
        JsonNode env = kafka.get("environment");
        assertThat(kafka.get("image").asText()).startsWith("apache/kafka:");
        assertThat(env.get("KAFKA_PROCESS_ROLES").asText()).isEqualTo("broker,controller");
        assertThat(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS").asText()).isEqualTo("1@kafka:9093");
        assertThat(env.get("KAFKA_NODE_ID").asText()).isEqualTo("1");
        assertThat(env.toString()).doesNotContainIgnoringCase("zookeeper");
        for (String factor : List.of(
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")) {
            assertThat(env.get(factor).asText()).as(factor).isEqualTo("1");
        }
        String advertised = env.get("KAFKA_ADVERTISED_LISTENERS").asText().replace("PLAINTEXT://", "");
        assertThat(compose.at("/services/event-pipeline/environment/KAFKA_BOOTSTRAP_SERVERS")
                        .asText())
                .isEqualTo(advertised);
        assertThat(compose.at("/services/identity-service/environment/KAFKA_BOOTSTRAP_SERVERS")
                        .asText())
                .isEqualTo(advertised);
        assertThat(compose.at("/services/event-pipeline/depends_on/kafka/condition")
                        .asText())
                .isEqualTo("service_healthy");
        assertThat(kafka.at("/healthcheck/test").toString()).contains("localhost:9092");
    }

    @Test
    void storesRawEventsInMinioWithItsPasswordFromASecret() {
        JsonNode minio = compose.at("/services/minio");
        assertThat(minio.get("command").toString()).contains("server").contains("/data");
        assertThat(minio.at("/environment/MINIO_ROOT_PASSWORD_FILE").asText()).isEqualTo("minio_root_password");
        assertThat(minio.get("secrets").toString()).contains("minio_root_password");
        JsonNode pipeline = compose.at("/services/event-pipeline/environment");
        assertThat(pipeline.get("S3_ENDPOINT").asText()).isEqualTo("http://minio:9000");
        assertThat(pipeline.get("AWS_SECRET_ACCESS_KEY").asText()).contains("MINIO_ROOT_PASSWORD");
        assertThat(compose.at("/services/event-pipeline/depends_on/minio/condition")
                        .asText())
                .isEqualTo("service_healthy");
    }

    @Test
    void loadsEveryGeneratedRuleFileOfBothServices() {
        java.nio.file.FileSystem fs = java.nio.file.FileSystems.getDefault();
        List<java.nio.file.PathMatcher> globs = new ArrayList<>();
        for (JsonNode glob : Deploy.yaml("prometheus/prometheus.yml").get("rule_files")) {
            globs.add(fs.getPathMatcher("glob:" + glob.asText()));
        }
        List<String> ruleFiles = PipelineStack.allDeployFiles().keySet().stream()
                .filter(f -> f.startsWith("prometheus/rules/"))
                .map(f -> f.substring("prometheus/".length()))
                .toList();
        assertThat(ruleFiles).anyMatch(f -> f.startsWith("rules/event-pipeline-"));
        for (String f : ruleFiles) {
            assertThat(globs).as(f).anyMatch(g -> g.matches(Path.of(f)));
        }
    }

    private static JsonNode scrapeJob(String name) {
        for (JsonNode sc : Deploy.yaml("prometheus/prometheus.yml").get("scrape_configs")) {
            if (sc.get("job_name").asText().equals(name)) {
                return sc;
            }
        }
        return null;
    }

    @Test
    void publishesEachHostPortOnceAndPinsEveryImage() {
        Set<Integer> hostPorts = new HashSet<>();
        compose.get("services").properties().forEach(service -> {
            for (JsonNode p : service.getValue().path("ports")) {
                String[] parts = p.asText().split(":");
                assertThat(parts).as(p.asText()).hasSize(2);
                int host = Integer.parseInt(parts[0]);
                int container = Integer.parseInt(parts[1]);
                assertThat(host).isBetween(1, 65535);
                assertThat(container).isBetween(1, 65535);
                assertThat(hostPorts.add(host))
                        .as("host port %d published twice", host)
                        .isTrue();
            }
            JsonNode image = service.getValue().get("image");
            if (image != null) {
                assertThat(image.asText()).as(service.getKey()).contains(":").doesNotEndWith(":latest");
            }
        });
    }

    @Test
    void givesEachServiceTheTimeItsGracefulStopTakesBeforeDockerKillsIt() {
        // Docker sends SIGKILL 10 s after SIGTERM unless told otherwise: both services stop in order for longer
        // (identity-service: SHUTDOWN_TIMEOUT 20 s to drain + 20 s for running jobs + 5 s telemetry flush;
        // event-pipeline: EventPipeline.STOP_BOUND, 60 s), so a default grace period cut them off mid-stop.
        assertThat(seconds(compose.at("/services/identity-service/stop_grace_period")))
                .isGreaterThanOrEqualTo(45);
        assertThat(seconds(compose.at("/services/event-pipeline/stop_grace_period")))
                .isGreaterThan(60);
    }

    /** A compose duration such as {@code 50s} or {@code 1m5s}, in seconds. */
    private static long seconds(JsonNode duration) {
        assertThat(duration.isMissingNode()).as("stop_grace_period is set").isFalse();
        String text = duration.asText();
        assertThat(text).matches("(\\d+m)?(\\d+s)?").isNotEmpty();
        long total = 0;
        for (String part : text.split("(?<=[ms])")) {
            long n = Long.parseLong(part.substring(0, part.length() - 1));
            total += part.endsWith("m") ? n * 60 : n;
        }
        return total;
    }

    @Test
    void scrapesTheServiceOnItsManagementPortWhichIsPublishedToNoOne() {
        JsonNode service = compose.get("services").get("identity-service");
        String managementPort =
                service.get("environment").get("MANAGEMENT_PORT").asText();
        assertThat(managementPort).isEqualTo("9464");
        JsonNode job = null;
        for (JsonNode sc : Deploy.yaml("prometheus/prometheus.yml").get("scrape_configs")) {
            if (sc.get("job_name").asText().equals("identity-service")) {
                job = sc;
            }
        }
        assertThat(job).isNotNull();
        assertThat(job.at("/static_configs/0/targets").toString()).contains("identity-service:" + managementPort);
        // The metrics reveal which guessed passwords were right: no host port leads to them.
        for (JsonNode p : service.path("ports")) {
            assertThat(p.asText().split(":")[1]).isNotEqualTo(managementPort);
        }
        assertThat(service.get("environment").has("METRICS_TOKEN")).isFalse();
    }

    @Test
    void takesEverySecretFromTheEnvironment() throws Exception {
        JsonNode secrets = compose.get("secrets");
        secrets.properties()
                .forEach(s -> assertThat(s.getValue().has("environment"))
                        .as(s.getKey())
                        .isTrue());
        compose.get("services").properties().forEach(service -> {
            for (JsonNode s : service.getValue().path("secrets")) {
                assertThat(secrets.has(s.asText()))
                        .as(service.getKey() + " secret " + s.asText())
                        .isTrue();
            }
        });
        String alertmanager = java.nio.file.Files.readString(Deploy.file("alertmanager/alertmanager.yml"));
        List<String> receiverSecrets = List.of(
                "pagerduty_routing_key",
                "smtp_password",
                "slack_webhook_url",
                "slack_info_webhook_url",
                "discord_webhook_url");
        for (String file : receiverSecrets) {
            assertThat(alertmanager).containsPattern("(\\$\\{SECRETS_DIR}/|\\$\\{secret:)" + file);
            assertThat(alertmanager).contains("#@ if " + file);
            assertThat(compose.at("/services/alertmanager/secrets").toString()).contains(file);
        }
        // each secret's variable is in .env.example, so that copying it leaves every channel off
        String example = java.nio.file.Files.readString(Deploy.file(".env.example"));
        secrets.properties()
                .forEach(s -> assertThat(example)
                        .containsPattern(
                                "(?m)^" + s.getValue().get("environment").asText() + "="));
    }

    @Test
    void rendersTheAlertmanagerConfigAtStartFromTheMountedSource() {
        JsonNode am = compose.at("/services/alertmanager");
        assertThat(am.get("entrypoint").toString()).contains("/etc/alertmanager/render.sh");
        assertThat(am.get("volumes").toString()).contains("./alertmanager:/etc/alertmanager:ro");
        assertThat(am.get("command").toString()).contains("--config.file=/tmp/alertmanager/alertmanager.yml");
        assertThat(am.get("tmpfs").toString()).contains("/tmp");
    }

    @Test
    void sendsTracesToTempoWhichWritesSpanMetricsToPrometheus() {
        JsonNode env = compose.get("services").get("identity-service").get("environment");
        assertThat(env.get("OTEL_EXPORTER_OTLP_ENDPOINT").asText()).isEqualTo("http://tempo:4317");
        JsonNode tempo = Deploy.yaml("tempo/tempo.yml");
        JsonNode otlp = tempo.at("/distributor/receivers/otlp/protocols");
        assertThat(otlp.at("/grpc/endpoint").asText()).endsWith(":4317");
        assertThat(otlp.at("/http/endpoint").asText()).endsWith(":4318");
        assertThat(tempo.at("/metrics_generator/storage/remote_write/0/url").asText())
                .isEqualTo("http://prometheus:9090/api/v1/write");
        assertThat(tempo.at("/overrides/defaults/metrics_generator/processors").toString())
                .contains("service-graphs")
                .contains("span-metrics");
        assertThat(compose.at("/services/prometheus/command").toString())
                .contains("--web.enable-remote-write-receiver")
                .contains("--enable-feature=exemplar-storage");
    }

    @Test
    void keepsLogsThirtyDaysWithCompaction() {
        JsonNode loki = Deploy.yaml("loki/loki.yml");
        assertThat(loki.at("/limits_config/retention_period").asText()).isEqualTo("720h");
        assertThat(loki.at("/compactor/retention_enabled").asBoolean()).isTrue();
        assertThat(loki.at("/ruler/alertmanager_url").asText()).isEqualTo("http://alertmanager:9093");
        assertThat(loki.at("/ruler/storage/local/directory").asText()).isEqualTo("/etc/loki/rules");
        assertThat(compose.at("/services/loki/volumes").toString()).contains("./loki/rules:/etc/loki/rules");
    }

    @Test
    void correlatesEverySignalInGrafana() {
        Map<String, JsonNode> byUid = new java.util.HashMap<>();
        for (JsonNode ds :
                Deploy.yaml("grafana/provisioning/datasources/datasources.yml").get("datasources")) {
            byUid.put(ds.get("uid").asText(), ds);
        }
        for (DataSource ds : DataSource.all()) {
            assertThat(byUid).containsKey(ds.uid());
            assertThat(byUid.get(ds.uid()).get("type").asText()).isEqualTo(ds.type());
        }
        JsonNode tempo = byUid.get("tempo").get("jsonData");
        assertThat(tempo.at("/tracesToLogsV2/datasourceUid").asText()).isEqualTo("loki");
        assertThat(tempo.at("/tracesToLogsV2/query").asText()).contains("trace_id=\"$${__trace.traceId}\"");
        assertThat(tempo.at("/tracesToMetrics/datasourceUid").asText()).isEqualTo("prometheus");
        assertThat(tempo.at("/tracesToProfiles/datasourceUid").asText()).isEqualTo("pyroscope");
        assertThat(tempo.at("/serviceMap/datasourceUid").asText()).isEqualTo("prometheus");
        assertThat(byUid.get("loki")
                        .at("/jsonData/derivedFields/0/datasourceUid")
                        .asText())
                .isEqualTo("tempo");
        assertThat(byUid.get("loki")
                        .at("/jsonData/derivedFields/0/matcherRegex")
                        .asText())
                .contains("trace_id");
        assertThat(byUid.get("prometheus")
                        .at("/jsonData/exemplarTraceIdDestinations/0/datasourceUid")
                        .asText())
                .isEqualTo("tempo");
        // every uid a correlation points at is provisioned
        for (String uid :
                Deploy.yaml("grafana/provisioning/datasources/datasources.yml").findValuesAsText("datasourceUid")) {
            assertThat(byUid).containsKey(uid);
        }
    }

    @Test
    void provisionsTheGeneratedDashboards() {
        JsonNode provider =
                Deploy.yaml("grafana/provisioning/dashboards/dashboards.yml").at("/providers/0");
        String path = provider.at("/options/path").asText();
        assertThat(compose.at("/services/grafana/volumes").toString()).contains("./grafana/dashboards:" + path);
        assertThat(Files.isDirectory(Deploy.file("grafana/dashboards"))).isTrue();
        // both services' dashboards are in the provisioned directory, the pipeline's among them
        List<String> dashboards = PipelineStack.allDeployFiles().keySet().stream()
                .filter(f -> f.startsWith("grafana/dashboards/"))
                .toList();
        assertThat(dashboards).contains("grafana/dashboards/event-pipeline-pipeline.json");
        for (String d : dashboards) {
            assertThat(Deploy.file(d)).as(d).exists();
        }
    }
}
