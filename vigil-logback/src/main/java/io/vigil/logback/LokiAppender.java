package io.vigil.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.vigil.core.Scrubber;
import io.vigil.logback.internal.DiskSpool;
import io.vigil.logback.internal.EventRenderer;
import io.vigil.logback.internal.JsonLineWriter;
import io.vigil.logback.internal.LokiShipper;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships log events to Grafana Loki without losing them while Loki is unreachable.
 *
 * <p>Each event is rendered as the same JSON line as {@link VigilJsonEncoder} (scrubbed) and
 * appended to a bounded on-disk spool; a background thread pushes batches from the spool to {@code
 * <url>/loki/api/v1/push} (protobuf + snappy, via loki4j's writer and HTTP client) and removes them
 * only once Loki has accepted them. An outage, or a restart of the service during one, loses
 * nothing up to the spool bound; past it, new lines are dropped, counted ({@link #droppedCount()},
 * metric {@code vigil_log_spool_dropped_total}) and reported by one WARN line per episode.
 *
 * <p>Stream labels are {@code service}, {@code environment}, {@code level} and the static {@link
 * #setLabels labels}; everything else stays in the line. {@link #append} writes to a local file:
 * put this appender behind a {@link VigilAsyncAppender} (as {@link VigilLogging} does) so the
 * logging thread only pays for the hand-off.
 */
public class LokiAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    /** Default spool bound: 64 MiB. */
    public static final long DEFAULT_SPOOL_MAX_BYTES =
            io.vigil.logback.internal.LoggingVariables.DEFAULT_SPOOL_MAX_BYTES;

    // Processes of one service on one host that can each have a default spool; beyond, Loki shipping is off.
    private static final int MAX_DEFAULT_SPOOLS = 64;

    private URI url = URI.create("http://localhost:3100");
    private Map<String, String> labels = new LinkedHashMap<>();
    private String service;
    private String environment;
    private String hostname;
    private Duration batchInterval = Duration.ofSeconds(60);
    private Duration timeout = Duration.ofSeconds(10);
    private Duration retryMaxBackoff = Duration.ofSeconds(30);
    private int batchMaxRecords = 10_000;
    private long batchMaxBytes = 1L << 20;
    private Path spoolDirectory;
    private long spoolMaxBytes = DEFAULT_SPOOL_MAX_BYTES;
    private Scrubber scrubber = Scrubber.defaults();

    private Logger log; // of this appender's own Logback context, so reports reach its appenders
    private EventRenderer renderer;
    private DiskSpool spool;
    private LokiShipper shipper;
    private long appendedSinceWake;
    private boolean spoolFull;
    private long droppedAtFull;
    private String startFailure;

    /** Loki base URL (default {@code http://localhost:3100}). */
    public void setUrl(String url) {
        this.url = URI.create(url);
    }

    /** Extra static stream labels as {@code k=v,k=v} ({@code LOKI_LABELS}). */
    public void setLabels(String labels) {
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String pair : labels.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                parsed.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
            }
        }
        this.labels = parsed;
    }

    /** Extra static stream labels. */
    public void setLabelMap(Map<String, String> labels) {
        this.labels = new LinkedHashMap<>(labels);
    }

    /** The {@code service} stream label and log field (default: the configured service name). */
    public void setService(String service) {
        this.service = service;
    }

    /** The {@code environment} stream label and log field (default: the configured environment). */
    public void setEnvironment(String environment) {
        this.environment = environment;
    }

    /** The {@code hostname} log field (default: this machine's host name); not a stream label. */
    public void setHostname(String hostname) {
        this.hostname = hostname;
    }

    /** Upper bound between pushes; a full batch goes earlier ({@code LOKI_BATCH_INTERVAL}). */
    public void setBatchIntervalMillis(long millis) {
        this.batchInterval = Duration.ofMillis(millis);
    }

    /** Connect and request timeout per push ({@code LOKI_TIMEOUT}). */
    public void setTimeoutMillis(long millis) {
        this.timeout = Duration.ofMillis(millis);
    }

    /** Longest wait between retries while Loki is unreachable (default 30 s). */
    public void setRetryMaxBackoffMillis(long millis) {
        this.retryMaxBackoff = Duration.ofMillis(millis);
    }

    /** Most log lines in one push (default 10 000); a full batch is pushed before the batch interval ends. */
    public void setBatchMaxRecords(int batchMaxRecords) {
        this.batchMaxRecords = batchMaxRecords;
    }

    /** Most bytes of log lines in one push, before compression (default 1 MiB). */
    public void setBatchMaxBytes(long batchMaxBytes) {
        this.batchMaxBytes = batchMaxBytes;
    }

    /** Where the spool lives; default {@code <java.io.tmpdir>/vigil-loki-spool/<service>}. */
    public void setSpoolDirectory(String dir) {
        this.spoolDirectory = Path.of(dir);
    }

    /** Upper bound of the spool on disk (default 64 MiB). */
    public void setSpoolMaxBytes(long spoolMaxBytes) {
        this.spoolMaxBytes = spoolMaxBytes;
    }

    /**
     * Redacts secrets and personal data in each line before it reaches the spool (default {@link Scrubber#defaults()}).
     */
    public void setScrubber(Scrubber scrubber) {
        this.scrubber = Objects.requireNonNull(scrubber);
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        log = getContext() instanceof ch.qos.logback.classic.LoggerContext lc
                ? lc.getLogger(LokiAppender.class)
                : LoggerFactory.getLogger(LokiAppender.class);
        renderer = ContractEncoder.renderer(service, environment, hostname, scrubber);
        Path dir = spoolDirectory != null
                ? spoolDirectory
                : Path.of(System.getProperty("java.io.tmpdir"), "vigil-loki-spool", safe(renderer.service()));
        try {
            spool = openSpool(dir);
        } catch (Exception e) {
            notStarted("cannot open the spool " + dir, e);
            return;
        }
        List<Map<String, String>> streams = new ArrayList<>();
        for (String level : LokiShipper.LEVELS) {
            Map<String, String> stream = new LinkedHashMap<>(labels);
            stream.put("service", renderer.service());
            stream.put("environment", renderer.environment());
            stream.put("level", level);
            streams.add(Collections.unmodifiableMap(stream));
        }
        try {
            shipper = new LokiShipper(
                    spool, url, streams, batchInterval, timeout, batchMaxRecords, batchMaxBytes, retryMaxBackoff, log);
        } catch (RuntimeException | LinkageError e) {
            // The push client's classes cannot load, e.g. a protobuf runtime older than the push messages'
            // gencode: Loki stays off, the application does not fail with it.
            try {
                spool.close();
            } catch (Exception closing) {
                e.addSuppressed(closing); // reported with the failure below; nothing was written to the spool
            }
            spool = null;
            notStarted("cannot create the Loki push client", e);
            return;
        }
        shipper.start();
        super.start();
    }

    private void notStarted(String what, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        startFailure = what + ": " + root.getClass().getSimpleName() + ": " + root.getMessage();
        addError("Loki shipping is off: " + startFailure, e);
    }

    /**
     * Why {@link #start()} left this appender stopped (the spool cannot be opened, the push client
     * cannot load), if it did; whoever installed it reports this once and logs on without Loki.
     */
    public Optional<String> startFailure() {
        return Optional.ofNullable(startFailure);
    }

    /**
     * The spool in {@code dir}; for the default directory, when another process of the same service on this host
     * (a second instance, a restart overlapping the old one) holds it, the next free {@code <dir>@2}, {@code @3}, …:
     * each process keeps its own spool and ships, and a restarted one takes over whichever spool is free, with the
     * lines a stopped instance left there. A directory set explicitly is used as given.
     */
    private DiskSpool openSpool(Path dir) throws java.io.IOException {
        if (spoolDirectory != null) {
            return new DiskSpool(dir, spoolMaxBytes);
        }
        for (int instance = 1; ; instance++) {
            Path candidate = instance == 1 ? dir : dir.resolveSibling(dir.getFileName() + "@" + instance);
            try {
                return new DiskSpool(candidate, spoolMaxBytes);
            } catch (DiskSpool.InUseException e) {
                if (instance == MAX_DEFAULT_SPOOLS) {
                    throw e;
                }
            }
        }
    }

    /**
     * A directory name for the service: characters other than {@code [A-Za-z0-9._-]} become {@code _}; a name of
     * dots only gets a leading {@code _} ({@code ..} would be the parent directory), and one too long for a file
     * name (most file systems allow 255 bytes) is cut, with a hash of the whole name so two long names stay apart.
     */
    static String safe(String name) {
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.isEmpty() || safe.chars().allMatch(c -> c == '.')) {
            safe = "_" + safe;
        }
        if (safe.length() > 100) {
            byte[] digest;
            try {
                digest = java.security.MessageDigest.getInstance("SHA-256")
                        .digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e); // every JDK has SHA-256
            }
            safe = safe.substring(0, 80) + "-" + java.util.HexFormat.of().formatHex(digest, 0, 8);
        }
        return safe;
    }

    @Override
    protected void append(ILoggingEvent event) {
        JsonLineWriter line = renderer.writeJson(event);
        Instant at = event.getInstant();
        long nanos =
                at != null ? at.getEpochSecond() * 1_000_000_000L + at.getNano() : event.getTimeStamp() * 1_000_000L;
        boolean accepted;
        String writeError = null;
        try {
            // The line without its trailing newline: Loki entries are single lines already.
            accepted = spool.append(nanos, levelByte(event.getLevel()), line.buffer(), 0, line.length() - 1);
        } catch (RuntimeException e) {
            // A full disk, typically: the spool counted the line; said once per episode, like a full spool.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            writeError =
                    cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
            accepted = false;
        }
        if (!accepted) {
            onDropped(writeError);
            return;
        }
        if (spoolFull) {
            spoolFull = false;
            long dropped = spool.droppedCount() - droppedAtFull;
            log.atInfo()
                    .addKeyValue("dropped_lines", dropped)
                    .log(
                            "Loki spool {} accepts lines again; {} lines were dropped while it was full",
                            spool.directory(),
                            dropped);
        }
        appendedSinceWake += line.length();
        if (appendedSinceWake >= batchMaxBytes) {
            appendedSinceWake = 0;
            shipper.wake();
        }
    }

    private void onDropped(String writeError) {
        if (!spoolFull) {
            spoolFull = true;
            droppedAtFull = spool.droppedCount() - 1;
            if (writeError != null) {
                log.atWarn()
                        .addKeyValue("spool_bytes", spool.sizeBytes())
                        .log(
                                "Cannot write to the Loki spool {} ({}): new log lines are not shipped to Loki (they are"
                                        + " counted in vigil_log_spool_dropped_total) until it can be written again",
                                spool.directory(),
                                writeError);
                return;
            }
            log.atWarn()
                    .addKeyValue("spool_max_bytes", spool.maxBytes())
                    .log(
                            "Loki spool {} is full ({} bytes): new log lines are not shipped to Loki (they are counted in"
                                    + " vigil_log_spool_dropped_total) until Loki accepts the backlog",
                            spool.directory(),
                            spool.maxBytes());
        }
    }

    static byte levelByte(Level level) {
        return switch (level.levelInt) {
            case Level.ERROR_INT -> 4;
            case Level.WARN_INT -> 3;
            case Level.INFO_INT -> 2;
            case Level.DEBUG_INT -> 1;
            default -> 0;
        };
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        shipper.close();
        try {
            spool.close();
        } catch (Exception e) {
            log.warn(
                    "Closing the Loki spool {} failed: {}; it is checked again at the next start",
                    spool.directory(),
                    e.toString());
        }
    }

    /** The spool directory in use, once started. */
    public Optional<Path> spoolDirectory() {
        return spool == null ? Optional.empty() : Optional.of(spool.directory());
    }

    /** The spool bound in bytes. */
    public long spoolMaxBytes() {
        return spoolMaxBytes;
    }

    /** Lines not shipped because the spool was full. */
    public long droppedCount() {
        return spool == null ? 0 : spool.droppedCount();
    }

    /** Lines Loki refused as invalid (dropped after a non-retryable answer). */
    public long rejectedCount() {
        return shipper == null ? 0 : shipper.rejectedLines();
    }

    /** Lines Loki has accepted. */
    public long sentCount() {
        return shipper == null ? 0 : shipper.sentLines();
    }

    /** Push attempts that failed and will be retried. */
    public long failedPushCount() {
        return shipper == null ? 0 : shipper.failedPushes();
    }

    /** Bytes the spool occupies on disk. */
    public long spoolBytes() {
        return spool == null ? 0 : spool.sizeBytes();
    }

    /** Bytes spooled but not yet accepted by Loki. */
    public long pendingBytes() {
        return spool == null ? 0 : spool.pendingBytes();
    }
}
