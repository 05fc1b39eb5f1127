package io.vigil.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RequestIdsTest {
    @Test
    void acceptsOneToSixtyFourAllowedCharacters() {
        assertThat(RequestIds.isValid("a")).isTrue();
        assertThat(RequestIds.isValid("A-z_0.9")).isTrue();
        assertThat(RequestIds.isValid("x".repeat(64))).isTrue();
    }

    @Test
    void rejectsEmptyOversizedAndForeignCharacters() {
        assertThat(RequestIds.isValid("")).isFalse();
        assertThat(RequestIds.isValid("x".repeat(65))).isFalse();
        assertThat(RequestIds.isValid("a b")).isFalse();
        assertThat(RequestIds.isValid("a\nb")).isFalse();
        assertThat(RequestIds.isValid("{}")).isFalse();
    }

    @Test
    void requestIdWinsOverCorrelationId() {
        assertThat(RequestIds.resolve(List.of("r-1"), List.of("c-1"))).isEqualTo("r-1");
        assertThat(RequestIds.resolve(List.of("bad id"), List.of("c-1"))).isEqualTo("c-1");
    }

    @Test
    void generatesAVersionFourUuidWhenNothingIsValid() {
        String id = RequestIds.resolve(List.of(), List.of("<bad>"));
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(RequestIds.isValid(id)).isTrue();
    }
}
