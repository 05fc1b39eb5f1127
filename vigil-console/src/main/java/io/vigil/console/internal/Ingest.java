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
    private record Batch(Signal signal, Object request, long size, CountDownLatch marker) {}

    private static final Batch STOP = new Batch(Signal.TRACES, null, 0, null);

    private final BiConsumer<Signal, Message> store;
    private final Consumer<DirectBatch> direct;
    private final DiskLog disk;
    private final long maxQueuedBytes;
    private final long maxDecodedBytes;
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
        this.maxDecodedBytes = maxDecodedBytes(maxBytes);
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

    /**
     * The most heap one receiver's request may take decoded ({@link DecodedSize}'s estimate) in any console: eight
     * times the largest body, so a batch of ordinary spans, logs or points of any permitted size fits, while a body of
     * millions of empty elements (two bytes each on the wire, a hundred and more bytes each decoded) is refused before
     * decoding. A console with a smaller byte bound takes less: {@link #maxDecodedBytes(long)}.
     */
    public static final long MAX_DECODED_BYTES = 128L * 1024 * 1024;

    /**
     * The most one request may take decoded in a console bounded to {@code maxBytes} ({@code --max-bytes}, {@code
     * VIGIL_CONSOLE_MAX_BYTES}): half of it, at most {@link #MAX_DECODED_BYTES} — the default bound (256 MiB) keeps
     * 128 MiB. Fixed at 128 MiB, a console (or the service embedding it) told to hold 16 MiB still decoded a request to
     * 128 MiB of heap; scaled, the heap a request takes follows the bound the operator chose, and a batch too large for
     * it is refused (not retryable: the sender must send smaller batches).
     */
    public static long maxDecodedBytes(long maxBytes) {
        return Math.min(MAX_DECODED_BYTES, Math.max(1, maxBytes / 2));
    }

    /** This console's {@link #maxDecodedBytes(long)}. */
    public long maxDecodedBytes() {
        return maxDecodedBytes;
    }

    /** Why {@link #decode} refused a request. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean retryable;

        Refused(boolean retryable, String message) {
            super(message, null, false, false);
            this.retryable = retryable;
        }

        /** True when the queue was full (retry later); false when the request itself decodes too large. */
        public boolean retryable() {
            return retryable;
        }
    }

    /** A decoded request that holds its room in the queue: {@link #offer(Decoded)} hands it over. */
    public record Decoded(Signal signal, Message request, long size) {}

    /**
     * Decodes a receiver's request within the queue's bound. Its decoded size is estimated from its bytes first and
     * reserved in the queue before it is decoded, so the requests being decoded at once and those waiting to be stored
     * hold together at most the queue's bound (or one request, when the queue is empty), whatever their bodies hold.
     *
     * @param decoder the parse (protobuf or OTLP/JSON)
     * @param estimate its decoded size ({@link DecodedSize})
     */
    public Decoded decode(Signal signal, long estimate, Decoder decoder)
            throws InvalidProtocolBufferException, Refused {
        if (estimate > maxDecodedBytes) {
            droppedRequests.incrementAndGet();
            throw new Refused(
                    false,
                    "Request decodes to about " + mib(estimate) + ", over the " + mib(maxDecodedBytes)
                            + " one request may take in this console (too many small elements, or a batch too large"
                            + " for its byte bound)");
        }
        if (!reserve(estimate)) {
            throw new Refused(true, "vigil-console ingest queue is full; retry later");
        }
        try {
            return new Decoded(signal, decoder.decode(), estimate);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            queuedBytes.addAndGet(-estimate);
            throw e;
        }
    }

    private static String mib(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }

    /** A parse of a request's bytes. */
    @FunctionalInterface
    public interface Decoder {
        Message decode() throws InvalidProtocolBufferException;
    }

    /** {@link #decode} with the protobuf parse: the request as an OTLP/gRPC or OTLP/HTTP protobuf body. */
    public Decoded decode(Signal signal, byte[] payload) throws InvalidProtocolBufferException, Refused {
        return decode(signal, DecodedSize.protobuf(signal, payload), () -> parse(signal, payload));
    }

    /** Hands a decoded request over, into the room {@link #decode} reserved for it. Never blocks. */
    public void offer(Decoded decoded) {
        acceptedRequests.incrementAndGet();
        queue.add(new Batch(decoded.signal(), decoded.request(), decoded.size(), null));
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
        if (!reserve(size)) {
            return false;
        }
        acceptedRequests.incrementAndGet();
        queue.add(new Batch(signal, request, size, null));
        return true;
    }

    /** Room for {@code size} bytes in the queue; false (and counted as a drop) when it is full. */
    private boolean reserve(long size) {
        long after = queuedBytes.addAndGet(size);
        if (after > maxQueuedBytes && after != size) {
            queuedBytes.addAndGet(-size);
            droppedRequests.incrementAndGet();
            droppedBytes.addAndGet(size);
            return false;
        }
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
