package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FirstSeenValuesTest {
    @Test
    void admitsTheFirstDistinctValuesUpToTheBoundThenOther() {
        FirstSeenValues values = new FirstSeenValues(2);
        assertThat(values.bound("a")).isEqualTo("a");
        assertThat(values.bound("b")).isEqualTo("b");
        assertThat(values.bound("c")).isEqualTo(FirstSeenValues.OTHER);
        assertThat(values.admit("c")).isNull();
        // Admitted values stay admitted past the bound.
        assertThat(values.bound("a")).isEqualTo("a");
        assertThat(values.admit("b")).isEqualTo("b");
    }

    @Test
    void aMissingValueIsOtherAndTakesNoPlace() {
        FirstSeenValues values = new FirstSeenValues(1);
        assertThat(values.bound(null)).isEqualTo(FirstSeenValues.OTHER);
        assertThat(values.admit(null)).isNull();
        assertThat(values.bound("a")).isEqualTo("a");
    }
}
