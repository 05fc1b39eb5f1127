package io.vigil.identity;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.vigil.console.VigilConsole;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.javalin.OrderlyShutdown;
import io.vigil.http.javalin.PortInUseException;
import io.vigil.http.javalin.ServiceArguments;
import io.vigil.identity.internal.Database;
import io.vigil.identity.internal.traffic.TrafficGenerator;
import io.vigil.logback.JavalinStartFailureFilter;
import io.vigil.logback.VigilLogging;
import io.vigil.profiling.VigilProfiling;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The executable: {@code java -jar identity-service.jar} serves; {@code java -jar
 * identity-service.jar traffic --url URL --duration SECONDS} drives a traffic mix against a running
 * instance and prints a summary.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("traffic")) {
            System.exit(TrafficGenerator.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        int code = commandLine(args, System.out, System.err);
        if (code == 0) {
            return;
        }
        if (code > 0) {
            System.exit(code);
        }
        try {
            serve();
        } catch (Throwable e) {
            // Whatever stopped the start: report it and exit now. Returning from main is not enough, the
            // telemetry's and the console's threads would keep a process alive that serves nothing.
            exitOnFailedStart(e);
        }
    }

    static final String USAGE = "usage: java -jar identity-service.jar          (the service; configured by environment"
            + " variables: PORT, DATABASE_URL, ADMIN_EMAIL, …, see README)\n"
            + "       java -jar identity-service.jar traffic --url URL --duration SECONDS [options]"
            + " (traffic --help lists them)";

    /**
     * What the command line (other than {@code traffic}) asks for: -1 to start the service, else the exit code once
     * answered. The service takes no arguments, so one given ({@code --port 9000}) was silently ignored: now it is one
     * line and exit code 2, as a bad setting is.
     */
    static int commandLine(String[] args, PrintStream out, PrintStream err) {
        return ServiceArguments.check("identity-service", USAGE, args, out, err);
    }

    private static void serve() {
        // SIGTERM (and Ctrl-C) ask for a graceful stop, run on the main thread, after which the process exits 0: a
        // requested stop is a success. Left to the JVM, SIGTERM would exit 143 — also before the service is up, when
        // it ran no shutdown hook at all: the start's last log lines, still in the hand-off, were lost with it. So the
        // handlers come first; a stop asked for while starting is honoured once the start is done.
        OrderlyShutdown shutdown = OrderlyShutdown.listen("identity");
        // java.util.logging (the OpenTelemetry SDK's own warnings) goes through the same lines as the rest.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        quietLibraries();
        Map<String, String> env = new HashMap<>(System.getenv());
        // No collector configured: the embedded console receives the telemetry. Its OTLP endpoint is configured (so
        // everything is exported as to a collector), but the SDK hands its data to the console in-process instead:
        // OTLP encoding, loopback HTTP and decoding would cost the service more than the console itself.
        List<String> consoleWarnings = new ArrayList<>();
        VigilConsole console = startConsoleIfNoCollector(env, consoleWarnings);
        if (console != null) {
            env.putAll(console.otlpEnvironment());
            env.putIfAbsent("METRICS_COLLECTION_INTERVAL", "10"); // lively charts
        }
        VigilConfig config = withWarnings(
                VigilConfig.builder()
                        .serviceName("identity-service")
                        .serviceVersion(version())
                        .buildFromEnvironment(env),
                consoleWarnings);
        // Logging first, so that the telemetry's own start-up lines have the configured format.
        // The OTLP log bridge runs behind its own bounded hand-off: the request thread only enqueues the event.
        // With the embedded console, routine log events of traces it will not keep are never bridged (it keeps a
        // sample of whole traces above VIGIL_CONSOLE_TRACES_PER_SECOND); stdout still gets every line.
        VigilLogging logging = VigilLogging.builder(config)
                .otlpHandoff(true)
                .otlpTraceFilter(console == null ? null : console.logRetention())
                .install();
        quietLibraries();
        Vigil vigil = telemetry(
                Vigil.builder().config(config).registerGlobal(true).customizeSdk(VigilProfiling.customizer(config)),
                console);
        logging.connect(vigil.openTelemetry());
        if (console != null) {
            // On stderr, for the person at the terminal: stdout is the log stream (JSON lines, maybe shipped),
            // which must not carry the console's access token.
            System.err.println("Telemetry console: " + console.uiUrl());
        }
        IdentityService service = IdentityService.start(
                IdentityConfig.fromEnvironment(env), SecurityFeedConfig.fromEnvironment(env), vigil);
        // Any other way out (System.exit elsewhere, SIGHUP) still stops in order (a shutdown hook).
        shutdown.stopWith(() -> {
                    service.close(); // readiness 503, stop accepting, drain, close the pool
                    LoggerFactory.getLogger(Main.class).info("Shutdown: flushing telemetry");
                    logging.close();
                    vigil.close();
                    if (console != null) {
                        console.close();
                    }
                })
                .awaitThenExit();
    }

    /**
     * {@code config} with the embedded console's configuration warnings added to its own, so that they are reported
     * as every telemetry setting's are: one WARN line each ({@code Telemetry configuration: …}) once logging is set up.
     */
    static VigilConfig withWarnings(VigilConfig config, List<String> warnings) {
        if (warnings.isEmpty()) {
            return config;
        }
        List<String> all = new ArrayList<>(config.warnings());
        all.addAll(warnings);
        return config.toBuilder().warnings(all).build();
    }

    /**
     * Builds the runtime; with the embedded console, the SDK hands its data to it in-process and the console's own
     * cost (CPU time, ingested and dropped items) is reported with the service's metrics.
     */
    static Vigil telemetry(Vigil.Builder builder, VigilConsole console) {
        if (console == null) {
            return builder.build();
        }
        // Spans of traces the console will not keep stop as they end, before the batch processor
        // (console::filterSpans).
        Vigil vigil = builder.exportInProcess(
                        console.spanExporter(),
                        console::metricExporter,
                        console.logRecordExporter(),
                        console::filterSpans)
                .build();
        console.registerMetrics(vigil.openTelemetry());
        return vigil;
    }

    /**
     * Starts the in-process console when telemetry is on, no OTLP endpoint is configured and {@code
     * VIGIL_CONSOLE} is not {@code false}; on {@code VIGIL_CONSOLE_PORT} (default 4318), or any free
     * port when that one is taken, holding at most {@code VIGIL_CONSOLE_MAX_BYTES} of records (default 64 MiB, a
     * quarter of the standalone console's bound) and above {@code VIGIL_CONSOLE_TRACES_PER_SECOND} (default 20, 0 =
     * all) a sample of whole traces. Returns {@code null} when there is none.
     */
    static VigilConsole startConsoleIfNoCollector(Map<String, String> env) {
        return startConsoleIfNoCollector(env, new ArrayList<>());
    }

    /**
     * {@link #startConsoleIfNoCollector(Map)}, adding to {@code warnings} one line per setting it could not use, in
     * the telemetry configuration's form ({@code NAME=value problem; using fallback}): telemetry settings never stop
     * the service, but none is ignored silently.
     */
    static VigilConsole startConsoleIfNoCollector(Map<String, String> env, List<String> warnings) {
        // A signal's own endpoint counts: its signal goes to that collector, and the console would show a part.
        boolean collector = Stream.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "TEMPO_ENDPOINT",
                        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")
                .anyMatch(name -> !env.getOrDefault(name, "").isBlank());
        // ENABLE_OBSERVABILITY's own warning comes from the telemetry configuration, which reads it too.
        boolean off = !bool(env, "ENABLE_OBSERVABILITY", true, new ArrayList<>())
                || !bool(env, "VIGIL_CONSOLE", true, collector ? new ArrayList<>() : warnings);
        if (collector || off) {
            return null;
        }
        int port = 4318;
        String configuredPort = env.getOrDefault("VIGIL_CONSOLE_PORT", "").strip();
        if (!configuredPort.isEmpty()) {
            try {
                port = Integer.parseInt(configuredPort);
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException("out of range");
                }
            } catch (NumberFormatException e) {
                port = 4318;
                warnings.add("VIGIL_CONSOLE_PORT=" + configuredPort + " is not a port number (0–65535); using 4318");
            }
        }
        // The console's records live in this service's heap: a smaller bound than the standalone console's keeps the
        // collector's work on them small (bench/README, issue 17).
        long maxBytes = embeddedConsoleMaxBytes(Runtime.getRuntime().maxMemory());
        String configuredMax = env.getOrDefault("VIGIL_CONSOLE_MAX_BYTES", "").strip();
        if (!configuredMax.isEmpty()) {
            try {
                long parsed = VigilConsole.parseBytes(configuredMax);
                if (parsed < 1024 * 1024) {
                    throw new IllegalArgumentException("below 1 MiB");
                }
                maxBytes = parsed;
            } catch (IllegalArgumentException e) {
                warnings.add("VIGIL_CONSOLE_MAX_BYTES=" + configuredMax + " is not a byte count of at least 1m; using "
                        + (maxBytes >> 20) + "m");
            }
        }
        // Above this many traces a second the console keeps a sample of whole traces (errors and warnings always):
        // every kept record lives in this heap until evicted (bench/README, issue 17). 0 keeps everything.
        int tracesPerSecond = VigilConsole.DEFAULT_EMBEDDED_TRACES_PER_SECOND;
        String configuredRate =
                env.getOrDefault("VIGIL_CONSOLE_TRACES_PER_SECOND", "").strip();
        if (!configuredRate.isEmpty()) {
            try {
                tracesPerSecond = Integer.parseInt(configuredRate);
                if (tracesPerSecond < 0) {
                    throw new NumberFormatException("negative");
                }
            } catch (NumberFormatException e) {
                tracesPerSecond = VigilConsole.DEFAULT_EMBEDDED_TRACES_PER_SECOND;
                warnings.add("VIGIL_CONSOLE_TRACES_PER_SECOND=" + configuredRate
                        + " is not a count >= 0 (0 keeps every trace); using " + tracesPerSecond);
            }
        }
        for (int candidate : new int[] {port, 0}) {
            try {
                VigilConsole console = VigilConsole.builder()
                        .httpPort(candidate)
                        .grpcPort(-1)
                        .maxBytes(maxBytes)
                        .tracesPerSecond(tracesPerSecond)
                        .start();
                // The console's OTLP settings replace the environment's: a protocol that was wrong anyway is said.
                String protocol =
                        env.getOrDefault("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip();
                if (!protocol.isEmpty() && !protocol.equals("grpc") && !protocol.equals("http/protobuf")) {
                    warnings.add("OTEL_EXPORTER_OTLP_PROTOCOL=" + protocol
                            + " is not a supported protocol (grpc, http/protobuf); using the embedded console");
                }
                return console;
            } catch (RuntimeException e) {
                if (candidate == 0) {
                    warnings.add("VIGIL_CONSOLE: the telemetry console could not start (" + e.getMessage()
                            + "); using none");
                }
            }
        }
        return null;
    }

    /**
     * The embedded console's byte bound when {@code VIGIL_CONSOLE_MAX_BYTES} is unset: {@link
     * VigilConsole#DEFAULT_EMBEDDED_MAX_BYTES}, but at most an eighth of the heap (at least 1 MiB), since its records
     * live in this service's heap: a service run with {@code -Xmx64m} would otherwise give the console as much as the
     * whole heap, over time.
     */
    static long embeddedConsoleMaxBytes(long maxHeapBytes) {
        return Math.max(1 << 20, Math.min(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES, maxHeapBytes / 8));
    }

    /** {@code true/1/yes/on} or {@code false/0/no/off}, as the telemetry configuration reads booleans. */
    private static boolean bool(Map<String, String> env, String name, boolean fallback, List<String> warnings) {
        String v = env.getOrDefault(name, "").strip();
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "" -> fallback;
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> {
                warnings.add(name + "=" + v + " is not a boolean (true/false, 1/0, yes/no, on/off); using " + fallback);
                yield fallback;
            }
        };
    }

    /**
     * Ends a start that failed: one ERROR line (a configuration error, a port in use or an unreachable database
     * without a stack trace), the log lines flushed within a bound, then exit code 2 for a configuration error and 1
     * for anything else, at once.
     */
    private static void exitOnFailedStart(Throwable e) {
        boolean configuration = e instanceof IllegalArgumentException;
        try {
            org.slf4j.Logger log = LoggerFactory.getLogger(Main.class);
            if (configuration) {
                log.error("identity-service cannot start: configuration error: {}", e.getMessage());
            } else if (e instanceof PortInUseException || e instanceof Database.UnreachableAtStartException) {
                // The port and the variable, or the database and the driver's reason, are all there is to say: no
                // stack trace.
                log.error("identity-service cannot start: {}", e.getMessage());
            } else {
                log.error("identity-service cannot start: {}", e.toString(), e);
            }
            // Stops every appender: the stdout hand-off drains (bounded), Loki keeps the rest in its spool.
            ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
        } catch (Throwable reportFailed) {
            e.printStackTrace();
        }
        // halt, not exit: shutdown hooks belong to a service that started, and could wait on what did not.
        Runtime.getRuntime().halt(configuration ? 2 : 1);
    }

    private static void quietLibraries() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        // Javalin's own "Failed to start" line: the start's failure is reported once, naming the port's variable.
        JavalinStartFailureFilter.install(); // once: a second call finds it there
        for (String name :
                new String[] {"org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb", "io.javalin", "org.apache.kafka"
                }) {
            context.getLogger(name).setLevel(Level.WARN);
        }
        // Jetty warns once per request with a malformed Host ("Bad Authority"): the client's mistake, answered 400; a
        // client could otherwise write as many WARN lines as it sends requests.
        context.getLogger("org.eclipse.jetty.util.HostPort").setLevel(Level.ERROR);
        // The Kafka client warns twice a second for as long as the broker is unreachable; the outbox publisher
        // reports that outage once (and its end), so the client's reconnect warnings would only bury that line.
        context.getLogger("org.apache.kafka.clients.NetworkClient").setLevel(Level.ERROR);
        // Its "Couldn't resolve server … from bootstrap.servers" came again at every retry of the publisher's producer;
        // the publisher's one WARN per outage names that cause.
        context.getLogger("org.apache.kafka.clients.ClientUtils").setLevel(Level.ERROR);
    }

    /** This build's version, filtered in by Maven. */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("identity-version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
