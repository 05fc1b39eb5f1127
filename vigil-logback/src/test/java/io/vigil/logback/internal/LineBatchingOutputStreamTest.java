package io.vigil.logback.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineBatchingOutputStreamTest {
    private static byte[] line(int length, char c) {
        return (String.valueOf(c).repeat(length - 1) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void linesWaitForTheFlushAndLeaveInOneWrite() throws IOException {
        RecordingOutputStream target = new RecordingOutputStream();
        LineBatchingOutputStream out = LineBatchingOutputStream.of(target);
        for (int i = 0; i < 5; i++) {
            out.write(("{\"line\":" + i + "}\n").getBytes(StandardCharsets.UTF_8));
        }
        assertThat(target.writes).isEmpty();

        out.flush();

        assertThat(target.writes)
                .containsExactly("{\"line\":0}\n{\"line\":1}\n{\"line\":2}\n{\"line\":3}\n{\"line\":4}\n");
        assertThat(target.flushes()).isEqualTo(1);
        out.flush(); // nothing buffered: no empty write
        assertThat(target.writes).hasSize(1);
    }

    @Test
    void noWriteExceedsAChunkAndNoLineIsCut() throws IOException {
        RecordingOutputStream target = new RecordingOutputStream();
        LineBatchingOutputStream out = LineBatchingOutputStream.of(target);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            byte[] line = line(300 + i * 7, (char) ('a' + i % 26));
            expected.append(new String(line, StandardCharsets.UTF_8));
            out.write(line);
        }
        out.flush();

        assertThat(String.join("", target.writes)).isEqualTo(expected.toString());
        assertThat(target.writes).hasSizeGreaterThan(1).allSatisfy(w -> {
            assertThat(w.getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(LineBatchingOutputStream.MAX_CHUNK);
            assertThat(w).endsWith("\n");
        });
    }

    @Test
    void aLineLongerThanAChunkGoesOutWholeAfterTheLinesBeforeIt() throws IOException {
        RecordingOutputStream target = new RecordingOutputStream();
        LineBatchingOutputStream out = LineBatchingOutputStream.of(target);
        out.write(line(10, 'a'));
        byte[] big = line(LineBatchingOutputStream.MAX_CHUNK * 3, 'b');
        out.write(big);
        out.write(line(10, 'c'));
        out.close();

        assertThat(target.writes)
                .containsExactly(
                        new String(line(10, 'a'), StandardCharsets.UTF_8),
                        new String(big, StandardCharsets.UTF_8),
                        new String(line(10, 'c'), StandardCharsets.UTF_8));
    }

    @Test
    void closeFlushesAndLeavesTheTargetUsable() throws IOException {
        ByteArrayOutputStream target = new ByteArrayOutputStream() {
            @Override
            public void close() {
                throw new AssertionError("standard output must not be closed");
            }
        };
        LineBatchingOutputStream out = LineBatchingOutputStream.of(target);
        out.write(line(5, 'x'));
        out.close();
        assertThat(target.toString(StandardCharsets.UTF_8)).isEqualTo("xxxx\n");
    }
}
