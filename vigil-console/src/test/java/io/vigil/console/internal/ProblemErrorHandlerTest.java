package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProblemErrorHandlerTest {
    @Test
    void statusOnlyDocumentHasNoNullMembers() {
        assertThat(new String(ProblemErrorHandler.body(431, null, null), StandardCharsets.UTF_8))
                .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Request Header Fields Too Large\",\"status\":431}");
    }

    @Test
    void detailAndInstanceAreEscapedAndUtf8() throws Exception {
        String detail = "metric \"a\\b\"\n\u0001 – Zürich 😀";
        byte[] body = ProblemErrorHandler.body(404, detail, "/api/metrics/caf\u00e9");
        String text = new String(body, StandardCharsets.UTF_8);
        assertThat(text)
                .startsWith("{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"")
                .doesNotContainPattern("\\p{Cntrl}");
        JsonNode node = new ObjectMapper().readTree(body);
        assertThat(node.get("detail").asText()).isEqualTo(detail);
        assertThat(node.get("instance").asText()).isEqualTo("/api/metrics/café");
    }
}
