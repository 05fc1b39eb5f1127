package io.vigil.console.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Shares equal strings and attribute maps between stored records: span names, attribute keys, service names and
 * resources repeat across almost every record, so sharing them is most of the memory a viewer can save. Bounded, and
 * used only by the single ingest thread, so it needs no locking.
 *
 * <p>It also does the byte accounting for what it hands out: {@link #charged()} grows by the size of every string or
 * map that is new (a miss, or too long to share), and not for a shared one. A record is charged the growth while it
 * was converted, so a shared name is paid for once, by the record that brought it, instead of by every record.
 */
final class Interner {
    private static final int MAX_ENTRIES = 100_000;
    private static final int MAX_INTERNED_LENGTH = 128;

    private final Map<String, String> strings = new HashMap<>();
    private final Map<Map<String, Object>, Map<String, Object>> maps = new HashMap<>();
    private long charged;

    /** Bytes of the new strings and maps handed out so far. */
    long charged() {
        return charged;
    }

    String string(String s) {
        if (s == null || s.isEmpty()) {
            return s;
        }
        if (s.length() > MAX_INTERNED_LENGTH) {
            charged += Sizes.of(s);
            return s;
        }
        String existing = strings.putIfAbsent(s, s);
        if (existing != null) {
            return existing;
        }
        charged += Sizes.of(s);
        if (strings.size() > MAX_ENTRIES) {
            // A flood of unique values (ids in attributes) must not grow this without bound.
            strings.clear();
        }
        return s;
    }

    Map<String, Object> map(Map<String, Object> m) {
        Map<String, Object> existing = maps.putIfAbsent(m, m);
        if (existing != null) {
            return existing;
        }
        charged += Sizes.shallow(m);
        if (maps.size() > 4_096) {
            maps.clear();
        }
        return m;
    }
}
