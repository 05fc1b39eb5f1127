package io.vigil.identity.internal.traffic;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The WebSocket part of the traffic mix, against the security feed ({@code
 * /api/v1/ws/security-events}): a few administrator feeds held open for the whole run (so {@code
 * ws_connections_active} is up and they receive the mix's lockouts and refresh-token reuse), pings
 * and subscriptions on them, and every few seconds each refusal once — a bad token (401), a
 * non-administrator (403), a message over the size limit on a feed of its own (closed 1009), one
 * feed more than the per-user limit (closed 1008) and a flood of messages beyond the
 * per-connection rate — so every {@code ws_*} and {@code rate_limit_*} panel has data. Outcomes are
 * recorded as operations {@code ws_*} with HTTP-like statuses (101 opened, 200 sent, 401/403
 * refused, 413 too big, 429 limited); an upgrade that got no answer (status 0) is also a
 * transport error of the run.
 */
final class FeedTraffic {
    static final String PATH = "/api/v1/ws/security-events";
    private static final int HELD = 3;
    private static final int FLOOD = 40;
    private static final int MAX_EXTRA = 20;
    /**
     * Over the feed's default WS_MAX_MESSAGE_BYTES (4096) and under the container's own frame limit
     * (64 KiB in Jetty), so the instrumentation's limit is the one that closes the feed.
     */
    private static final String OVERSIZED = "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(16 * 1024) + "\"}";

    private static final long ROUND_NANOS = TimeUnit.SECONDS.toNanos(4);
    /** Generous: on a saturated machine an upgrade (token check, a database read) can take seconds. */
    private static final long HANDSHAKE_TIMEOUT_SECONDS = 30;

    /** Where outcomes go: the generator's per-operation statistics. */
    @FunctionalInterface
    interface Recorder {
        void record(String op, int status, long nanos);
    }

    private final URI uri;
    private final HttpClient http;
    private final Supplier<String> adminToken;
    private final Supplier<String> userToken;
    private final Recorder recorder;
    private final Runnable transportError;

    FeedTraffic(
            String base,
            HttpClient http,
            Supplier<String> adminToken,
            Supplier<String> userToken,
            Recorder r,
            Runnable transportError) {
        this.uri = URI.create(base.replaceFirst("^http", "ws") + PATH);
        this.http = http;
        this.adminToken = adminToken;
        this.userToken = userToken;
        this.recorder = r;
        this.transportError = transportError;
    }

    /** Runs until {@code deadline} (System.nanoTime), then closes its feeds. */
    void run(long deadline) {
        List<Feed> held = new ArrayList<>();
        try {
            for (int i = 0; i < HELD && System.nanoTime() < deadline; i++) {
                Feed f = open("ws_open", "Bearer " + adminToken.get());
                if (f != null) {
                    held.add(f);
                    f.send(
                            "ws_subscribe",
                            i == 0
                                    ? "{\"type\":\"subscribe\"}"
                                    : "{\"type\":\"subscribe\",\"events\":[\"account_locked\",\"refresh_token_reuse\"]}");
                }
            }
            long nextRound = System.nanoTime();
            while (System.nanoTime() < deadline) {
                held.removeIf(f -> f.closed.isDone());
                while (held.size() < HELD && System.nanoTime() < deadline) {
                    Feed f = open("ws_open", "Bearer " + adminToken.get());
                    if (f == null) {
                        break;
                    }
                    held.add(f);
                }
                for (Feed f : held) {
                    f.send("ws_ping", "{\"type\":\"ping\"}");
                }
                if (System.nanoTime() >= nextRound) {
                    refusals(held);
                    nextRound = System.nanoTime() + ROUND_NANOS;
                }
                pause(Math.min(500, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            }
        } finally {
            held.forEach(Feed::close);
        }
    }

    private void refusals(List<Feed> held) {
        open("ws_bad_token", "Bearer not.a.token");
        String user = userToken.get();
        if (user != null) {
            open("ws_not_admin", "Bearer " + user);
        }
        // Before the over-limit feeds, so this one still has a place under the per-user limit.
        tooBig();
        // One feed more than the per-user limit: opened, then closed 1008 by the server.
        List<Feed> extra = new ArrayList<>();
        for (int i = 0; i < MAX_EXTRA; i++) {
            long t0 = System.nanoTime();
            Feed f = connect("Bearer " + adminToken.get());
            if (f == null) {
                break;
            }
            Integer code = f.closeCode(Duration.ofSeconds(1));
            if (code != null && code == 1008) {
                recorder.record("ws_over_limit", 429, System.nanoTime() - t0);
                break;
            }
            extra.add(f);
        }
        extra.forEach(Feed::close);
        // A flood on one feed: the messages beyond the per-connection rate are dropped and counted.
        if (!held.isEmpty()) {
            Feed f = held.getFirst();
            long t0 = System.nanoTime();
            for (int i = 0; i < FLOOD; i++) {
                f.sendQuietly("{\"type\":\"ping\"}");
            }
            recorder.record("ws_flood", 429, System.nanoTime() - t0);
        }
    }

    /**
     * A message over the size limit on a feed of its own: the server closes it with 1009 (a {@code
     * too_big} message error, a closed connection with its duration). Recorded as 413, or 429 when
     * the feed was refused at the per-user limit instead.
     */
    private void tooBig() {
        long t0 = System.nanoTime();
        Feed f = connect("Bearer " + adminToken.get());
        if (f == null) {
            return;
        }
        f.sendQuietly(OVERSIZED);
        Integer code = f.closeCode(Duration.ofSeconds(5));
        int status = code == null ? 0 : code == 1009 ? 413 : code == 1008 ? 429 : 0;
        recorder.record("ws_too_big", status, System.nanoTime() - t0);
        f.close();
    }

    /** Opens a feed, recording the outcome under {@code op}; null when refused or failed. */
    private Feed open(String op, String authorization) {
        long t0 = System.nanoTime();
        try {
            Feed f = new Feed();
            f.ws = http.newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .header("Authorization", authorization)
                    .buildAsync(uri, f)
                    .get(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            recorder.record(op, 101, System.nanoTime() - t0);
            return f;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                recorder.record(op, h.getResponse().statusCode(), System.nanoTime() - t0);
            } else {
                recorder.record(op, 0, System.nanoTime() - t0);
                transportError.run();
            }
        } catch (TimeoutException e) {
            recorder.record(op, 0, System.nanoTime() - t0);
            transportError.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    private Feed connect(String authorization) {
        try {
            Feed f = new Feed();
            f.ws = http.newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .header("Authorization", authorization)
                    .buildAsync(uri, f)
                    .get(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return f;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // pacing of the generator, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One open feed: reads and discards what the server sends, remembers how it closed. */
    private final class Feed implements WebSocket.Listener {
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        volatile WebSocket ws;

        void send(String op, String text) {
            long t0 = System.nanoTime();
            try {
                ws.sendText(text, true).get(5, TimeUnit.SECONDS);
                recorder.record(op, 200, System.nanoTime() - t0);
            } catch (ExecutionException | TimeoutException e) {
                recorder.record(op, 0, System.nanoTime() - t0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void sendQuietly(String text) {
            try {
                ws.sendText(text, true).get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // a closed feed: the round goes on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        Integer closeCode(Duration wait) {
            try {
                return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                return -1;
            } catch (TimeoutException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        void close() {
            if (closed.isDone()) {
                return;
            }
            try {
                ws.sendClose(1000, "done").get(5, TimeUnit.SECONDS);
                closed.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                ws.abort();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ws.abort();
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
