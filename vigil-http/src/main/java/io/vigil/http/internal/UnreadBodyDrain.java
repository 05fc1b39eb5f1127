package io.vigil.http.internal;

import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Reads and discards, up to a bound, the part of a request body the application left unread when it answered (a 413
 * on a declared {@code Content-Length}, a 415, a 404 or 405 with a body), before the exchange completes.
 *
 * <p>Why: a client without {@code Expect: 100-continue} writes its whole body before it reads the answer. Jetty, left
 * with an unread body, marks the connection for closing and, once the answer is written, discards at most the request
 * head's size (8 KiB, its "too much data seeking EOF") before it closes. Closing a socket whose receive buffer still
 * holds data sends a TCP reset, and a reset makes the client's kernel drop the answer it had not read yet: the client
 * saw a broken pipe or a connection reset instead of the 413, on every body much larger than 8 KiB. Read to its end,
 * the body leaves nothing behind and the connection even stays open for the next request.
 *
 * <p>Bounded, so that a body sent without end holds nothing for long: discarding costs no memory (each chunk is released
 * as it is read) and no thread (the reads are driven by Jetty's demand callbacks), and it stops after {@code maxBytes}
 * or {@code maxMillis}, whichever comes first, when the exchange completes as it did before (Jetty closes). A body that
 * stalls ends at the connector's idle timeout, one that trickles at the {@link SlowBodyGuard}'s rate when the guard is
 * in front of this handler. Nothing is read for a request that announced {@code Expect: 100-continue} and whose body
 * the application never asked for: its client waits for a {@code 100 Continue} that reading would send, asking for a
 * body the answer already refused.
 */
public final class UnreadBodyDrain extends Handler.Wrapper {
    private final long maxBytes;
    private final long maxNanos;

    /** Discards at most {@code maxBytes} of a body left unread, for at most {@code maxMillis}. */
    public UnreadBodyDrain(long maxBytes, long maxMillis) {
        if (maxBytes < 0 || maxMillis < 0) {
            throw new IllegalArgumentException("maxBytes and maxMillis must not be negative");
        }
        this.maxBytes = maxBytes;
        this.maxNanos = TimeUnit.MILLISECONDS.toNanos(maxMillis);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!hasBody(request)) {
            return super.handle(request, response, callback);
        }
        Tracked tracked = new Tracked(request);
        return super.handle(tracked, response, new Callback() {
            @Override
            public void succeeded() {
                if (tracked.expectsContinue && !tracked.asked) {
                    callback.succeeded(); // no 100 Continue went out: the client sends no body
                } else {
                    new Drain(tracked, callback).run();
                }
            }

            @Override
            public void failed(Throwable x) {
                callback.failed(x);
            }

            @Override
            public InvocationType getInvocationType() {
                return callback.getInvocationType();
            }
        });
    }

    private static boolean hasBody(Request request) {
        long length = request.getLength();
        return length > 0 || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
    }

    /** The request as the application sees it, noting whether the application asked for the body. */
    private static final class Tracked extends Request.Wrapper {
        final boolean expectsContinue;
        volatile boolean asked;

        Tracked(Request request) {
            super(request);
            this.expectsContinue =
                    request.getHeaders().contains(HttpHeader.EXPECT, HttpHeaderValue.CONTINUE.asString());
        }

        @Override
        public Content.Chunk read() {
            asked = true;
            return super.read();
        }

        @Override
        public void demand(Runnable demandCallback) {
            asked = true;
            super.demand(demandCallback);
        }

        /**
         * Left to the drain: the servlet layer consumes what has already arrived when the handler returns and, finding
         * more to come, fails the body ("Unconsumed") before the exchange completes, so nothing would be left to read.
         */
        @Override
        public boolean consumeAvailable() {
            if (expectsContinue && !asked) {
                return super.consumeAvailable();
            }
            return true;
        }
    }

    /** Reads and releases chunks until the body's end, a failure or a bound; then completes the exchange. */
    private final class Drain implements Runnable {
        private final Request request;
        private final Callback callback;
        private final long deadline;
        private long bytes;

        Drain(Request request, Callback callback) {
            this.request = request;
            this.callback = callback;
            this.deadline = System.nanoTime() + maxNanos;
        }

        @Override
        public void run() {
            while (true) {
                if (bytes > maxBytes || System.nanoTime() - deadline > 0) {
                    callback.succeeded(); // bounded: Jetty closes the connection, as it did before
                    return;
                }
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                boolean end = chunk.isLast() || Content.Chunk.isFailure(chunk);
                bytes += chunk.remaining();
                chunk.release();
                if (end) {
                    callback.succeeded();
                    return;
                }
            }
        }
    }
}
