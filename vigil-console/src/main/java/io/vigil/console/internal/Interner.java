package io.vigil.console.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Shares equal strings and attribute maps between stored records: span names, attribute keys, service names and
 * resources repeat across almost every record, so sharing them is most of the memory a viewer can save. Bounded, and
 * used only by the single ingest thread, so it needs no locking.
 *
 * <p>Strings go through a fixed table of two-way sets instead of a growing map: most values a service sends are
 * unique (request ids, paths with ids, messages), and a map that took each of them in — a node, growth, a clear at the
 * bound — cost more than the sharing saved (41 % of the ingest thread's samples in identity-service under load). A
 * unique string only takes a slot that has not been hit since it was filled; strings that repeat are hit and stay.
 *
 * <p>It also does the byte accounting for what it hands out: {@link #charged()} grows by the size of every string or
 * map that is new (a miss, or too long to share), and not for a shared one. A record is charged the growth while it
 * was converted, so a shared name is paid for once, by the record that brought it, instead of by every record. A
 * string that lost its slot and comes back is charged again: an overestimate, which the byte bound tolerates.
 */
final class Interner {
    private static final int SETS = 8192; // two slots each: 16,384 strings, 128 KiB of references
    private static final int MAX_INTERNED_LENGTH = 128;

    private final String[] slots = new String[2 * SETS];
    private final boolean[] hit = new boolean[2 * SETS];
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
        int h = s.hashCode();
        int a = 2 * ((h ^ (h >>> 16)) & (SETS - 1));
        int b = a + 1;
        String sa = slots[a];
        if (sa != null && (sa == s || (sa.hashCode() == h && sa.equals(s)))) {
            hit[a] = true;
            return sa;
        }
        String sb = slots[b];
        if (sb != null && (sb == s || (sb.hashCode() == h && sb.equals(s)))) {
            hit[b] = true;
            return sb;
        }
        charged += Sizes.of(s);
        // Replace a slot nobody has asked for since it was filled; when both were asked for, the older
        // favourite (a) gives way and b must earn its place again.
        int victim;
        if (!hit[a]) {
            victim = a;
        } else if (!hit[b]) {
            victim = b;
        } else {
            victim = a;
            hit[b] = false;
        }
        slots[victim] = s;
        hit[victim] = false;
        return s;
    }

    /**
     * An attribute's string value, shared like {@link #string} unless the values of this key have proved nearly all
     * new (request ids, user ids, paths with ids): those stop being looked up — hashing and comparing a value that is
     * never shared was most of the interning cost — and are charged as new. One value in {@value #RECHECK} still
     * goes through, so a key whose values start to repeat is shared again.
     */
    String value(String key, String v) {
        int[] stats = valueStats.get(key);
        if (stats == null) {
            if (valueStats.size() >= MAX_KEYS) {
                return string(v);
            }
            stats = new int[3]; // shared, new, skipped
            valueStats.put(key, stats);
        }
        if (stats[1] >= 256 && stats[0] * 16 < stats[1] && (++stats[2] % RECHECK) != 0) {
            if (v != null && !v.isEmpty()) {
                charged += Sizes.of(v);
            }
            return v;
        }
        long before = charged;
        String out = string(v);
        stats[charged == before ? 0 : 1]++;
        if (stats[1] >= 1 << 20) { // keep the counts recent
            stats[0] >>= 1;
            stats[1] >>= 1;
        }
        return out;
    }

    private static final int MAX_KEYS = 4_096;
    private static final int RECHECK = 1_024;
    private final Map<String, int[]> valueStats = new HashMap<>();

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
