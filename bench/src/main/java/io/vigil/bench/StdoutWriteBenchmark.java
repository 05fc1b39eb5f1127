package io.vigil.bench;

import io.vigil.logback.internal.LineBatchingOutputStream;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Writing one encoded access-log line (≈ 520 bytes of JSON) to standard output as a service does,
 * into a real file (what a container runtime or {@code ./dev run > file} gives): {@code perLine} is
 * Logback's {@code ConsoleAppender} — {@code System.out}'s {@code PrintStream} written and flushed per
 * event, a {@code write(2)} each — and {@code batched} is {@link LineBatchingOutputStream} as the stdout
 * hand-off uses it, flushed after every {@code batch} lines (≈ a 2 ms hand-off batch at 3,000 lines/s).
 * Read with {@code -prof io.vigil.bench.CpuPerOpProfiler}: user and kernel CPU per line.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class StdoutWriteBenchmark {
    @Param({"perLine", "batched"})
    public String mode;

    /** Lines per hand-off batch (flushes) in {@code batched} mode. */
    @Param({"6"})
    public int batch;

    private final byte[] line =
            ("{\"timestamp\":\"2026-11-29T20:21:07.123Z\",\"level\":\"INFO\",\"logger\":\"vigil.http.access\","
                            + "\"message\":\"GET /api/v1/users/me 200\",\"service\":\"identity-service\",\"environment\":\"development\","
                            + "\"hostname\":\"bench\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"span_id\":\"00f067aa0ba902b7\","
                            + "\"request_id\":\"6f1c2a9e-2b7d-4f55-9a51-0c1d2e3f4a5b\",\"method\":\"GET\",\"path\":\"/api/v1/users/me\","
                            + "\"endpoint\":\"/api/v1/users/me\",\"ip_address\":\"127.0.0.1\",\"user_id\":\"42\",\"event_type\":\"http_request\","
                            + "\"status_code\":200,\"duration_seconds\":0.000612,\"response_size_bytes\":143}\n")
                    .getBytes(StandardCharsets.UTF_8);
    private Path file;
    private PrintStream stdout;
    private OutputStream out;
    private int inBatch;

    @Setup(Level.Iteration)
    public void open() throws IOException {
        file = Files.createTempFile("vigil-stdout", ".log");
        // What the JDK builds System.out from: a buffered, auto-flushing PrintStream over the descriptor.
        stdout = new PrintStream(new BufferedOutputStream(new FileOutputStream(file.toFile()), 8192), true);
        out = mode.equals("batched") ? LineBatchingOutputStream.of(stdout) : stdout;
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        out.flush();
        stdout.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    public void writeLine() throws IOException {
        out.write(line, 0, line.length);
        if (out == stdout) {
            stdout.flush(); // ConsoleAppender's immediateFlush
        } else if (++inBatch == batch) {
            inBatch = 0;
            out.flush(); // the hand-off's flush after its batch
        }
    }
}
