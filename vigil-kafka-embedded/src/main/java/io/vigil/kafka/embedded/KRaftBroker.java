package io.vigil.kafka.embedded;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka (KRaft: broker and controller in one process) started in this JVM from
 * the Maven Central artifacts — for tests, and for applications whose default is to run with
 * nothing installed. Its log directory is formatted once (a random cluster id), so a broker
 * restarted on the same directory keeps its topics and committed offsets; both listeners are on
 * the loopback interface, the client listener on a free port unless {@link Builder#port} fixes it
 * (a test that stops a broker and starts it again where its clients expect it). Topics are
 * created on first use ({@code auto.create.topics.enable}), one partition each, replication 1.
 *
 * <p>Thread-safe; {@link #close()} stops it and, for a broker on a temporary directory, deletes
 * that directory.
 *
 * <p>On JDK 24 and later, run the JVM that starts it with {@value #QUIET_CLOSE_JVM_OPTION}: Kafka unmaps each
 * memory-mapped index file when {@link #close()} closes it, through {@code sun.misc.Unsafe::invokeCleaner}, and without
 * the option the JDK prints four {@code WARNING} lines about that terminally deprecated method on stderr (JEP 498). It is
 * a command-line option only: no jar-manifest attribute allows it (the launcher reads {@code Enable-Native-Access},
 * {@code Add-Opens} and {@code Add-Exports}, not this), so a shipped jar needs it on its {@code java} command line;
 * JDK 21 and 22 refuse it, JDK 23 accepts it and warns about nothing yet. It allows {@code sun.misc.Unsafe}'s memory
 * access only (any caller's); the JDK's other warnings are still printed.
 */
public final class KRaftBroker implements AutoCloseable {
    /**
     * The JVM option that keeps JDK 24+ from warning about {@code sun.misc.Unsafe::invokeCleaner} when a broker is
     * closed (see the class description); e.g. surefire's {@code <argLine>} in a JDK 24+ profile.
     */
    public static final String QUIET_CLOSE_JVM_OPTION = "--sun-misc-unsafe-memory-access=allow";

    /** The file in the data directory a running broker holds locked, for as long as it runs. */
    static final String LOCK_FILE = "broker.lock";

    private final KafkaRaftServer server;
    private final String bootstrap;
    private final Path deleteOnClose;
    private final FileChannel lock;

    private KRaftBroker(KafkaRaftServer server, String bootstrap, Path deleteOnClose, FileChannel lock) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.deleteOnClose = deleteOnClose;
        this.lock = lock;
    }

    /**
     * Thrown by {@link Builder#start()} when another broker — in another process, or in this one — runs on the same
     * data directory. Nothing in the directory was touched: Kafka's own lock is taken only after its controller has
     * started, and that controller, on a log another broker is writing, appended to it (the running broker's
     * metadata log was found corrupt and truncated at its next start, and its stop hung).
     */
    public static final class DirectoryInUseException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        /** An exception with this message. */
        public DirectoryInUseException(String message) {
            super(message);
        }
    }

    /** A broker on a fresh temporary directory, deleted by {@link #close()}; free ports. */
    public static KRaftBroker start() {
        return builder().start();
    }

    /** A broker on {@code dataDir} (created if missing; its data stays after {@link #close()}); free ports. */
    public static KRaftBroker start(Path dataDir) {
        return builder().dataDir(dataDir).start();
    }

    /** Settings for a broker other than the two defaults above. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@code 127.0.0.1:<port>} of the client listener. */
    public String bootstrapServers() {
        return bootstrap;
    }

    /** Creates {@code topics} (one partition, replication 1); throws when one cannot be created within 30 s. */
    public void createTopics(String... topics) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(Stream.of(topics)
                            .map(t -> new NewTopic(t, 1, (short) 1))
                            .toList())
                    .all()
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("topics not created: " + e.getMessage(), e);
        }
    }

    /** Producer settings for this broker: acks=all, no linger; a new mutable map. */
    public Map<String, Object> producerConfig() {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        return c;
    }

    /** Consumer settings for {@code group} on this broker: from the earliest offset, no auto-commit; a new mutable map. */
    public Map<String, Object> consumerConfig(String group) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return c;
    }

    /** Stops the broker and waits for it; deletes its directory when it was a temporary one. */
    @Override
    public void close() {
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            release(lock);
        }
        if (deleteOnClose != null) {
            try (Stream<Path> files = Files.walk(deleteOnClose)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** How to start a {@link KRaftBroker}. Not thread-safe; {@link #start()} may be called more than once. */
    public static final class Builder {
        private Path dataDir;
        private int port;
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder() {}

        /** The directory of its log and metadata (created if missing, kept after close); default a temporary one. */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** The client listener's loopback port; default 0, a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** How long {@link #start()} waits for the broker to answer; default 60 s. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Starts the broker and returns once it answers a cluster description; throws when it does not. */
        public KRaftBroker start() {
            Path tmp = null;
            FileChannel lock = null;
            try {
                Path dir = dataDir;
                if (dir == null) {
                    tmp = Files.createTempDirectory("vigil-kraft-");
                    dir = tmp;
                }
                Files.createDirectories(dir);
                lock = lockDirectory(dir);
                Path logDir = Files.createDirectories(dir.resolve("log"));
                int brokerPort = port == 0 ? freePort() : port;
                int controllerPort = freePort();
                Properties p = new Properties();
                p.put("process.roles", "broker,controller");
                p.put("node.id", "1");
                p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
                p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
                p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
                p.put("controller.listener.names", "CONTROLLER");
                p.put("inter.broker.listener.name", "PLAINTEXT");
                p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
                p.put("log.dirs", logDir.toString());
                p.put("num.partitions", "1");
                p.put("offsets.topic.replication.factor", "1");
                p.put("offsets.topic.num.partitions", "1");
                p.put("transaction.state.log.replication.factor", "1");
                p.put("transaction.state.log.min.isr", "1");
                p.put("share.coordinator.state.topic.replication.factor", "1");
                p.put("share.coordinator.state.topic.min.isr", "1");
                p.put("group.initial.rebalance.delay.ms", "0");
                p.put("auto.create.topics.enable", "true");
                KafkaConfig config = KafkaConfig.fromProps(p, false);

                // Formatted once: a restart keeps the cluster id, the topics and the committed offsets.
                if (!Files.exists(logDir.resolve("meta.properties"))) {
                    new Formatter()
                            .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                            .setClusterId(Uuid.randomUuid().toString())
                            .setNodeId(1)
                            .setControllerListenerName("CONTROLLER")
                            .setMetadataLogDirectory(logDir.toString())
                            .setDirectories(List.of(logDir.toString()))
                            .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                            .run();
                }

                KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
                KRaftBroker broker = new KRaftBroker(server, "127.0.0.1:" + brokerPort, tmp, lock);
                lock = null; // the broker's now: released by its close()
                try {
                    server.startup();
                } catch (RuntimeException e) {
                    release(broker.lock);
                    throw e;
                }
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrap))) {
                    admin.describeCluster().nodes().get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    broker.close();
                    throw e;
                }
                return broker;
            } catch (DirectoryInUseException e) {
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the in-process Kafka broker", e);
            } catch (Exception e) {
                throw new IllegalStateException("in-process Kafka broker did not start: " + e.getMessage(), e);
            } finally {
                release(lock);
            }
        }
    }

    /**
     * Locks {@code dir} for this broker: the lock is held by the returned channel until it is closed, and the
     * operating system drops it when the process ends, however it ends (no stale lock after a crash).
     */
    private static FileChannel lockDirectory(Path dir) throws IOException {
        FileChannel channel =
                FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held;
        try {
            held = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            held = null; // a broker of this JVM holds it
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (held == null) {
            channel.close();
            throw new DirectoryInUseException("in-process Kafka broker did not start: its directory " + dir
                    + " is in use by another broker (in another process or in this JVM)");
        }
        return channel;
    }

    private static void release(FileChannel lock) {
        if (lock != null) {
            try {
                lock.close(); // releases the lock
            } catch (IOException e) {
                // the lock goes with the channel, closed or not; nothing else to do
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
