package io.vigil.logback.internal;

import com.github.loki4j.client.batch.LogRecord;
import com.github.loki4j.client.batch.LogRecordBatch;
import com.github.loki4j.client.http.HttpConfig;
import com.github.loki4j.client.http.JavaHttpClient;
import com.github.loki4j.client.http.Loki4jHttpClient;
import com.github.loki4j.client.http.LokiResponse;
import com.github.loki4j.client.util.ByteBufferFactory;
import com.github.loki4j.client.writer.ProtobufWriter;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;

/**
 * Drains a {@link DiskSpool} to Loki's push API on one background thread: batches (full batch or
 * {@code batchInterval}, whichever comes first), protobuf + snappy through loki4j's writer and HTTP
 * client, and a batch is committed only once Loki has answered 2xx. A failed push (no answer,
 * timeout, 429, 5xx, and 401, 403 or 404, which every batch would get alike) is retried with exponential backoff for as long as it takes — the spool holds
 * the lines meanwhile; a batch Loki refuses as invalid (another 4xx) is counted and skipped, since
 * retrying it would block everything behind it.
 *
 * <p>Loki drops an entry identical to one it has (same stream, timestamp and line), so a batch sent
 * again after a crash between Loki's answer and the cursor update is not stored twice.
 */
public final class LokiShipper implements AutoCloseable {
    /** Level byte in the spool → stream label value. */
    public static final String[] LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};

    private final DiskSpool spool;
    private final Logger log;
    private final String pushUrl;
    private final Loki4jHttpClient http;
    private final ProtobufWriter writer;
    private final List<Map<String, String>> streams;
    private final long intervalNanos;
    private final int batchMaxRecords;
    private final long batchMaxBytes;
    private final long retryMinMillis;
    private final long retryMaxMillis;
    private final Duration stopTimeout;
    private final Thread thread;
    private volatile boolean running = true;

    private final LongAdder sentLines = new LongAdder();
    private final LongAdder sentBatches = new LongAdder();
    private final LongAdder rejectedLines = new LongAdder();
    private final LongAdder failedPushes = new LongAdder();
    private volatile boolean failing;
    private long failuresInOutage;

    /**
     * @param streams stream labels per level byte (index into {@link #LEVELS}); the same map
     *     instance per level, so records of one stream group into one protobuf stream
     */
    public LokiShipper(
            DiskSpool spool,
            URI baseUrl,
            List<Map<String, String>> streams,
            Duration batchInterval,
            Duration timeout,
            int batchMaxRecords,
            long batchMaxBytes,
            Duration retryMax,
            Logger log) {
        this.spool = spool;
        this.log = log;
        this.pushUrl = baseUrl.toString().replaceAll("/+$", "") + "/loki/api/v1/push";
        this.streams = List.copyOf(streams);
        this.intervalNanos = batchInterval.toNanos();
        this.batchMaxRecords = batchMaxRecords;
        this.batchMaxBytes = batchMaxBytes;
        this.retryMinMillis = Math.min(250, retryMax.toMillis());
        this.retryMaxMillis = Math.max(retryMinMillis, retryMax.toMillis());
        this.stopTimeout = timeout;
        HttpConfig config = HttpConfig.builder()
                .setPushUrl(pushUrl)
                .setConnectionTimeoutMs(timeout.toMillis())
                .setRequestTimeoutMs(timeout.toMillis())
                .setClientConfig(new HttpConfig.JavaHttpConfig(60_000))
                .build("application/x-protobuf");
        this.http = new JavaHttpClient(config);
        // Room for a full batch of lines plus per-entry protobuf framing.
        int capacity = (int) Math.min(Integer.MAX_VALUE - 64, batchMaxBytes * 2 + batchMaxRecords * 64L + 64 * 1024);
        this.writer = new ProtobufWriter(capacity, new ByteBufferFactory(false));
        this.thread = new Thread(this::run, "vigil-loki-shipper");
        this.thread.setDaemon(true);
        this.thread.setUncaughtExceptionHandler(this::died);
    }

    public void start() {
        thread.start();
    }

    /** Asks the shipper to look at the spool now (a full batch is waiting). */
    public void wake() {
        LockSupport.unpark(thread);
    }

    private void run() {
        long lastPush = System.nanoTime() - intervalNanos; // a backlog from before a restart goes at once
        long backoff = retryMinMillis;
        while (running) {
            try {
                long pending = spool.pendingBytes();
                long now = System.nanoTime();
                if (pending == 0) {
                    pushOnce(); // sends nothing; frees a delivered segment the writer has moved past
                    LockSupport.parkNanos(Math.min(intervalNanos, 1_000_000_000L));
                    continue;
                }
                if (pending < batchMaxBytes && now - lastPush < intervalNanos && !failing) {
                    LockSupport.parkNanos(lastPush + intervalNanos - now);
                    continue;
                }
                Outcome outcome = pushOnce();
                if (outcome == Outcome.RETRY) {
                    LockSupport.parkNanos(backoff * 1_000_000L);
                    backoff = Math.min(retryMaxMillis, backoff * 2);
                } else {
                    backoff = retryMinMillis;
                    lastPush = System.nanoTime();
                }
            } catch (Exception | LinkageError e) {
                // Never let the shipper die of one bad attempt (the spool unreadable for a while, a batch
                // that cannot be encoded): counted and reported like a failed push, once per outage; the
                // spool keeps the lines until the next attempt.
                onFailure(describe(e));
                LockSupport.parkNanos(backoff * 1_000_000L);
                backoff = Math.min(retryMaxMillis, backoff * 2);
            }
        }
        // Orderly stop: deliver what is pending, within the push timeout; the rest stays spooled.
        long deadline = System.nanoTime() + stopTimeout.toNanos();
        try {
            while (spool.pendingBytes() > 0 && System.nanoTime() < deadline) {
                Outcome o = pushOnce();
                if (o == Outcome.RETRY || o == Outcome.EMPTY) {
                    break;
                }
            }
        } catch (Exception | LinkageError e) {
            // What is left is delivered after the next start; say so, once, as this is the last word.
            failedPushes.increment();
            log.atWarn()
                    .addKeyValue("pending_bytes", pendingOrUnknown())
                    .log(
                            "Loki shipping stopped before the spool {} was delivered ({}); the rest is sent after the"
                                    + " next start",
                            spool.directory(),
                            describe(e));
        }
    }

    private long pendingOrUnknown() {
        try {
            return spool.pendingBytes();
        } catch (RuntimeException e) {
            return -1; // the spool is what failed; the message above says how
        }
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /**
     * The shipper thread died of what it does not catch (a VirtualMachineError): Loki shipping stops
     * for this process. Counted and logged at ERROR; stdout logs on and the spool keeps the lines.
     */
    private void died(Thread t, Throwable e) {
        failedPushes.increment();
        failing = true;
        log.error(
                "Loki shipping to {} stopped ({}); log lines stay in the spool {} until the next start",
                pushUrl,
                describe(e),
                spool.directory(),
                e);
    }

    enum Outcome {
        SENT,
        REJECTED,
        RETRY,
        EMPTY
    }

    private Outcome pushOnce() throws Exception {
        DiskSpool.Batch batch = spool.peek(batchMaxRecords, batchMaxBytes);
        if (batch.isEmpty()) {
            if (batch.skippedCorrupt() > 0 || batch.passedSegments()) {
                spool.commit(batch);
            }
            return Outcome.EMPTY;
        }
        LokiResponse response;
        try {
            response = http.send(ByteBuffer.wrap(encode(batch.records())));
        } catch (Exception e) {
            onFailure(describe(e));
            return Outcome.RETRY;
        }
        int status = response.status;
        if (status >= 200 && status < 300) {
            spool.commit(batch);
            sentLines.add(batch.records().size());
            sentBatches.increment();
            onSuccess();
            return Outcome.SENT;
        }
        // 401/403/404: Loki's authentication, a tenant header or the URL path is wrong; every batch would get the same
        // answer, so the lines wait in the spool (bounded) for the setting to be fixed, reported once like an outage.
        if (status == 429 || status >= 500 || status == 408 || status == 401 || status == 403 || status == 404) {
            onFailure("HTTP " + status + " " + abbreviate(response.body));
            return Outcome.RETRY;
        }
        // Loki refuses this batch for good (e.g. entries too old, line too long): skip it, loudly.
        spool.commit(batch);
        rejectedLines.add(batch.records().size());
        log.atWarn()
                .addKeyValue("status_code", status)
                .addKeyValue("rejected_lines", batch.records().size())
                .log(
                        "Loki rejected a batch of {} log lines ({}); they are dropped and counted",
                        batch.records().size(),
                        abbreviate(response.body));
        return Outcome.REJECTED;
    }

    private byte[] encode(List<DiskSpool.Record> records) {
        // Group by stream, keeping order within each stream (Loki wants each stream's entries in order).
        List<LogRecord> grouped = new ArrayList<>(records.size());
        for (int level = 0; level < LEVELS.length; level++) {
            Map<String, String> stream = streams.get(level);
            for (DiskSpool.Record r : records) {
                if (r.level() == level) {
                    long ms = Math.floorDiv(r.epochNanos(), 1_000_000L);
                    int nanosInMs = (int) Math.floorMod(r.epochNanos(), 1_000_000L);
                    grouped.add(LogRecord.create(ms, nanosInMs, stream, r.line(), Map.of()));
                }
            }
        }
        writer.reset();
        writer.serializeBatch(new LogRecordBatch(grouped.toArray(LogRecord[]::new)));
        return writer.toByteArray();
    }

    private void onFailure(String reason) {
        failedPushes.increment();
        failuresInOutage++;
        if (!failing) {
            failing = true;
            log.atWarn()
                    .addKeyValue("spool_bytes", spool.sizeBytes())
                    .addKeyValue("spool_max_bytes", spool.maxBytes())
                    .log(
                            "Loki push to {} is failing ({}); log lines are kept in the spool {} and sent in order when Loki"
                                    + " is back; failures are counted in vigil_log_loki_push_failures_total and the next"
                                    + " message comes on recovery",
                            pushUrl,
                            reason,
                            spool.directory());
        }
    }

    private void onSuccess() {
        if (failing) {
            failing = false;
            log.atInfo()
                    .addKeyValue("failed_pushes", failuresInOutage)
                    .log(
                            "Loki push to {} recovered after {} failed attempts; delivering the spooled backlog",
                            pushUrl,
                            failuresInOutage);
            failuresInOutage = 0;
        }
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        s = s.strip();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    public long sentLines() {
        return sentLines.sum();
    }

    public long sentBatches() {
        return sentBatches.sum();
    }

    public long rejectedLines() {
        return rejectedLines.sum();
    }

    public long failedPushes() {
        return failedPushes.sum();
    }

    /** Whether the last push failed (Loki unreachable or refusing). */
    public boolean failing() {
        return failing;
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(stopTimeout.toMillis() + 2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            http.close();
        } catch (Exception e) {
            // Cannot lose anything (the spool holds what was not committed), but it is not silent.
            log.debug("Closing the Loki push client: {}", describe(e));
        }
    }
}
