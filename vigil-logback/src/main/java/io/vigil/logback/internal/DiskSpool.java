package io.vigil.logback.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A bounded, append-only, on-disk queue of log lines that survives a restart of the process.
 *
 * <p>Records live in numbered segment files ({@code segment-<n>.spool}), each record framed as
 * {@code [int length][int crc32c][long epochNanos][byte level][line bytes]}. One writer thread
 * appends; one reader thread {@link #peek peeks} a batch and {@link #commit commits} it once Loki
 * has accepted it. The read position is kept in {@code cursor} (replaced atomically), so after a
 * restart reading resumes exactly after the last accepted batch, and segments wholly behind it
 * are deleted.
 *
 * <p>Each record is written to the file as it is appended (no user-space buffer), so a crash or
 * kill of the process loses nothing that was appended; only a crash of the machine can lose what
 * the OS had not yet written. A torn record at the end of a segment (a kill mid-write) fails its
 * length or checksum test and the reader moves on to the next segment.
 *
 * <p>The bound counts every segment file on disk. An append that would exceed it is refused and
 * counted: the oldest lines are kept, so what was written before the bound is delivered in order.
 */
public final class DiskSpool implements Closeable {
    private static final String PREFIX = "segment-";
    private static final String SUFFIX = ".spool";
    private static final int HEADER = 8; // length + crc
    private static final int FIXED = 9; // epochNanos + level

    /** One spooled line. */
    public record Record(long epochNanos, byte level, String line) {}

    /**
     * A batch read from the cursor onward; {@link #commit} it once delivered. {@code passedSegments}: the
     * batch ends in a later segment than the cursor, so committing it frees the segments before, also
     * when it holds no record.
     */
    public record Batch(
            List<Record> records,
            long endSegment,
            long endOffset,
            long bytes,
            int skippedCorrupt,
            boolean passedSegments) {
        public boolean isEmpty() {
            return records.isEmpty();
        }
    }

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final Object lock = new Object();
    // segment number -> size on disk, guarded by lock
    private final TreeMap<Long, Long> segments = new TreeMap<>();
    private final LongAdder dropped = new LongAdder();
    private final AtomicLong totalBytes = new AtomicLong();
    private final ByteBuffer header = ByteBuffer.allocate(HEADER + FIXED);
    private final CRC32C crc = new CRC32C();

    private final SegmentOpener opener;
    private final FileChannel lockChannel;
    private java.nio.channels.FileLock fileLock;

    // writer side
    private FileChannel active;
    private long activeSegment;
    private volatile long activeEnd;
    private boolean rollPending; // a write failed: the next append starts a new segment

    // reader side
    private long cursorSegment;
    private long cursorOffset;
    private FileChannel readChannel;
    private long readChannelSegment = -1;
    private final ByteBuffer readHeader = ByteBuffer.allocate(HEADER);

    /**
     * Opens (or creates) the spool in {@code dir}.
     *
     * @param maxBytes upper bound for all segment files together
     */
    public DiskSpool(Path dir, long maxBytes) throws IOException {
        this(
                dir,
                maxBytes,
                path -> FileChannel.open(
                        path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    }

    /** The spool directory is held by another process or appender (one writer per spool). */
    public static final class InUseException extends IOException {
        private static final long serialVersionUID = 1L;

        InUseException(String message) {
            super(message);
        }
    }

    /** How a segment is opened for appending; tests stand in a disk that fills up. */
    interface SegmentOpener {
        FileChannel open(Path segment) throws IOException;
    }

    DiskSpool(Path dir, long maxBytes, SegmentOpener opener) throws IOException {
        this.opener = opener;
        if (maxBytes < 4096) {
            throw new IllegalArgumentException("spool bound must be at least 4096 bytes: " + maxBytes);
        }
        this.dir = dir;
        this.maxBytes = maxBytes;
        // Space is freed a whole segment at a time, and the segment being written is never freed: a segment
        // must be a fraction of the bound, or a spool whose lines were all delivered stays full for good.
        this.segmentBytes = Math.min(maxBytes / 4, Math.max(16 * 1024, Math.min(8L << 20, maxBytes / 8)));
        Files.createDirectories(dir);
        // One process per spool: two writers would interleave segments and race on the cursor.
        lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            fileLock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            fileLock = null;
        }
        if (fileLock == null) {
            lockChannel.close();
            throw new InUseException("spool directory " + dir + " is in use by another process or appender");
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
                    try {
                        long n = Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
                        segments.put(n, Files.size(p));
                    } catch (NumberFormatException ignored) {
                        // not ours
                    }
                }
            }
        }
        readCursor();
        // Segments wholly behind the cursor were delivered before a restart.
        for (Long n : List.copyOf(segments.headMap(cursorSegment).keySet())) {
            Files.deleteIfExists(segmentPath(n));
            segments.remove(n);
        }
        if (!segments.isEmpty() && segments.firstKey() > cursorSegment) {
            cursorSegment = segments.firstKey();
            cursorOffset = 0;
        }
        long total = 0;
        for (long size : segments.values()) {
            total += size;
        }
        totalBytes.set(total);
        // Always append to a fresh segment: the last one may end in a torn record.
        activeSegment = segments.isEmpty() ? Math.max(cursorSegment, 1) : segments.lastKey() + 1;
        if (segments.isEmpty()) {
            cursorSegment = activeSegment;
            cursorOffset = 0;
        }
        openActive();
    }

    private void readCursor() throws IOException {
        Path p = dir.resolve("cursor");
        if (!Files.exists(p)) {
            cursorSegment = segments.isEmpty() ? 1 : segments.firstKey();
            cursorOffset = 0;
            return;
        }
        String[] parts = Files.readString(p, StandardCharsets.US_ASCII).trim().split(" ");
        try {
            cursorSegment = Long.parseLong(parts[0]);
            cursorOffset = Long.parseLong(parts[1]);
        } catch (RuntimeException e) {
            cursorSegment = segments.isEmpty() ? 1 : segments.firstKey();
            cursorOffset = 0;
        }
    }

    private void writeCursor() throws IOException {
        Path tmp = dir.resolve("cursor.tmp");
        Files.writeString(tmp, cursorSegment + " " + cursorOffset + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, dir.resolve("cursor"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Path segmentPath(long n) {
        return dir.resolve(String.format("%s%020d%s", PREFIX, n, SUFFIX));
    }

    private void openActive() throws IOException {
        active = opener.open(segmentPath(activeSegment));
        long size = active.size();
        synchronized (lock) {
            segments.put(activeSegment, size);
        }
        activeEnd = size;
    }

    /**
     * Appends one line (writer thread only).
     *
     * @return {@code false} if the bound would be exceeded: the line is dropped and counted
     */
    public boolean append(long epochNanos, byte level, byte[] line, int off, int len) {
        int frame = HEADER + FIXED + len;
        if (totalBytes.get() + frame > maxBytes) {
            dropped.increment();
            return false;
        }
        try {
            // A closed channel: a roll failed to open the next segment, so it is tried again.
            if (!active.isOpen() || activeEnd > 0 && (rollPending || activeEnd + frame > segmentBytes)) {
                roll();
                rollPending = false;
            }
            header.clear();
            header.putInt(FIXED + len);
            header.putInt(0); // crc, filled below
            header.putLong(epochNanos);
            header.put(level);
            crc.reset();
            crc.update(header.array(), HEADER, FIXED);
            crc.update(line, off, len);
            header.putInt(4, (int) crc.getValue());
            header.flip();
            ByteBuffer body = ByteBuffer.wrap(line, off, len);
            ByteBuffer[] both = {header, body};
            while (header.hasRemaining() || body.hasRemaining()) {
                active.write(both);
            }
            long end = activeEnd + frame;
            synchronized (lock) {
                segments.put(activeSegment, end);
            }
            totalBytes.addAndGet(frame);
            activeEnd = end; // published last: the reader reads up to here
            return true;
        } catch (IOException e) {
            dropped.increment();
            writeFailed();
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A write failed (the disk is full): cut what it wrote of its record, or the next record would land
     * after a torn one that stalls the reader, and start a new segment at the next append, so the lines
     * of this one can be freed once they are delivered — on a full disk, that is what frees space.
     */
    private void writeFailed() {
        try {
            if (active.isOpen()) {
                active.truncate(activeEnd);
            }
        } catch (IOException ignored) {
            // the reader skips a torn tail once this segment is no longer the one being written
        }
        rollPending = activeEnd > 0; // an empty segment has nothing to free
    }

    private void roll() throws IOException {
        active.close();
        synchronized (lock) {
            activeSegment++;
        }
        activeEnd = 0;
        openActive();
    }

    /**
     * Reads up to {@code maxRecords} records / about {@code maxBytes} line bytes from the cursor on,
     * without consuming them (reader thread only).
     */
    public Batch peek(int maxRecords, long maxBytes) throws IOException {
        List<Record> out = new ArrayList<>();
        long seg = cursorSegment;
        long off = cursorOffset;
        long bytes = 0;
        int corrupt = 0;
        while (out.size() < maxRecords && bytes < maxBytes) {
            long activeSeg;
            long end;
            Long next;
            synchronized (lock) {
                activeSeg = activeSegment;
                end = seg == activeSeg ? activeEnd : segments.getOrDefault(seg, 0L);
                next = segments.higherKey(seg);
            }
            if (off >= end) {
                if (seg == activeSeg || next == null) {
                    break; // caught up with the writer
                }
                seg = next;
                off = 0;
                continue;
            }
            FileChannel ch = readChannel(seg);
            readHeader.clear();
            if (!readFully(ch, readHeader, off) || !validLength(readHeader.getInt(0), end - off - HEADER)) {
                if (seg == activeSeg) {
                    break; // cannot happen: the writer publishes only whole records
                }
                corrupt++; // torn tail from a kill mid-write: skip the rest of this segment
                off = end;
                continue;
            }
            int length = readHeader.getInt(0);
            int expectedCrc = readHeader.getInt(4);
            ByteBuffer payload = ByteBuffer.allocate(length);
            if (!readFully(ch, payload, off + HEADER) || !crcMatches(payload.array(), expectedCrc)) {
                corrupt++;
                off = seg == activeSeg ? off : end;
                if (seg == activeSeg) {
                    break;
                }
                continue;
            }
            long nanos = payload.getLong(0);
            byte level = payload.get(8);
            String line = new String(payload.array(), FIXED, length - FIXED, StandardCharsets.UTF_8);
            out.add(new Record(nanos, level, line));
            bytes += length - FIXED;
            off += HEADER + length;
        }
        return new Batch(out, seg, off, bytes, corrupt, seg != cursorSegment);
    }

    private static boolean validLength(int length, long available) {
        return length >= FIXED && length <= available;
    }

    private boolean crcMatches(byte[] payload, int expected) {
        CRC32C c = new CRC32C();
        c.update(payload, 0, payload.length);
        return (int) c.getValue() == expected;
    }

    private FileChannel readChannel(long seg) throws IOException {
        if (readChannelSegment != seg) {
            if (readChannel != null) {
                readChannel.close();
            }
            readChannel = FileChannel.open(segmentPath(seg), StandardOpenOption.READ);
            readChannelSegment = seg;
        }
        return readChannel;
    }

    private static boolean readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                return false;
            }
            pos += n;
        }
        return true;
    }

    /** Consumes {@code batch}: moves the cursor past it, persists it, deletes finished segments. */
    public void commit(Batch batch) throws IOException {
        synchronized (lock) {
            cursorSegment = batch.endSegment();
            cursorOffset = batch.endOffset();
        }
        // Finished segments go before the cursor is written: on a full disk the cursor needs the space they
        // free, and a cursor left naming a deleted segment is moved to the first one left when reopened.
        List<Long> finished;
        synchronized (lock) {
            finished = List.copyOf(segments.headMap(cursorSegment).keySet());
        }
        for (Long n : finished) {
            if (readChannelSegment == n && readChannel != null) {
                readChannel.close();
                readChannel = null;
                readChannelSegment = -1;
            }
            Files.deleteIfExists(segmentPath(n));
            long size;
            synchronized (lock) {
                size = segments.remove(n);
            }
            totalBytes.addAndGet(-size);
        }
        writeCursor();
    }

    /** Bytes (framing included) appended but not yet committed. */
    public long pendingBytes() {
        synchronized (lock) {
            long sum = 0;
            for (long size : segments.tailMap(cursorSegment, true).values()) {
                sum += size;
            }
            return Math.max(0, sum - cursorOffset);
        }
    }

    /** Bytes of all segment files. */
    public long sizeBytes() {
        return totalBytes.get();
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Lines refused because the bound was reached (or the disk failed). */
    public long droppedCount() {
        return dropped.sum();
    }

    public Path directory() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        if (active != null) {
            active.close();
        }
        if (readChannel != null) {
            readChannel.close();
        }
        lockChannel.close(); // releases the lock
    }
}
