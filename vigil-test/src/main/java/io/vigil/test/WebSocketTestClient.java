package io.vigil.test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A WebSocket client for tests, on the JDK's {@link java.net.http.WebSocket}: it collects whole text
 * messages into a queue and records the close frame the server sends, and every wait has a deadline
 * (no sleeps). A wait that runs out, or a connection that fails, is an {@link AssertionError} naming
 * the URI.
 *
 * <pre>{@code
 * try (WebSocketTestClient ws = WebSocketTestClient.to(uri).header("X-User", "alice").connect()) {
 *     assertThat(ws.exchange("{\"type\":\"ping\"}")).contains("pong");
 * }
 * }</pre>
 *
 * <p>Thread-safe: messages and the close are handed over through a blocking queue and a future; the
 * JDK calls the listener for one connection sequentially.
 */
public final class WebSocketTestClient implements AutoCloseable {
    /** The default deadline of the handshake and of every wait. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final HttpClient SHARED =
            HttpClient.newBuilder().connectTimeout(DEFAULT_TIMEOUT).build();

    /** The close frame the server sent (or answered with). */
    public record Close(int code, String reason) {}

    /** How to connect: headers, subprotocols, the HTTP client and the deadline. */
    public static final class Builder {
        private final URI uri;
        private final List<String[]> headers = new ArrayList<>();
        private final List<String> subprotocols = new ArrayList<>();
        private HttpClient http = SHARED;
        private Duration timeout = DEFAULT_TIMEOUT;

        private Builder(URI uri) {
            this.uri = Objects.requireNonNull(uri, "uri");
        }

        /** Adds a request header to the handshake. */
        public Builder header(String name, String value) {
            headers.add(new String[] {name, value});
            return this;
        }

        /** Adds request headers given as name/value pairs ({@code "X-User", "alice", ...}). */
        public Builder headers(String... nameValuePairs) {
            if (nameValuePairs.length % 2 != 0) {
                throw new IllegalArgumentException("headers come as name/value pairs");
            }
            for (int i = 0; i < nameValuePairs.length; i += 2) {
                header(nameValuePairs[i], nameValuePairs[i + 1]);
            }
            return this;
        }

        /** The subprotocols offered, most preferred first. */
        public Builder subprotocols(String... offered) {
            subprotocols.addAll(List.of(offered));
            return this;
        }

        /** The HTTP client to connect with (for example one bound to a local address); a shared one by default. */
        public Builder httpClient(HttpClient client) {
            this.http = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The deadline of the handshake and the default of every later wait; 10 s by default. */
        public Builder timeout(Duration deadline) {
            this.timeout = Objects.requireNonNull(deadline, "deadline");
            return this;
        }

        /**
         * Starts the handshake. The future fails as the JDK's does: a refused upgrade completes it
         * exceptionally with a {@link java.net.http.WebSocketHandshakeException} carrying the response,
         * which tests of refusals inspect.
         */
        public CompletableFuture<WebSocketTestClient> connectAsync() {
            WebSocketTestClient client = new WebSocketTestClient(uri, timeout);
            WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(timeout);
            for (String[] h : headers) {
                b.header(h[0], h[1]);
            }
            if (!subprotocols.isEmpty()) {
                b.subprotocols(
                        subprotocols.getFirst(),
                        subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
            }
            return b.buildAsync(uri, client.listener).thenApply(ws -> {
                client.ws = ws;
                return client;
            });
        }

        /** Connects, waiting for the handshake up to the deadline; fails with an {@link AssertionError} otherwise. */
        public WebSocketTestClient connect() {
            return await(connectAsync(), uri, timeout, "the handshake");
        }
    }

    private final URI uri;
    private final Duration timeout;
    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final Listener listener = new Listener();
    private volatile WebSocket ws;

    private WebSocketTestClient(URI uri, Duration timeout) {
        this.uri = uri;
        this.timeout = timeout;
    }

    /** A builder of a connection to {@code uri} ({@code ws://} or {@code wss://}). */
    public static Builder to(URI uri) {
        return new Builder(uri);
    }

    /** Connects to {@code uri} with request headers as name/value pairs, waiting up to 10 s. */
    public static WebSocketTestClient connect(URI uri, String... headerPairs) {
        return to(uri).headers(headerPairs).connect();
    }

    /** The URI connected to. */
    public URI uri() {
        return uri;
    }

    /** The subprotocol the server chose, or the empty string. */
    public String subprotocol() {
        return ws.getSubprotocol();
    }

    /** The JDK WebSocket underneath, for what this class does not offer (fragments, pings, binary). */
    public WebSocket webSocket() {
        return ws;
    }

    /** Whether the connection is still open both ways: no close frame received or sent, no error. */
    public boolean isOpen() {
        return !closed.isDone() && !ws.isOutputClosed() && !ws.isInputClosed();
    }

    /** Whether the server's close frame (or an error) has arrived. */
    public boolean isClosed() {
        return closed.isDone();
    }

    /** Sends a whole text message, waiting until it is written (default deadline). */
    public void send(String text) {
        await(sendAsync(text), uri, timeout, "sending " + abbreviate(text));
    }

    /** Sends a whole text message without waiting: for messages the server may answer by closing. */
    public CompletableFuture<WebSocket> sendAsync(String text) {
        return ws.sendText(text, true);
    }

    /** The next whole text message received, waiting up to the default deadline. */
    public String nextMessage() {
        return nextMessage(timeout);
    }

    /** The next whole text message received, waiting up to {@code deadline}; fails if none comes. */
    public String nextMessage(Duration deadline) {
        return nextMessage(m -> true, deadline);
    }

    /**
     * The next message {@code wanted} accepts, dropping the others received before it, waiting up to
     * {@code deadline} in all; fails if none comes.
     */
    public String nextMessage(Predicate<String> wanted, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            long left = end - System.nanoTime();
            String m;
            try {
                m = left > 0 ? messages.poll(left, TimeUnit.NANOSECONDS) : null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for a message from " + uri, e);
            }
            if (m == null) {
                throw new AssertionError("no message wanted from " + uri + " within " + deadline + closeNote());
            }
            if (wanted.test(m)) {
                return m;
            }
        }
    }

    /** Sends {@code text} and returns the next message received (the answer), default deadline for each. */
    public String exchange(String text) {
        send(text);
        try {
            return nextMessage();
        } catch (AssertionError e) {
            throw new AssertionError("no answer to " + abbreviate(text) + ": " + e.getMessage(), e);
        }
    }

    /** The messages received and not taken yet, oldest first (a snapshot). */
    public List<String> pendingMessages() {
        return List.copyOf(messages);
    }

    /** Waits up to the default deadline for the server's close frame. */
    public Close awaitClose() {
        return awaitClose(timeout);
    }

    /** Waits up to {@code deadline} for the server's close frame; fails on a timeout or a connection error. */
    public Close awaitClose(Duration deadline) {
        return await(closed, uri, deadline, "the close");
    }

    /** Closes normally (1000, "bye") unless already closed, and waits for the server's close. */
    @Override
    public void close() {
        close(WebSocket.NORMAL_CLOSURE, "bye");
    }

    /** Sends a close frame with {@code code} unless closed already, and waits for the server's close. */
    public void close(int code) {
        close(code, "bye");
    }

    /** Sends a close frame with {@code code} and {@code reason} unless closed already, and waits for the server's. */
    public void close(int code, String reason) {
        if (!closed.isDone() && !ws.isOutputClosed()) {
            await(ws.sendClose(code, reason), uri, timeout, "sending close " + code);
        }
        awaitClose();
    }

    /** Drops the connection without a close handshake. */
    public void abort() {
        ws.abort();
    }

    private String closeNote() {
        if (!closed.isDone()) {
            return "";
        }
        try {
            return " (closed: " + closed.getNow(null) + ")";
        } catch (RuntimeException e) {
            return " (failed: " + e.getCause() + ")";
        }
    }

    private static <T> T await(CompletableFuture<T> f, URI uri, Duration deadline, String what) {
        try {
            return f.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            throw failure(e, uri, deadline, what);
        }
    }

    private static AssertionError failure(Exception e, URI uri, Duration deadline, String what) {
        if (e instanceof TimeoutException) {
            return new AssertionError("WebSocket " + uri + ": no " + what + " within " + deadline, e);
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return new AssertionError("WebSocket " + uri + ": " + what + " failed: " + cause, cause);
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    /** Collects whole text messages; the JDK calls it for one connection sequentially. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder part = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
                messages.add(part.toString());
                part.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
