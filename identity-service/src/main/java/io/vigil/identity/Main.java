package io.vigil.identity;

import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.identity.internal.traffic.TrafficGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

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
        Vigil vigil = Vigil.builder()
                .config(VigilConfig.builder()
                        .serviceName("identity-service")
                        .serviceVersion(version())
                        .buildFromEnvironment(System.getenv()))
                .registerGlobal(true)
                .build();
        IdentityService service;
        try {
            service = IdentityService.start(IdentityConfig.fromEnvironment(System.getenv()), vigil);
        } catch (IllegalArgumentException e) {
            System.err.println("identity-service: configuration error: " + e.getMessage());
            vigil.close();
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            vigil.close();
            stopped.countDown();
        }));
        stopped.await();
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
