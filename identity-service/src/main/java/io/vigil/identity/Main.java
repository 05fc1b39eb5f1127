package io.vigil.identity;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.vigil.console.VigilConsole;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.identity.internal.traffic.TrafficGenerator;
import io.vigil.logback.VigilLogging;
import io.vigil.profiling.VigilProfiling;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

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
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println("usage: java -jar identity-service.jar [traffic --url URL --duration SECONDS"
                    + " [--concurrency N] [--admin-email E --admin-password P]]");
            return;
        }
        serve();
    }

    private static void serve() throws InterruptedException {
        Map<String, String> env = new HashMap<>(System.getenv());
        // No collector configured: the embedded console receives the telemetry over loopback OTLP.
        VigilConsole console = startConsoleIfNoCollector(env);
        if (console != null) {
            env.putAll(console.otlpEnvironment());
            env.putIfAbsent("METRICS_COLLECTION_INTERVAL", "10"); // lively charts
        }
        VigilConfig config = VigilConfig.builder()
                .serviceName("identity-service")
                .serviceVersion(version())
                .buildFromEnvironment(env);
        Vigil vigil = Vigil.builder()
                .config(config)
                .registerGlobal(true)
                .customizeSdk(VigilProfiling.customizer(config))
                .build();
        VigilLogging logging = VigilLogging.install(vigil);
        quietLibraries();
        if (console != null) {
            System.out.println("Telemetry console: " + console.uiUrl());
        }
        IdentityService service;
        try {
            service = IdentityService.start(IdentityConfig.fromEnvironment(env), vigil);
        } catch (IllegalArgumentException e) {
            System.err.println("identity-service: configuration error: " + e.getMessage());
            logging.close();
            vigil.close();
            if (console != null) {
                console.close();
            }
            System.exit(2);
            return;
        }
        // SIGTERM (and Ctrl-C) ask for a graceful stop, run here on the main thread, after which the
        // process exits 0: a requested stop is a success. Left to the JVM, SIGTERM would exit 143.
        CountDownLatch stopRequested = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stopRequested.countDown());
            } catch (IllegalArgumentException e) {
                // Reserved (-Xrs, or ignored by the parent): the shutdown hook below still stops in order.
                LoggerFactory.getLogger(Main.class).debug("SIG{} not handled: {}", name, e.getMessage());
            }
        }
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                service.close(); // readiness 503, stop accepting, drain, close the pool
                LoggerFactory.getLogger(Main.class).info("Shutdown: flushing telemetry");
                logging.close();
                vigil.close();
                if (console != null) {
                    console.close();
                }
            }
        };
        // Any other way out (System.exit elsewhere, SIGHUP) still stops in order.
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "identity-shutdown"));
        stopRequested.await();
        stop.run();
        System.exit(0);
    }

    /**
     * Starts the in-process console when telemetry is on, no OTLP endpoint is configured and {@code
     * VIGIL_CONSOLE} is not {@code false}; on {@code VIGIL_CONSOLE_PORT} (default 4318), or any free
     * port when that one is taken. Returns {@code null} when there is none.
     */
    static VigilConsole startConsoleIfNoCollector(Map<String, String> env) {
        boolean collector = !env.getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "").isBlank()
                || !env.getOrDefault("TEMPO_ENDPOINT", "").isBlank();
        boolean off = "false"
                        .equalsIgnoreCase(
                                env.getOrDefault("ENABLE_OBSERVABILITY", "true").strip())
                || "false"
                        .equalsIgnoreCase(
                                env.getOrDefault("VIGIL_CONSOLE", "true").strip());
        if (collector || off) {
            return null;
        }
        int port = 4318;
        try {
            port = Integer.parseInt(
                    env.getOrDefault("VIGIL_CONSOLE_PORT", "4318").strip());
        } catch (NumberFormatException e) {
            System.err.println("identity-service: VIGIL_CONSOLE_PORT is not a port number; using 4318");
        }
        for (int candidate : new int[] {port, 0}) {
            try {
                return VigilConsole.builder().httpPort(candidate).grpcPort(-1).start();
            } catch (RuntimeException e) {
                if (candidate == 0) {
                    System.err.println("identity-service: telemetry console not started: " + e.getMessage());
                }
            }
        }
        return null;
    }

    private static void quietLibraries() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        for (String name : new String[] {"org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb", "io.javalin"}) {
            context.getLogger(name).setLevel(Level.WARN);
        }
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
