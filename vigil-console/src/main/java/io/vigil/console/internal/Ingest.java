package io.vigil.console.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decouples receivers from storage: a receiver parses and validates a request on its own thread, then hands it over
 * without waiting; one ingest thread persists and stores batches in order. The hand-over queue is bounded by bytes;
 * when it is full the request is refused at once (the receiver answers with OTLP's retryable status) and counted.
 */
public final class Ingest implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Ingest.class);

    /**
     * A request to store — an OTLP {@link Message} from a receiver, or the SDK's own data from an in-process exporter
     * ({@link DirectBatch}) — or (with a latch) a marker that everything queued before it is stored.
     */
    private record Batch(Signal signal, Object request, int size, CountDownLatch marker) {}

    private static final Batch STOP = new Batch(Signal.TRACES, null, 0, null);

    private final BiConsumer<Signal, Message> store;
    private final Consumer<DirectBatch> direct;
    private final DiskLog disk;
    private final long maxQueuedBytes;
    private final LinkedBlockingQueue<Batch> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong acceptedRequests = new AtomicLong();
    private final AtomicLong droppedRequests = new AtomicLong();
    private final AtomicLong droppedBytes = new AtomicLong();
    private final AtomicLong storedRequests = new AtomicLong();
    private final Thread worker;
    private volatile boolean diskFailed;

    /**
     * @param store where parsed requests go, on the ingest thread ({@code Store::ingest})
     * @param dataDir where to persist requests, replayed into {@code store} now; null = memory only
     */
    public Ingest(BiConsumer<Signal, Message> store, Path dataDir, long maxBytes, long maxQueuedBytes)
            throws IOException {
        this(
                store,
                batch -> {
                    throw new IllegalStateException("no store for in-process batches");
                },
                dataDir,
                maxBytes,
                maxQueuedBytes);
    }

    /**
     * @param store where parsed requests go, on the ingest thread ({@code Store::ingest})
     * @param direct where in-process batches go, on the ingest thread ({@code Store::ingest})
     * @param dataDir where to persist requests, replayed into {@code store} now; null = memory only
     */
    public Ingest(
            BiConsumer<Signal, Message> store,
            Consumer<DirectBatch> direct,
            Path dataDir,
            long maxBytes,
            long maxQueuedBytes)
            throws IOException {
        this.store = store;
        this.direct = direct;
        this.maxQueuedBytes = maxQueuedBytes;
        if (dataDir != null) {
            disk = new DiskLog(dataDir, maxBytes);
            disk.replay((signal, payload) -> {
                try {
                    store.accept(signal, parse(signal, payload));
                } catch (InvalidProtocolBufferException e) {
                    log.warn("Skipping an unreadable persisted {} batch: {}", signal, e.getMessage());
                }
            });
        } else {
            disk = null;
        }
        worker = Thread.ofPlatform().name("vigil-console-ingest").daemon().unstarted(this::run);
        worker.start();
    }

    /** Parses an OTLP protobuf export request of the given signal. */
    public static Message parse(Signal signal, byte[] payload) throws InvalidProtocolBufferException {
        return switch (signal) {
            case TRACES -> ExportTraceServiceRequest.parseFrom(payload);
            case LOGS -> ExportLogsServiceRequest.parseFrom(payload);
            case METRICS -> ExportMetricsServiceRequest.parseFrom(payload);
        };
    }

    /** Hands a parsed request over; false (and counted as a drop) when the queue is full. Never blocks. */
    public boolean offer(Signal signal, Message request) {
        return offer(signal, request, request.getSerializedSize());
    }

    /**
     * Hands a batch of SDK data over (an in-process exporter's); {@code size} is its estimated size in bytes. False
     * (and counted as a drop) when the queue is full. Never blocks.
     */
    public boolean offer(Signal signal, DirectBatch batch, int size) {
        return offer(signal, (Object) batch, size);
    }

    private boolean offer(Signal signal, Object request, int size) {
        long after = queuedBytes.addAndGet(size);
        if (after > maxQueuedBytes && after != size) {
            queuedBytes.addAndGet(-size);
            droppedRequests.incrementAndGet();
            droppedBytes.addAndGet(size);
            return false;
        }
        acceptedRequests.incrementAndGet();
        queue.add(new Batch(signal, request, size, null));
        return true;
    }

    /** Waits until every request accepted before this call is stored; false on timeout. */
    public boolean flush(Duration timeout) throws InterruptedException {
        CountDownLatch marker = new CountDownLatch(1);
        queue.add(new Batch(Signal.TRACES, null, 0, marker));
        return marker.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void run() {
        while (true) {
            Batch b;
            try {
                b = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (b == STOP) {
                return;
            }
            if (b.marker() != null) {
                b.marker().countDown();
                continue;
            }
            try {
                persist(b);
                if (b.request() instanceof DirectBatch d) {
                    direct.accept(d);
                } else {
                    store.accept(b.signal(), (Message) b.request());
                }
                storedRequests.incrementAndGet();
            } catch (RuntimeException e) {
                log.warn("Could not store a {} batch: {}", b.signal(), e.toString());
            } finally {
                queuedBytes.addAndGet(-b.size());
            }
        }
    }

    private void persist(Batch b) {
        if (disk == null || diskFailed) {
            return;
        }
        try {
            byte[] payload = b.request() instanceof Message m ? m.toByteArray() : ((DirectBatch) b.request()).toOtlp();
            disk.append(b.signal(), payload);
        } catch (IOException e) {
            // A full or broken disk must not stop the viewer: it carries on in memory only.
            diskFailed = true;
            log.warn("Persistence disabled after a write failure: {}", e.toString());
        }
    }

    public long acceptedRequests() {
        return acceptedRequests.get();
    }

    public long storedRequests() {
        return storedRequests.get();
    }

    public long droppedRequests() {
        return droppedRequests.get();
    }

    public long droppedBytes() {
        return droppedBytes.get();
    }

    public long queuedBytes() {
        return queuedBytes.get();
    }

    public long diskBytes() {
        return disk == null ? 0 : disk.totalBytes();
    }

    @Override
    public void close() {
        queue.add(STOP);
        try {
            worker.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (disk != null) {
            try {
                disk.close();
            } catch (IOException e) {
                log.warn("Closing the data directory: {}", e.toString());
            }
        }
    }
}
