package io.vigil.console.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.EagerContentHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * Reads a request's body without a thread, before the route runs: Jetty's {@link EagerContentHandler} demands the
 * body's bytes, each arrival is copied here from the selector's callback, and only a whole body (or one already over
 * the limit) is handed to the servlet, whose reads then never block. A client that sends its headers and then stalls
 * in its body (slowloris) holds a connection but none of the console's 64 HTTP threads; when it has sent nothing for
 * the request idle timeout ({@code HttpConfiguration.setIdleTimeout}) it is answered 408 with a problem document and
 * the connection is closed. One that sends a byte now and then, just often enough to keep that timeout from running,
 * is answered 408 too, at its first bytes after it has been arriving for the idle timeout at under {@value
 * #MIN_BYTES_PER_SECOND} bytes a second on average. A slow upload that keeps moving faster than that is never cut off.
 *
 * <p>Copied, not retained as Jetty's own {@code RetainedContentLoaderFactory} does: a retained chunk keeps its whole
 * network buffer (kilobytes) for however few bytes it holds, so a client sending a byte at a time would pin a buffer
 * per byte; here a body costs its own size, at most {@code maxBytes + 1}.
 */
final class EagerBodies implements EagerContentHandler.ContentLoaderFactory {
    /**
     * The slowest a body may arrive on average, from its first byte, once it has been arriving for the idle timeout:
     * a client that sends a byte just often enough to keep the idle timeout from running holds its connection and
     * its buffer no longer than that. An exporter's batch arrives at once; the slowest real link is far above this.
     */
    static final int MIN_BYTES_PER_SECOND = 1024;

    private final int maxBytes;

    EagerBodies(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The handler to insert in front of the servlet: eager bodies for POSTs to the receivers' paths only. */
    static EagerContentHandler handler(int maxBytes) {
        EagerContentHandler handler = new EagerContentHandler(new EagerBodies(maxBytes));
        // The other routes answer without reading a body (the API is GET only): theirs is never buffered.
        handler.includeMethod("POST");
        handler.includePath("/v1/*");
        return handler;
    }

    @Override
    public String getApplicableMimeType() {
        return null; // every media type: the route itself answers 415 to the wrong one
    }

    @Override
    public EagerContentHandler.ContentLoader newContentLoader(
            String contentType,
            String mimeType,
            Handler handler,
            Request request,
            Response response,
            Callback callback) {
        // A declared length over the limit is refused by the route before a byte is read (413, OTLP's Status).
        if (request.getLength() > maxBytes) {
            return null;
        }
        return new Loader(handler, request, response, callback, maxBytes);
    }

    private static final class Loader extends EagerContentHandler.ContentLoader implements Invocable.Task {
        private static final int INITIAL_BUFFER = 64 * 1024;
        private final int limit;
        private byte[] bytes;
        private int size;
        private long firstByte = Long.MIN_VALUE;

        Loader(Handler handler, Request request, Response response, Callback callback, int maxBytes) {
            super(handler, request, response, callback);
            // One byte past the limit is kept, so the route sees the body is too large and answers 413.
            this.limit = maxBytes + 1;
            // Sized for what arrives, not for what is declared: connections are not bounded by threads any more, so
            // a client declaring 16 MiB and sending nothing must not make the console allocate 16 MiB (a few dozen
            // such requests would exhaust the heap). The buffer doubles as bytes come, up to the declared length.
            long declared = request.getLength();
            this.bytes =
                    new byte[declared > 0 ? (int) Math.min(declared, Math.min(limit, INITIAL_BUFFER)) : INITIAL_BUFFER];
        }

        @Override
        protected void load() {
            read(false);
        }

        /** Jetty's demand callback: bytes arrived, or the idle timeout expired, or the connection failed. */
        @Override
        public void run() {
            read(true);
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING; // it only copies bytes; the route is dispatched to a pool thread
        }

        private void read(boolean inCallback) {
            while (true) {
                Content.Chunk chunk = getRequest().read();
                if (chunk == null) {
                    getRequest().demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    fail(chunk.getFailure());
                    return;
                }
                boolean last = chunk.isLast();
                try {
                    append(chunk.getByteBuffer());
                } finally {
                    chunk.release();
                }
                if (!last && tooSlow()) {
                    answer408("it arrived at under " + MIN_BYTES_PER_SECOND + " bytes a second");
                    return;
                }
                if (last || size >= limit) {
                    dispatch(last, inCallback);
                    return;
                }
            }
        }

        /** Under the minimum rate on average since the first byte, once the body has been arriving for the timeout. */
        private boolean tooSlow() {
            if (size == 0) {
                return false;
            }
            long now = System.nanoTime();
            if (firstByte == Long.MIN_VALUE) {
                firstByte = now;
                return false;
            }
            long millis = (now - firstByte) / 1_000_000;
            return millis >= idleTimeoutMillis() && size < MIN_BYTES_PER_SECOND * millis / 1000;
        }

        private long idleTimeoutMillis() {
            return getRequest().getConnectionMetaData().getHttpConfiguration().getIdleTimeout();
        }

        private void append(ByteBuffer buffer) {
            int n = Math.min(buffer.remaining(), limit - size);
            if (size + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(size + n, 2L * bytes.length)));
            }
            buffer.get(bytes, size, n);
            size += n;
        }

        private void dispatch(boolean last, boolean inCallback) {
            Request buffered =
                    new BufferedRequest(getRequest(), Content.Chunk.from(ByteBuffer.wrap(bytes, 0, size), last));
            if (inCallback) {
                // The route blocks (decoding, the ingest queue): never on the selector thread that ran the callback.
                getRequest().getContext().execute(() -> handle(buffered, getResponse(), getCallback()));
            } else {
                handle(buffered, getResponse(), getCallback());
            }
        }

        private void fail(Throwable failure) {
            if (!(failure instanceof TimeoutException)) {
                // The client went away, or its framing was bad (Jetty answers 400 through the error handler).
                getCallback().failed(failure);
                return;
            }
            long millis = idleTimeoutMillis();
            answer408("nothing of it arrived for " + (millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms"));
        }

        private void answer408(String why) {
            byte[] body = ProblemErrorHandler.body(
                    408,
                    "The request body was too slow: " + why + ". Send it at once.",
                    getRequest().getHttpURI().getPath());
            Response response = getResponse();
            response.setStatus(408);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, ProblemErrorHandler.CONTENT_TYPE);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            // The rest of the body may still come: the connection cannot be reused, and the client is told so.
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            response.write(true, ByteBuffer.wrap(body), getCallback());
        }
    }

    /** The request as the route sees it: the buffered body first, then (past the limit only) the connection's. */
    private static final class BufferedRequest extends Request.Wrapper {
        private Content.Chunk body;

        BufferedRequest(Request wrapped, Content.Chunk body) {
            super(wrapped);
            this.body = body;
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = body;
            if (chunk == null) {
                return super.read();
            }
            body = null;
            return chunk;
        }
    }
}
