package io.vigil.pipeline;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real S3-compatible server for the tests: s3rver, the npm package, run by the machine's Node.js
 * in a child process on a free loopback port, its data in a temporary directory. The test installs
 * it itself ({@code npm ci} from {@code src/test/s3rver}'s lock file into {@code target/s3rver},
 * once), so CI needs nothing but Node.js and the npm registry; without them a test fails under
 * {@code vigil.require.servers} (CI) and is skipped elsewhere. Credentials: s3rver's fixed {@code
 * S3RVER}/{@code S3RVER}.
 */
final class S3rver implements AutoCloseable {
    static final String KEY = "S3RVER";
    private static final Path MODULE =
            Path.of(System.getProperty("basedir", ".")).toAbsolutePath();

    private final Process process;
    private final int port;

    private S3rver(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Installs s3rver if need be and starts it on {@code dataDir}; returns once it accepts connections. */
    static S3rver start(Path dataDir) throws Exception {
        Path script = install();
        int port = freePort();
        Files.createDirectories(dataDir);
        Process p = new ProcessBuilder(
                        "node",
                        script.toString(),
                        "-d",
                        dataDir.toString(),
                        "-a",
                        "127.0.0.1",
                        "-p",
                        Integer.toString(port),
                        "--silent")
                .redirectErrorStream(true)
                .redirectOutput(MODULE.resolve("target/s3rver.log").toFile())
                .start();
        S3rver server = new S3rver(p, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return server;
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    server.close();
                    throw new IllegalStateException("s3rver did not start; see target/s3rver.log");
                }
                p.waitFor(50, TimeUnit.MILLISECONDS); // returns early if it exits
            }
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static synchronized Path install() throws Exception {
        Path dir = MODULE.resolve("target/s3rver");
        Path script = dir.resolve("node_modules/s3rver/bin/s3rver.js");
        if (Files.exists(script)) {
            return script;
        }
        Files.createDirectories(dir);
        for (String f : List.of("package.json", "package-lock.json")) {
            Files.copy(
                    MODULE.resolve("src/test/s3rver").resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        String problem = null;
        try {
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(new File(dir.toFile(), "npm.log"))
                    .start();
            if (!npm.waitFor(Duration.ofMinutes(5).toSeconds(), TimeUnit.SECONDS)) {
                npm.destroyForcibly();
                problem = "npm ci did not finish in 5 minutes";
            } else if (npm.exitValue() != 0) {
                problem = "npm ci failed: " + Files.readString(dir.resolve("npm.log"));
            }
        } catch (IOException e) {
            problem = "npm is not installed: " + e.getMessage();
        }
        if (problem == null && !Files.exists(script)) {
            problem = "npm ci did not install s3rver";
        }
        if (problem != null) {
            String message = "s3rver (the S3-compatible test server, run with Node.js) is not available: " + problem;
            if (Boolean.getBoolean("vigil.require.servers")) {
                Assertions.fail(message);
            }
            Assumptions.abort(message);
        }
        return script;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
