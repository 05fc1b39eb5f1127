package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InternerTest {
    @Test
    void repeatedStringsAreSharedAndChargedOnceEvenAmongManyUniqueOnes() {
        Interner interner = new Interner();
        String first = interner.string(new String("http.request.method"));
        long charged = interner.charged();
        for (int i = 0; i < 100_000; i++) {
            interner.string("unique-" + i); // a flood of values seen once
            if (i % 100 == 0) {
                assertThat(interner.string(new String("http.request.method"))).isSameAs(first);
            }
        }
        assertThat(interner.string(new String("http.request.method"))).isSameAs(first);
        // every unique value is charged, the repeated one only when it first came
        assertThat(interner.charged() - charged).isEqualTo(sum(100_000));
    }

    @Test
    void aKeyWhoseValuesAreAllNewStopsBeingLookedUpButIsStillCharged() {
        Interner interner = new Interner();
        String method = null;
        long expected = 0;
        for (int i = 0; i < 10_000; i++) {
            String id = "req-" + i;
            long before = interner.charged();
            assertThat(interner.value("request.id", id)).isEqualTo(id);
            assertThat(interner.charged() - before).isEqualTo(Sizes.of(id));
            String m = interner.value("http.method", new String("GET"));
            if (method == null) {
                method = m;
                expected = Sizes.of("GET");
            }
            assertThat(m).isSameAs(method); // a key with repeating values keeps sharing them
        }
        assertThat(expected).isPositive();
    }

    @Test
    void attributeMapEqualsAnyMapWithTheSameEntries() {
        AttributeMap m = new AttributeMap(new Object[] {"a", "x", "b", 2L, "c", true});
        Map<String, Object> same = new HashMap<>(Map.of("a", "x", "b", 2L, "c", true));
        assertThat(m).isEqualTo(same).hasSameHashCodeAs(same).hasSize(3);
        assertThat(same).isEqualTo(m);
        assertThat(m.get("b")).isEqualTo(2L);
        assertThat(m.containsKey("c")).isTrue();
        assertThat(m.get("d")).isNull();
        assertThat(Sizes.shallow(m)).isEqualTo(Sizes.shallow(same));
    }

    private static long sum(int n) {
        long total = 0;
        for (int i = 0; i < n; i++) {
            total += Sizes.of("unique-" + i);
        }
        return total;
    }
}
