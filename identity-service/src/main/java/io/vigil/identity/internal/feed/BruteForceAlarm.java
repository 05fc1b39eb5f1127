package io.vigil.identity.internal.feed;

import io.vigil.identity.telemetry.IdentityTelemetry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Raises {@code brute_force_suspected} (high) when a client address exhausts the login rate limit:
 * once per address per {@link #QUIET_PERIOD}, however long the flood, so the security event, its
 * log line and the feed message do not flood too.
 */
public final class BruteForceAlarm {
    /** How long an address that raised the alarm stays quiet. */
    static final Duration QUIET_PERIOD = Duration.ofMinutes(1);

    private static final int MAX_TRACKED = 10_000;

    private final IdentityTelemetry telemetry;
    private final Map<String, Long> raisedAt = new ConcurrentHashMap<>();

    public BruteForceAlarm(IdentityTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    /** A rate limit named {@code limitName} refused {@code key}; only {@code login} refusals count. */
    public void refused(String limitName, String key) {
        if (!"login".equals(limitName) || key == null) {
            return;
        }
        long now = System.nanoTime();
        if (raisedAt.size() > MAX_TRACKED) {
            raisedAt.values().removeIf(t -> now - t > QUIET_PERIOD.toNanos());
        }
        boolean[] raise = {false};
        raisedAt.compute(key, (k, last) -> {
            if (last == null || now - last > QUIET_PERIOD.toNanos()) {
                raise[0] = true;
                return now;
            }
            return last;
        });
        if (raise[0]) {
            telemetry.securityEvent(
                    "brute_force_suspected",
                    "high",
                    null,
                    Map.of("client_address", key, "limit_name", limitName, "quiet_seconds", QUIET_PERIOD.toSeconds()));
        }
    }
}
