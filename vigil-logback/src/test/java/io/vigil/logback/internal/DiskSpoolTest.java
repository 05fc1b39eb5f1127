package io.vigil.logback.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void aSecondWriterOnTheSameDirectoryIsRefused() throws Exception {
        try (DiskSpool first = new DiskSpool(dir, 1 << 20)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DiskSpool(dir, 1 << 20))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("in use");
        }
        new DiskSpool(dir, 1 << 20).close(); // released on close
    }
}
