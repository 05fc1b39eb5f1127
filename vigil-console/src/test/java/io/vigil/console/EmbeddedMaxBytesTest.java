package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A console built by the builder lives in the heap of the process that builds it — a service's, when embedded — so its
 * default bound is the embedded one (64 MiB, at most an eighth of the heap), not the standalone console's 256 MiB.
 */
class EmbeddedMaxBytesTest {
    @Test
    void theBuildersDefaultBoundIsTheEmbeddedOneWithinAnEighthOfTheHeap() {
        long heap = Runtime.getRuntime().maxMemory();
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            assertThat(console.stats().maxBytes())
                    .isEqualTo(Math.max(1L << 20, Math.min(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES, heap / 8)))
                    .isLessThanOrEqualTo(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES);
        }
    }

    @Test
    void anEighthOfASmallHeapAtLeastOneMebibyte() {
        assertThat(VigilConsole.Builder.embeddedMaxBytes(64L << 20)).isEqualTo(8L << 20);
        assertThat(VigilConsole.Builder.embeddedMaxBytes(4L << 30)).isEqualTo(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES);
        assertThat(VigilConsole.Builder.embeddedMaxBytes(Long.MAX_VALUE))
                .isEqualTo(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES);
        assertThat(VigilConsole.Builder.embeddedMaxBytes(4L << 20)).isEqualTo(1L << 20);
    }

    @Test
    void aGivenBoundIsKept() {
        try (VigilConsole console = VigilConsole.builder()
                .httpPort(0)
                .grpcPort(-1)
                .maxBytes(VigilConsole.DEFAULT_MAX_BYTES)
                .start()) {
            assertThat(console.stats().maxBytes()).isEqualTo(VigilConsole.DEFAULT_MAX_BYTES);
        }
    }
}
