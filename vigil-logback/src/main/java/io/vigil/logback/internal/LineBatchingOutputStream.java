package io.vigil.logback.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Gathers whole log lines and writes them to the target in one call per {@link #flush()}, never
 * more than {@link #MAX_CHUNK} bytes at a time and never a line cut in two.
 *
 * <p>Why: Logback's {@code ConsoleAppender} writes and flushes {@code System.out} once per event, a
 * {@code write(2)} system call per log line; on a service logging one access line per request that
 * was most of the stdout thread's CPU (≈ 11 µs per request of kernel time against ≈ 1–2 µs of
 * encoding). The hand-off thread that owns this stream flushes it after each batch it delivers, so
 * a line waits no longer than before and the batch costs one system call per {@value #MAX_CHUNK}
 * bytes. The bound keeps each call within {@code PIPE_BUF} (4096 bytes on Linux), which a pipe
 * writes atomically: a line of ours never interleaves with another writer's output on the same pipe.
 *
 * <p>Only one thread writes to it (the stdout hand-off's); it is not thread-safe. {@link #close()}
 * flushes and leaves the target open (it is the process's standard output). Like {@code System.out}
 * itself, it reports no failure of standard output: a {@code PrintStream} target keeps its error flag.
 */
public final class LineBatchingOutputStream extends OutputStream {
    /** Largest chunk written in one call: Linux's {@code PIPE_BUF}. */
    public static final int MAX_CHUNK = 4096;

    private final Supplier<? extends OutputStream> target;
    private final byte[] buffer = new byte[MAX_CHUNK];
    private int size;

    private LineBatchingOutputStream(Supplier<? extends OutputStream> target) {
        this.target = target;
    }

    /**
     * Batches into {@code System.out} as it is at each flush (so a later {@code System.setOut} is
     * followed, as Logback's console appender follows it).
     */
    public static LineBatchingOutputStream systemOut() {
        return new LineBatchingOutputStream(() -> System.out);
    }

    /** Batches into {@code out}. */
    public static LineBatchingOutputStream of(OutputStream out) {
        return new LineBatchingOutputStream(() -> out);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /** One call is one encoded event (Logback writes each event's bytes at once): kept whole. */
    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (size + len > MAX_CHUNK) {
            writeBuffer();
        }
        if (len > MAX_CHUNK) {
            OutputStream out = target.get();
            out.write(b, off, len); // a line longer than a chunk goes out alone, whole
            out.flush();
            return;
        }
        System.arraycopy(b, off, buffer, size, len);
        size += len;
    }

    @Override
    public void flush() throws IOException {
        writeBuffer();
    }

    @Override
    public void close() throws IOException {
        flush();
    }

    private void writeBuffer() throws IOException {
        if (size == 0) {
            return;
        }
        OutputStream out = target.get();
        int n = size;
        size = 0; // a failed write loses this chunk rather than repeating it forever
        out.write(buffer, 0, n);
        out.flush();
    }
}
