package io.vigil.profiling.internal;

import io.pyroscope.javaagent.Snapshot;
import io.pyroscope.javaagent.api.Exporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.stream.Stream;

/**
 * Writes each profile as a JFR file ({@code <app>-<UTC end time>.jfr}) into a directory, for local
 * use without a Pyroscope server: open them in JDK Mission Control, IntelliJ IDEA, or with {@code
 * jfr print --events jdk.ExecutionSample}. At most {@code maxFiles} are kept (oldest deleted), so
 * the disk use is bounded.
 */
final class JfrDirectoryExporter implements Exporter {
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Path directory;
    private final String prefix;
    private final int maxFiles;
    private final UploadHealth health;
    private final Deque<Path> written = new ArrayDeque<>();

    JfrDirectoryExporter(Path directory, String applicationName, int maxFiles, UploadHealth health) throws IOException {
        this.directory = Files.createDirectories(directory);
        this.prefix = applicationName.replaceAll("[^A-Za-z0-9._-]", "_") + "-";
        this.maxFiles = maxFiles;
        this.health = health;
        // Files from earlier runs count towards the bound too, oldest first.
        try (Stream<Path> existing = Files.list(this.directory)) {
            existing.filter(p -> p.getFileName().toString().startsWith(prefix)
                            && p.getFileName().toString().endsWith(".jfr"))
                    .sorted()
                    .forEach(written::addLast);
        }
    }

    @Override
    public void export(Snapshot snapshot) {
        String name = prefix + STAMP.format(snapshot.ended) + ".jfr";
        Path target = directory.resolve(name);
        try {
            // Written aside and moved, so a reader never sees half a file.
            Path tmp = Files.createTempFile(directory, ".partial-", ".jfr");
            Files.write(tmp, snapshot.data);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written.remove(target);
            written.addLast(target);
            while (written.size() > maxFiles) {
                Files.deleteIfExists(written.removeFirst());
            }
            health.succeeded();
        } catch (IOException | RuntimeException e) {
            health.failed(e.toString());
        }
    }

    @Override
    public void stop() {
        // Nothing held open.
    }
}
