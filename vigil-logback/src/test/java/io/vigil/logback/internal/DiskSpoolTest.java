package io.vigil.logback.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSpoolTest {
    @TempDir
    Path dir;

    private static void append(DiskSpool spool, int i) {
        byte[] line = ("{\"seq\":" + i + "}").getBytes(StandardCharsets.UTF_8);
        spool.append(1_000_000_000L * i, (byte) 2, line, 0, line.length);
    }

    private static List<String> lines(DiskSpool.Batch batch) {
        return batch.records().stream().map(DiskSpool.Record::line).toList();
    }

    @Test
    void peekReturnsRecordsInOrderWithoutConsumingThem() throws Exception {
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20)) {
            for (int i = 0; i < 3; i++) {
                append(spool, i);
            }
            assertThat(lines(spool.peek(10, 1 << 20))).containsExactly("{\"seq\":0}", "{\"seq\":1}", "{\"seq\":2}");
            assertThat(lines(spool.peek(2, 1 << 20))).containsExactly("{\"seq\":0}", "{\"seq\":1}");
            assertThat(spool.peek(1, 1 << 20).records().getFirst().epochNanos()).isZero();
        }
    }

    @Test
    void committedRecordsStayConsumedAfterReopening() throws Exception {
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20)) {
            for (int i = 0; i < 5; i++) {
                append(spool, i);
            }
            spool.commit(spool.peek(2, 1 << 20));
        }
        try (DiskSpool reopened = new DiskSpool(dir, 1 << 20)) {
            append(reopened, 5);
            assertThat(lines(reopened.peek(10, 1 << 20)))
                    .containsExactly("{\"seq\":2}", "{\"seq\":3}", "{\"seq\":4}", "{\"seq\":5}");
        }
    }

    @Test
    void aTornRecordFromAKillMidWriteIsSkippedAndTheRestRead() throws Exception {
        Path segment;
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20)) {
            for (int i = 0; i < 3; i++) {
                append(spool, i);
            }
            try (var files = Files.list(dir)) {
                segment = files.filter(p -> p.toString().endsWith(".spool"))
                        .findFirst()
                        .orElseThrow();
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(f.length() - 3); // the last record lost its tail
        }
        try (DiskSpool reopened = new DiskSpool(dir, 1 << 20)) {
            append(reopened, 3);
            DiskSpool.Batch batch = reopened.peek(10, 1 << 20);
            assertThat(lines(batch)).containsExactly("{\"seq\":0}", "{\"seq\":1}", "{\"seq\":3}");
            assertThat(batch.skippedCorrupt()).isEqualTo(1);
        }
    }

    @Test
    void appendsPastTheBoundAreRefusedAndCounted() throws Exception {
        try (DiskSpool spool = new DiskSpool(dir, 4096)) {
            int accepted = 0;
            for (int i = 0; i < 1000; i++) {
                byte[] line = ("{\"seq\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                if (spool.append(i, (byte) 2, line, 0, line.length)) {
                    accepted++;
                }
            }
            assertThat(spool.sizeBytes()).isLessThanOrEqualTo(4096);
            assertThat(spool.droppedCount()).isEqualTo(1000 - accepted);
            assertThat(lines(spool.peek(10_000, 1 << 20)))
                    .hasSize(accepted)
                    .first()
                    .isEqualTo("{\"seq\":0}");
        }
    }

    @Test
    void committingFreesSpaceAcrossSegments() throws Exception {
        try (DiskSpool spool = new DiskSpool(dir, 64 * 1024)) {
            int i = 0;
            while (spool.append(i, (byte) 2, new byte[500], 0, 500)) {
                i++;
            }
            long full = spool.sizeBytes();
            DiskSpool.Batch all = spool.peek(100_000, 1 << 20);
            assertThat(all.records()).hasSize(i);
            spool.commit(all);
            assertThat(spool.sizeBytes()).isLessThan(full);
            assertThat(spool.pendingBytes()).isZero();
            assertThat(spool.append(0, (byte) 2, new byte[500], 0, 500)).isTrue();
        }
    }

    @Test
    void aSmallSpoolWhoseLinesWereDeliveredAcceptsLinesAgain() throws Exception {
        for (long bound : new long[] {4096, 8192, 16 * 1024, 40 * 1024}) {
            Path sub = dir.resolve("bound-" + bound);
            try (DiskSpool spool = new DiskSpool(sub, bound)) {
                byte[] line = new byte[200];
                for (int round = 0; round < 5; round++) {
                    int accepted = 0;
                    while (spool.append(round, (byte) 2, line, 0, line.length)) {
                        accepted++;
                    }
                    assertThat(accepted).as("bound %d, round %d", bound, round).isPositive();
                    spool.commit(spool.peek(100_000, 1 << 20)); // Loki took everything
                    assertThat(spool.pendingBytes()).isZero();
                    assertThat(spool.append(round, (byte) 2, line, 0, line.length))
                            .as("bound %d, round %d: an append after delivery", bound, round)
                            .isTrue();
                }
            }
        }
    }

    @Test
    void aDiskThatFillsUpLosesOnlyTheLinesItRefusedAndIsFreedOnceTheBacklogIsDelivered() throws Exception {
        long[] room = {3000}; // bytes the disk still takes; a write past it is cut short, then fails
        DiskSpool.SegmentOpener fillingDisk = path -> new FillingChannel(
                FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                room);
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, fillingDisk)) {
            List<String> accepted = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < 100; i++) {
                byte[] line =
                        ("{\"seq\":" + i + ",\"pad\":\"" + "x".repeat(80) + "\"}").getBytes(StandardCharsets.UTF_8);
                if (i == 60) {
                    room[0] = Long.MAX_VALUE; // space freed elsewhere on the disk
                }
                try {
                    assertThat(spool.append(i, (byte) 2, line, 0, line.length)).isTrue();
                    accepted.add(new String(line, StandardCharsets.UTF_8));
                } catch (java.io.UncheckedIOException e) {
                    refused++;
                }
            }
            assertThat(refused).isPositive();
            assertThat(spool.droppedCount()).isEqualTo(refused);
            // Every accepted line is read, in order: nothing stalls behind what the failed write left.
            DiskSpool.Batch all = spool.peek(100_000, 1 << 20);
            assertThat(lines(all)).containsExactlyElementsOf(accepted);
            spool.commit(all);
            // The segment written before the disk filled up is gone once delivered.
            try (var files = Files.list(dir)) {
                assertThat(files.filter(p -> p.toString().endsWith(".spool"))).hasSize(1);
            }
        }
    }

    @Test
    void aDeliveredSegmentIsFreedWhenTheWriterMovedPastItWithoutWritingMore() throws Exception {
        long[] room = {Long.MAX_VALUE};
        DiskSpool.SegmentOpener fillingDisk = path -> new FillingChannel(
                FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                room);
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, fillingDisk)) {
            for (int i = 0; i < 10; i++) {
                append(spool, i);
            }
            spool.commit(spool.peek(100, 1 << 20)); // all delivered
            room[0] = 0; // the disk is full: the next appends fail, the writer moves to a new segment
            for (int i = 0; i < 3; i++) {
                try {
                    append(spool, 100 + i);
                } catch (java.io.UncheckedIOException expected) {
                    // counted
                }
            }
            DiskSpool.Batch none = spool.peek(100, 1 << 20);
            assertThat(none.isEmpty()).isTrue();
            assertThat(none.passedSegments()).isTrue();
            spool.commit(none);
            assertThat(spool.sizeBytes()).isZero();
        }
    }

    /** A segment channel on a disk with {@code room[0]} bytes left: a longer write is cut short, then fails. */
    private static final class FillingChannel extends FileChannel {
        private final FileChannel delegate;
        private final long[] room;

        FillingChannel(FileChannel delegate, long[] room) {
            this.delegate = delegate;
            this.room = room;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long written = 0;
            for (int i = offset; i < offset + length; i++) {
                ByteBuffer src = srcs[i];
                while (src.hasRemaining()) {
                    if (room[0] <= 0) {
                        if (written > 0) {
                            return written; // a short write, as write(2) does when the disk fills up
                        }
                        throw new IOException("No space left on device");
                    }
                    ByteBuffer part = src.duplicate();
                    part.limit(part.position() + (int) Math.min(part.remaining(), room[0]));
                    int n = delegate.write(part);
                    src.position(src.position() + n);
                    room[0] -= n;
                    written += n;
                }
            }
            return written;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) write(new ByteBuffer[] {src}, 0, 1);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return delegate.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return delegate.read(dsts, offset, length);
        }

        @Override
        public long position() throws IOException {
            return delegate.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            delegate.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return delegate.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            delegate.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            delegate.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return delegate.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return delegate.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return delegate.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return delegate.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return delegate.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return delegate.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return delegate.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            delegate.close();
        }
    }

    @Test
    void aSecondWriterOnTheSameDirectoryIsRefused() throws Exception {
        try (DiskSpool first = new DiskSpool(dir, 1 << 20)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DiskSpool(dir, 1 << 20))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("in use");
        }
        new DiskSpool(dir, 1 << 20).close(); // released on close
    }
}
