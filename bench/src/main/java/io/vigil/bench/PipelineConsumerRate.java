package io.vigil.bench;

import io.vigil.core.Vigil;
import io.vigil.kafka.embedded.KRaftBroker;
import io.vigil.pipeline.EventPipeline;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The event pipeline's analytics consumer, records per second and CPU per record, with
 * instrumentation on (Vigil's defaults, no export) and off ({@code ENABLE_OBSERVABILITY=false}), in
 * alternating rounds in one JVM: an in-process KRaft broker holds {@code N} pipeline messages; each
 * round starts {@link EventPipeline#startConsumer} with a fresh consumer group (so it reads all
 * {@code N} from the start) and a fresh in-memory H2 analytics table, and times it from its start
 * until the table has {@code N} rows (process CPU from the OperatingSystemMXBean, so the broker's
 * work for the reads is in it, the same for both). Medians and ratios to "off" at the end.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar io.vigil.bench.PipelineConsumerRate
 * [records=20000] [rounds=5]}
 */
public final class PipelineConsumerRate {
    private PipelineConsumerRate() {}

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Path dir = Files.createTempDirectory("pipeline-consumer-rate");
        try (KRaftBroker broker = KRaftBroker.start(dir.resolve("kafka"))) {
            broker.createTopics("events", "events.dlt");
            try (var producer =
                    new KafkaProducer<>(broker.producerConfig(), new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < records; i++) {
                    String id = UUID.randomUUID().toString();
                    producer.send(new ProducerRecord<>("events", id, message(id)));
                }
                producer.flush();
            }
            String[] names = {"off", "on"};
            List<List<double[]>> results = List.of(new ArrayList<>(), new ArrayList<>());
            System.out.printf(
                    Locale.ROOT,
                    "%s %d cores, load %.2f; %d records, %d rounds (+1 warm-up)%n",
                    Instant.now(),
                    os.getAvailableProcessors(),
                    os.getSystemLoadAverage(),
                    records,
                    rounds);
            for (int r = 0; r <= rounds; r++) {
                int[] order = r % 2 == 0 ? new int[] {0, 1} : new int[] {1, 0};
                for (int v : order) {
                    double[] m = round(broker, dir, v == 1, records, os);
                    if (r > 0) {
                        results.get(v).add(m);
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "round %d %-3s %8.0f records/s  CPU %6.1f us/record  (load %.2f)%s%n",
                            r,
                            names[v],
                            m[0],
                            m[1],
                            os.getSystemLoadAverage(),
                            r == 0 ? " warm-up" : "");
                }
            }
            double baseRate = median(results.get(0), 0);
            double baseCpu = median(results.get(0), 1);
            System.out.println();
            System.out.println("| variant | records/s | rate/off | CPU us/record | CPU/off |");
            System.out.println("|---------|-----------|----------|---------------|---------|");
            for (int v = 0; v < 2; v++) {
                double rate = median(results.get(v), 0);
                double cpu = median(results.get(v), 1);
                System.out.printf(
                        Locale.ROOT,
                        "| %-7s | %9.0f | %8.2f | %13.1f | %7.2f |%n",
                        names[v],
                        rate,
                        rate / baseRate,
                        cpu,
                        cpu / baseCpu);
            }
        }
    }

    /** One consumer from offset 0 to {@code records} rows: {records/s, CPU us per record}. */
    private static double[] round(
            KRaftBroker broker, Path dir, boolean on, int records, com.sun.management.OperatingSystemMXBean os)
            throws Exception {
        String db = "jdbc:h2:mem:rate-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        Map<String, String> env = Map.of(
                "SERVICE_NAME",
                "event-pipeline-consumer",
                "ENABLE_OBSERVABILITY",
                Boolean.toString(on),
                "VIGIL_CONSOLE",
                "false",
                "KAFKA_BOOTSTRAP_SERVERS",
                broker.bootstrapServers(),
                "DATABASE_URL",
                db,
                "DATA_DIR",
                dir.toString(),
                "CONSUMER_GROUP",
                "rate-" + UUID.randomUUID());
        try (Connection check = DriverManager.getConnection(db);
                Vigil vigil = Vigil.builder().environment(env).build()) {
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            try (AutoCloseable consumer = EventPipeline.startConsumer(vigil, env)) {
                while (rows(check) < records) {
                    Thread.sleep(5); // polling the result, not synchronising threads
                }
                long ns = System.nanoTime() - t0;
                long cpu = os.getProcessCpuTime() - cpu0;
                return new double[] {records / (ns / 1e9), cpu / 1e3 / records};
            }
        }
    }

    private static long rows(Connection c) {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM analytics_events")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return 0; // the table is created by the consumer's first connection
        }
    }

    private static String message(String id) {
        return "{\"event_id\":\"" + id + "\",\"event_type\":\"page_view\",\"source\":\"web\","
                + "\"occurred_at\":\"2026-11-29T10:00:00Z\",\"received_at\":\"2026-11-29T10:00:01Z\","
                + "\"payload_bytes\":120,\"storage_key\":\"2026-11-29/" + id + ".json\"}";
    }

    private static double median(List<double[]> xs, int i) {
        double[] v = xs.stream().mapToDouble(x -> x[i]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
