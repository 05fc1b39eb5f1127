package io.vigil.identity;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the live security feed ({@code GET /api/v1/ws/security-events}), read from the
 * environment apart from {@link IdentityConfig} so the feed stays a module of its own.
 *
 * @param maxConnectionsPerUser {@code WS_MAX_CONNECTIONS_PER_USER}, default 5: open feed connections
 *     one administrator may hold; one more is closed with 1008 ({@code ws_connections_total{status="rejected_limit"}})
 * @param messagesPerSecond {@code WS_MESSAGES_PER_SECOND}, default 10: client messages handled per
 *     second per connection; the rest are dropped and counted ({@code
 *     rate_limit_hits_total{limit_type="websocket_message"}})
 * @param maxMessageBytes {@code WS_MAX_MESSAGE_BYTES}, default 4096: a larger client message closes
 *     the connection with 1009
 * @param tokenRecheckInterval {@code WS_TOKEN_RECHECK_SECONDS}, default 30: how often each open
 *     feed's access token is checked again against the database (revoked, user deactivated or
 *     demoted, sessions ended by a password change): a backstop, as those changes also close the
 *     feeds at once through the bus; a revoked token's feed is closed with 1008. Expiry needs no
 *     check: each feed is closed (1008) when its token's {@code exp} passes
 */
public record SecurityFeedConfig(
        int maxConnectionsPerUser, int messagesPerSecond, int maxMessageBytes, Duration tokenRecheckInterval) {
    /** The default token recheck interval. */
    public static final Duration DEFAULT_TOKEN_RECHECK_INTERVAL = Duration.ofSeconds(30);

    public SecurityFeedConfig {
        check(maxConnectionsPerUser >= 1, "WS_MAX_CONNECTIONS_PER_USER must be at least 1");
        check(messagesPerSecond >= 1, "WS_MESSAGES_PER_SECOND must be at least 1");
        check(maxMessageBytes >= 256, "WS_MAX_MESSAGE_BYTES must be at least 256");
        Objects.requireNonNull(tokenRecheckInterval, "tokenRecheckInterval");
        check(
                tokenRecheckInterval.isPositive() && tokenRecheckInterval.compareTo(Duration.ofHours(1)) <= 0,
                "WS_TOKEN_RECHECK_SECONDS must be between 1 and 3600");
    }

    /** The given limits with the default token recheck interval. */
    public SecurityFeedConfig(int maxConnectionsPerUser, int messagesPerSecond, int maxMessageBytes) {
        this(maxConnectionsPerUser, messagesPerSecond, maxMessageBytes, DEFAULT_TOKEN_RECHECK_INTERVAL);
    }

    /** The defaults: 5 connections per user, 10 messages a second, 4 KiB messages, tokens rechecked every 30 s. */
    public static SecurityFeedConfig defaults() {
        return new SecurityFeedConfig(5, 10, 4096);
    }

    /**
     * Reads {@code WS_MAX_CONNECTIONS_PER_USER}, {@code WS_MESSAGES_PER_SECOND}, {@code
     * WS_MAX_MESSAGE_BYTES} and {@code WS_TOKEN_RECHECK_SECONDS}; absent ones keep their default.
     *
     * @throws IllegalArgumentException naming the variable whose value is unusable
     */
    public static SecurityFeedConfig fromEnvironment(Map<String, String> env) {
        SecurityFeedConfig d = defaults();
        return new SecurityFeedConfig(
                integer(env, "WS_MAX_CONNECTIONS_PER_USER", d.maxConnectionsPerUser()),
                integer(env, "WS_MESSAGES_PER_SECOND", d.messagesPerSecond()),
                integer(env, "WS_MAX_MESSAGE_BYTES", d.maxMessageBytes()),
                Duration.ofSeconds(integer(env, "WS_TOKEN_RECHECK_SECONDS", (int)
                        d.tokenRecheckInterval().toSeconds())));
    }

    private static int integer(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer: " + v, e);
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
