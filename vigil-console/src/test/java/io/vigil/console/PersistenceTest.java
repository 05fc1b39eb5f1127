package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a data directory, what was received survives a restart; the directory stays within the byte bound. */
class PersistenceTest {
    @TempDir
    Path dir;

    private static void post(VigilConsole console, String service, String traceId) {
        assertThat(ApiClient.post(
                                console.httpEndpoint() + "/v1/traces",
                                "application/x-protobuf",
                                OtlpHttpReceiverTest.protobufTrace(service, traceId, "persisted")
                                        .toByteArray(),
                                null)
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void tracesSurviveARestart() {
        try (VigilConsole first =
                VigilConsole.builder().httpPort(0).grpcPort(-1).dataDir(dir).start()) {
            post(first, "persist-service", "4bf92f3577b34da6a3ce929d0e0e4736");
            await().until(() -> first.stats().spans() == 1);
        }

        try (VigilConsole second =
                VigilConsole.builder().httpPort(0).grpcPort(-1).dataDir(dir).start()) {
            assertThat(second.stats().spans()).isEqualTo(1);
            ApiClient api = new ApiClient(second);
            assertThat(api.get("/api/traces/4bf92f3577b34da6a3ce929d0e0e4736")
                            .get("spans")
                            .get(0)
                            .get("service")
                            .asText())
                    .isEqualTo("persist-service");
            // And new data is appended after what was replayed.
            post(second, "persist-service", "0af7651916cd43dd8448eb211c80319c");
            await().until(() -> second.stats().spans() == 2);
        }
    }

    @Test
    void aTruncatedLastRecordIsIgnoredAndTheRestIsKept() throws IOException {
        try (VigilConsole first =
                VigilConsole.builder().httpPort(0).grpcPort(-1).dataDir(dir).start()) {
            post(first, "a", "4bf92f3577b34da6a3ce929d0e0e4736");
            post(first, "b", "0af7651916cd43dd8448eb211c80319c");
            await().until(() -> first.stats().spans() == 2);
        }
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(p -> p.getFileName().toString().endsWith(".otlp"))
                    .findFirst()
                    .orElseThrow();
        }
        byte[] content = Files.readAllBytes(segment);
        Files.write(segment, java.util.Arrays.copyOf(content, content.length - 5)); // a torn write

        try (VigilConsole second =
                VigilConsole.builder().httpPort(0).grpcPort(-1).dataDir(dir).start()) {
            assertThat(second.stats().spans()).isEqualTo(1);
        }
    }

    @Test
    void theDataDirectoryStaysWithinTheByteBound() throws IOException {
        long max = 1024 * 1024;
        try (VigilConsole console = VigilConsole.builder()
                .httpPort(0)
                .grpcPort(-1)
                .dataDir(dir)
                .maxBytes(max)
                .start()) {
            for (long b = 0; b < 150; b++) {
                byte[] body = io.vigil.console.internal.StoreTestAccess.spans(b);
                assertThat(ApiClient.post(console.httpEndpoint() + "/v1/traces", "application/x-protobuf", body, null)
                                .statusCode())
                        .isIn(200, 503);
            }
            await().until(() ->
                    console.stats().acceptedRequests() == console.stats().acceptedRequests()); // settle
            await().until(() -> console.stats().spans() > 0 && console.stats().diskBytes() > 0);
        }
        long size;
        try (Stream<Path> files = Files.list(dir)) {
            size = files.mapToLong(p -> p.toFile().length()).sum();
        }
        // At most the bound plus the segment being written (an eighth of the bound, at least 64 KiB).
        assertThat(size).isLessThanOrEqualTo(max + max / 8 + 64 * 1024);
    }

    @Test
    void aSecondConsoleOnTheSameDataDirectoryIsRefused() {
        try (VigilConsole first =
                VigilConsole.builder().httpPort(0).grpcPort(-1).dataDir(dir).start()) {
            assertThat(first.stats().spans()).isZero();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> VigilConsole.builder()
                            .httpPort(0)
                            .grpcPort(-1)
                            .dataDir(dir)
                            .start())
                    .hasMessageContaining("in use by another console");
        }
    }
}
