package io.vigil.console.internal;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A stored record's attributes: keys and values side by side in one array, immutable. Against {@code Map.copyOf} it
 * needs no sorted or hashed intermediate map to build and keeps half the references (no probe table), which the
 * garbage collector walks for every record the store holds; lookups scan, which for a span's dozen attributes is as
 * fast as hashing. Equal to any map with the same entries.
 */
final class AttributeMap extends AbstractMap<String, Object> {
    private final Object[] keysAndValues;

    /** Takes {@code keysAndValues} (key, value, key, value…; distinct keys, no nulls) without copying. */
    AttributeMap(Object[] keysAndValues) {
        this.keysAndValues = keysAndValues;
    }

    @Override
    public int size() {
        return keysAndValues.length / 2;
    }

    /** The value of the {@code i}-th entry ({@code 0 ≤ i < size}), without an entry object. */
    Object valueAt(int i) {
        return keysAndValues[2 * i + 1];
    }

    @Override
    public boolean isEmpty() {
        return keysAndValues.length == 0;
    }

    @Override
    public Object get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : keysAndValues[i + 1];
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    private int indexOf(Object key) {
        for (int i = 0; i < keysAndValues.length; i += 2) {
            Object k = keysAndValues[i];
            if (k == key || k.equals(key)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return keysAndValues.length / 2;
            }

            @Override
            public Iterator<Entry<String, Object>> iterator() {
                return new Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        return i < keysAndValues.length;
                    }

                    @Override
                    public Entry<String, Object> next() {
                        if (i >= keysAndValues.length) {
                            throw new NoSuchElementException();
                        }
                        Entry<String, Object> e =
                                new SimpleImmutableEntry<>((String) keysAndValues[i], keysAndValues[i + 1]);
                        i += 2;
                        return e;
                    }
                };
            }
        };
    }
}
