package io.vigil.logback.internal;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records each write call made to it (as the kernel would see them) and counts flushes; thread-safe to read. */
public final class RecordingOutputStream extends OutputStream {
    /** One entry per write call, as UTF-8 text. */
    public final List<String> writes = new CopyOnWriteArrayList<>();

    private volatile int flushes;

    @Override
    public void write(int b) {
        writes.add(String.valueOf((char) b));
    }

    @Override
    public void write(byte[] b, int off, int len) {
        writes.add(new String(b, off, len, StandardCharsets.UTF_8));
    }

    @Override
    public synchronized void flush() {
        flushes++;
    }

    /** Flush calls so far. */
    public int flushes() {
        return flushes;
    }
}
