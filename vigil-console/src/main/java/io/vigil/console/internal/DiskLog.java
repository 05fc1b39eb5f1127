package io.vigil.console.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On-disk persistence: every accepted export request is appended, as OTLP protobuf, to segment files in the data
 * directory; at start-up they are replayed through the normal ingest path, so the store comes back as it was. The
 * directory is bounded by the same byte budget as the store (protobuf is more compact than the decoded records, so
 * the disk always covers what memory can hold): whole oldest segments are deleted first.
 *
 * <p>Record layout: signal tag (1 byte), payload length (4 bytes), payload, CRC-32 of the payload (4 bytes). A torn
 * or corrupt record ends the replay of its segment and is reported, never fatal.
 */
final class DiskLog implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(DiskLog.class);
    private static final String PREFIX = "segment-";
    private static final String SUFFIX = ".otlp";

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final Deque<Path> segments = new ArrayDeque<>();
    private long totalBytes;
    private long nextIndex;
    private Path current;
    private DataOutputStream out;
    private long currentBytes;
    private final FileChannel lockChannel;
    private FileLock lock;

    DiskLog(Path dir, long maxBytes) throws IOException {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = Math.max(64 * 1024, maxBytes / 8);
        Files.createDirectories(dir);
        // Two consoles appending to one directory would interleave records: the second is refused.
        lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("data directory " + dir + " is in use by another console");
        }
        List<Path> existing = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.getFileName().toString().startsWith(PREFIX)
                            && p.getFileName().toString().endsWith(SUFFIX))
                    .sorted()
                    .forEach(existing::add);
        }
        for (Path p : existing) {
            segments.addLast(p);
            totalBytes += Files.size(p);
            nextIndex = Math.max(nextIndex, index(p) + 1);
        }
    }

    private static long index(Path p) {
        String name = p.getFileName().toString();
        try {
            return Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Replays every stored record, oldest first. */
    void replay(BiConsumer<Signal, byte[]> consumer) {
        for (Path p : List.copyOf(segments)) {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(p)))) {
                while (true) {
                    int tag = in.read();
                    if (tag < 0) {
                        break;
                    }
                    Signal signal = Signal.ofCode(tag);
                    int length = in.readInt();
                    if (signal == null || length < 0 || length > 64 * 1024 * 1024) {
                        log.warn("Corrupt record in {}; the rest of this segment is skipped", p);
                        break;
                    }
                    byte[] payload = in.readNBytes(length);
                    if (payload.length < length) {
                        throw new EOFException();
                    }
                    int crc = in.readInt();
                    if (crc != crc(payload)) {
                        log.warn("Checksum mismatch in {}; the rest of this segment is skipped", p);
                        break;
                    }
                    consumer.accept(signal, payload);
                }
            } catch (EOFException e) {
                log.warn("Segment {} ends in a partial record (interrupted write); it is ignored", p);
            } catch (IOException e) {
                log.warn("Cannot read segment {}: {}", p, e.toString());
            }
        }
    }

    void append(Signal signal, byte[] payload) throws IOException {
        if (out == null || currentBytes >= segmentBytes) {
            roll();
        }
        out.writeByte(signal.code);
        out.writeInt(payload.length);
        out.write(payload);
        out.writeInt(crc(payload));
        // Flushed per batch: a killed process loses at most the batch being written.
        out.flush();
        long n = 9L + payload.length;
        currentBytes += n;
        totalBytes += n;
        while (totalBytes > maxBytes && segments.size() > 1) {
            Path oldest = segments.pollFirst();
            totalBytes -= Files.size(oldest);
            Files.deleteIfExists(oldest);
        }
    }

    private void roll() throws IOException {
        if (out != null) {
            out.close();
        }
        current = dir.resolve(String.format("%s%012d%s", PREFIX, nextIndex++, SUFFIX));
        OutputStream os = Files.newOutputStream(current);
        out = new DataOutputStream(new BufferedOutputStream(os, 64 * 1024));
        segments.addLast(current);
        currentBytes = 0;
    }

    long totalBytes() {
        return totalBytes;
    }

    private static int crc(byte[] payload) {
        CRC32 crc = new CRC32();
        crc.update(payload);
        return (int) crc.getValue();
    }

    @Override
    public void close() throws IOException {
        try {
            if (out != null) {
                out.close();
                out = null;
            }
        } finally {
            if (lock != null) {
                lock.release();
                lock = null;
            }
            lockChannel.close();
        }
    }
}
