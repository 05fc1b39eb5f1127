package org.apache.kafka.common.utils;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Replaces kafka-clients' class of the same name in event-pipeline (its classes come first on the class path and in
 * the executable jar). Kafka's unmaps a memory-mapped index at once when it closes it, through {@code
 * sun.misc.Unsafe::invokeCleaner}, which JDK 24+ reports with four {@code WARNING} lines on stderr the first time:
 * every stop of the embedded broker printed them, and no manifest entry can allow it ({@code
 * --sun-misc-unsafe-memory-access=allow} is a command-line option only).
 *
 * <p>Here the mapping is left to the garbage collector, as for any {@link java.nio.MappedByteBuffer}: the index
 * drops its reference right after this call. Kafka unmaps eagerly to spare a large broker's collector the work; the
 * embedded development broker has a handful of small indexes. On Windows (and z/OS) a file cannot be resized or
 * deleted while mapped, so there Kafka's way is kept, warning included.
 */
public final class ByteBufferUnmapper {
    private static final boolean MUST_UNMAP = mustUnmap(System.getProperty("os.name", ""));

    private ByteBufferUnmapper() {}

    /**
     * Kafka's entry point: unmaps {@code buffer} at once where the operating system needs it (Windows, z/OS), else
     * leaves it to the garbage collector.
     *
     * @throws IOException when the buffer must be unmapped now and cannot be
     */
    public static void unmap(String resourceDescription, ByteBuffer buffer) throws IOException {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("Unmapping only works with direct buffers");
        }
        if (!MUST_UNMAP) {
            return;
        }
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            Method invokeCleaner = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
            invokeCleaner.invoke(theUnsafe.get(null), buffer);
        } catch (InvocationTargetException e) {
            throw new IOException("Unable to unmap the mapped buffer: " + resourceDescription, e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("Unable to unmap the mapped buffer: " + resourceDescription, e);
        }
    }

    static boolean mustUnmap(String osName) {
        String os = osName.toLowerCase(Locale.ROOT);
        return os.startsWith("windows") || os.startsWith("z/os");
    }
}
