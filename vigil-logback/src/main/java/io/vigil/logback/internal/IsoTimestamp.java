package io.vigil.logback.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Formats epoch milliseconds as ISO-8601 UTC with milliseconds ({@code 2025-01-31T10:15:30.123Z}).
 * The text up to the second is cached, so consecutive events in the same second cost no allocation.
 * Not thread-safe: one instance per thread.
 */
public final class IsoTimestamp {
    private static final DateTimeFormatter SECONDS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.").withZone(ZoneOffset.UTC);

    private long cachedSecond = Long.MIN_VALUE;
    private byte[] cachedPrefix;

    /** Writes the timestamp, unquoted, into {@code out}. */
    public void write(long epochMillis, JsonLineWriter out) {
        long second = Math.floorDiv(epochMillis, 1000);
        if (second != cachedSecond) {
            cachedPrefix = SECONDS.format(Instant.ofEpochSecond(second)).getBytes(StandardCharsets.US_ASCII);
            cachedSecond = second;
        }
        out.writeRaw(cachedPrefix, 0, cachedPrefix.length);
        int millis = Math.floorMod(epochMillis, 1000);
        out.writeByte('0' + millis / 100);
        out.writeByte('0' + (millis / 10) % 10);
        out.writeByte('0' + millis % 10);
        out.writeByte('Z');
    }

    private static final DateTimeFormatter MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** The timestamp as a string, always with three millisecond digits (for the text layout). */
    public static String format(long epochMillis) {
        return MILLIS.format(Instant.ofEpochMilli(epochMillis));
    }
}
