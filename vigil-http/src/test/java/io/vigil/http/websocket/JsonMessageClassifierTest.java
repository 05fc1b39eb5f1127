package io.vigil.http.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonMessageClassifierTest {
    private static final String TP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private final JsonMessageClassifier c = JsonMessageClassifier.of("type", Set.of("subscribe", "ping"));

    @Test
    void readsTheDeclaredTypeAndTheTraceFieldsFromTheTopLevel() {
        assertThat(c.classify("{\"type\":\"subscribe\",\"topic\":\"x\"}")).isEqualTo(MessageInfo.of("subscribe"));
        assertThat(c.classify(" {\n \"topic\" : {\"type\":\"ping\", \"a\":[1,{\"b\":\"}\"}]} , \"type\" : \"ping\" }"))
                .isEqualTo(MessageInfo.of("ping"));
        assertThat(c.classify("{\"data\":[1,2,\"x\\\"y\"],\"traceparent\":\"" + TP + "\",\"tracestate\":\"k=v\","
                        + "\"type\":\"subscribe\"}"))
                .isEqualTo(new MessageInfo("subscribe", TP, "k=v"));
        assertThat(c.classify("{\"type\":\"sub\\u0073cribe\"}").handler()).isEqualTo("subscribe");
        assertThat(c.classify("{\"n\":-1.5e3,\"ok\":true,\"none\":null,\"type\":\"ping\"}")
                        .handler())
                .isEqualTo("ping");
    }

    @Test
    void anythingElseIsOtherAndNeverThrows() {
        for (String text : new String[] {
            "{\"type\":\"made-up\"}",
            "{\"type\":42}",
            "{\"kind\":\"subscribe\"}",
            "{}",
            "[\"subscribe\"]",
            "subscribe",
            "",
            "{\"type\":\"subscr",
            "{\"type\"",
            "{\"a\":{\"b\":[",
            "{\"a\":\"\\u00\"}",
            "[".repeat(10_000),
            "{\"a\":" + "[".repeat(10_000),
        }) {
            assertThat(c.classify(text).handler()).as(text).isEqualTo("other");
        }
        assertThat(c.classify(null).handler()).isEqualTo("other");
        // The first type field counts; a nested one never does.
        assertThat(c.classify("{\"type\":\"ping\",\"type\":\"subscribe\"}").handler())
                .isEqualTo("ping");
        assertThat(c.classify("{\"x\":{\"type\":\"ping\"}}").handler()).isEqualTo("other");
        // An undeclared type still carries its trace; an oversized traceparent is dropped.
        assertThat(c.classify("{\"type\":\"nope\",\"traceparent\":\"" + TP + "\"}"))
                .isEqualTo(new MessageInfo("other", TP, null));
        assertThat(c.classify("{\"type\":\"ping\",\"traceparent\":\"" + "0".repeat(500) + "\"}"))
                .isEqualTo(MessageInfo.of("ping"));
    }

    @Test
    void declaresItsTypes() {
        assertThat(c.types()).containsExactlyInAnyOrder("subscribe", "ping");
        assertThatThrownBy(() -> JsonMessageClassifier.of("", Set.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
