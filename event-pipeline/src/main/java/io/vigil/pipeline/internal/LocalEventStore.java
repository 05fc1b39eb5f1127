package io.vigil.pipeline.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * Raw events as files under a directory, {@code <yyyy-MM-dd>/<event id>.json}, written to a
 * temporary file and moved into place so a reader never sees half an event.
 */
public final class LocalEventStore implements EventStore {
    private final Path root;

    /** A store in {@code root} (created if missing). */
    public LocalEventStore(Path root) throws IOException {
        this.root = Files.createDirectories(root);
    }

    @Override
    public String put(String eventId, byte[] body) throws IOException {
        String key = LocalDate.now(ZoneOffset.UTC) + "/" + eventId + ".json";
        Path target = root.resolve(key);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), eventId, ".tmp");
        Files.write(tmp, body);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return key;
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(root.resolve(key));
    }

    @Override
    public void probe() throws IOException {
        if (!Files.isDirectory(root) || !Files.isWritable(root)) {
            throw new IOException("raw event directory not writable: " + root);
        }
    }

    @Override
    public String backend() {
        return "local";
    }
}
