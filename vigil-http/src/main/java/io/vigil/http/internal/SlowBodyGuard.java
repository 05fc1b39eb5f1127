package io.vigil.http.internal;

import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A minimum request body data rate measured against the time the server spent waiting for the client, not the time
 * since the body's first byte was read: a body arriving slower than {@code bytesPerSecond}, once the server has waited
 * for it longer than {@code grace} in all, fails its next read with a 408 (a Jetty {@link HttpException}, which
 * the servlet input throws to the application and vigil-http's filter answers as problem+json).
 *
 * <p>Why not Jetty's own {@code HttpConfiguration.setMinRequestDataRate}: it compares the bytes arrived with the time
 * since the first read of the body, at every read, so a body that had arrived whole was refused when the <em>server</em>
 * paused between two reads — 16 ms between the read of a 15-byte body and the read of its end, at 1 KiB/s, was enough
 * (a GC pause, a busy core; jetty/jetty.project#4641). Here a read that found no content starts a wait and the next
 * read that finds some ends it: only the client's slowness counts. Installed between the server and its handlers, so
 * the servlet layer reads through it.
 */
public final class SlowBodyGuard extends Handler.Wrapper {
    private final long bytesPerSecond;
    private final long graceNanos;

    /** {@code bytesPerSecond} once the server has waited longer than {@code graceMillis} for the body in all. */
    public SlowBodyGuard(long bytesPerSecond, long graceMillis) {
        if (bytesPerSecond <= 0 || graceMillis < 0) {
            throw new IllegalArgumentException("bytesPerSecond must be positive and graceMillis not negative");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.graceNanos = TimeUnit.MILLISECONDS.toNanos(graceMillis);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        return super.handle(new Guarded(request), response, callback);
    }

    private final class Guarded extends Request.Wrapper {
        private static final long NOT_WAITING = Long.MIN_VALUE;
        // Reads of one request's body come one at a time (the servlet input serialises them), so plain fields do.
        private long waitingSince = NOT_WAITING;
        private long waitedNanos;
        private long bytes;
        private Content.Chunk failure;

        Guarded(Request request) {
            super(request);
        }

        @Override
        public Content.Chunk read() {
            if (failure != null) {
                return failure;
            }
            Content.Chunk chunk = super.read();
            if (chunk == null) {
                if (waitingSince == NOT_WAITING) {
                    waitingSince = System.nanoTime();
                }
                return null;
            }
            if (Content.Chunk.isFailure(chunk)) {
                return chunk; // the idle timeout's, or the connection's: Jetty answers those as it does
            }
            if (waitingSince != NOT_WAITING) {
                waitedNanos += System.nanoTime() - waitingSince;
                waitingSince = NOT_WAITING;
            }
            bytes += chunk.remaining();
            if (waitedNanos > graceNanos
                    && !chunk.isLast()
                    && bytes < bytesPerSecond * TimeUnit.NANOSECONDS.toMillis(waitedNanos) / 1000) {
                chunk.release();
                failure = Content.Chunk.from(
                        new HttpException.RuntimeException(
                                HttpStatus.REQUEST_TIMEOUT_408,
                                "Request body data rate under " + bytesPerSecond + " bytes/s"),
                        true);
                return failure;
            }
            return chunk;
        }
    }
}
