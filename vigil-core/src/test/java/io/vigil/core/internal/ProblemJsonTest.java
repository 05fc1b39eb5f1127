package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProblemJsonTest {
    /** The body as text, failing on bytes that are not valid UTF-8 (no silent replacement). */
    private static String strictUtf8(byte[] body) throws CharacterCodingException {
        return StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body))
                .toString();
    }

    /**
     * The decoded value of string member {@code name}: an independent reading of RFC 8259 §7 (vigil-core has no JSON
     * library), which also rejects raw control characters inside a string.
     */
    private static String stringMember(byte[] body, String name) throws CharacterCodingException {
        String json = strictUtf8(body);
        String key = "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\":\"";
        int i = json.indexOf(key);
        assertThat(i).as("member %s in %s", name, json).isNotNegative();
        StringBuilder out = new StringBuilder();
        for (i += key.length(); ; i++) {
            char c = json.charAt(i);
            assertThat((int) c).as("raw control character in %s", json).isGreaterThanOrEqualTo(0x20);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = json.charAt(++i);
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    out.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> throw new AssertionError("bad escape \\" + e + " in " + json);
            }
        }
    }

    @Test
    void statusOnlyProblemIsTheBytesEveryTestAssertsOn() {
        assertThat(new String(ProblemJson.of(404).toBytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}");
        assertThat(ProblemJson.CONTENT_TYPE).isEqualTo("application/problem+json");
    }

    @Test
    void membersComeInTheStandardOrderThenExtensionsInTheirs() {
        String json = ProblemJson.of(400)
                .member("request_id", "r-1")
                .instance("/api/x")
                .detail("bad")
                .member("errors", List.of("a", "b"))
                .member("retry", 3)
                .toString();
        assertThat(json)
                .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,\"detail\":\"bad\","
                        + "\"instance\":\"/api/x\",\"request_id\":\"r-1\",\"errors\":[\"a\",\"b\"],\"retry\":3}");
    }

    @Test
    void nullDetailInstanceAndMembersAreLeftOutNotWrittenAsNull() {
        String json = ProblemJson.of("urn:x:gone", "Gone", 410)
                .detail(null)
                .instance(null)
                .member("request_id", (String) null)
                .toString();
        assertThat(json).isEqualTo("{\"type\":\"urn:x:gone\",\"title\":\"Gone\",\"status\":410}");
    }

    @Test
    void quotesBackslashesAndControlCharactersAreEscaped() throws Exception {
        String detail = "say \"hi\" \\ path\n\r\t\b\f\u0000\u001f\u007f end";
        String json = ProblemJson.of(400).detail(detail).toString();
        assertThat(json)
                .contains("\"detail\":\"say \\\"hi\\\" \\\\ path\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f end\"")
                .doesNotContainPattern("\\p{Cntrl}");
        assertThat(stringMember(ProblemJson.of(400).detail(detail).toBytes(), "detail"))
                .isEqualTo(detail);
    }

    @Test
    void nonAsciiIsWrittenAsUtf8AndRoundTrips() throws Exception {
        String detail = "Zürich – 東京 😀";
        byte[] body = ProblemJson.of(422).detail(detail).instance("/café").toBytes();
        assertThat(strictUtf8(body)).contains("\"detail\":\"Zürich – 東京 😀\"", "\"instance\":\"/café\"");
        assertThat(stringMember(body, "detail")).isEqualTo(detail);
        assertThat(stringMember(body, "title")).isEqualTo("Unprocessable Content");
    }

    @Test
    void loneSurrogatesAndJavaScriptLineBreaksAreEscapedSoTheBytesStayValid() throws Exception {
        String detail = "a\ud800b\udc00c\u2028d\u2029";
        byte[] body = ProblemJson.of(400).detail(detail).toBytes();
        assertThat(strictUtf8(body)).contains("a\\ud800b\\udc00c\\u2028d\\u2029");
        assertThat(stringMember(body, "detail")).isEqualTo(detail);
    }

    @Test
    void typeTitleAndExtensionNamesAreEscapedToo() throws Exception {
        byte[] body =
                ProblemJson.of("urn:\"x\"", "T\u0001", 500).member("k\"ey", "v").toBytes();
        assertThat(stringMember(body, "type")).isEqualTo("urn:\"x\"");
        assertThat(stringMember(body, "title")).isEqualTo("T\u0001");
        assertThat(stringMember(body, "k\"ey")).isEqualTo("v");
    }

    @Test
    void standardMembersCannotBeAddedAsExtensions() {
        assertThatThrownBy(() -> ProblemJson.of(400).member("status", 500))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProblemJson.of(400).member("detail", "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void titlesAreTheRfc9110ReasonPhrasesWithAClassFallback() {
        assertThat(ProblemJson.title(413)).isEqualTo("Content Too Large");
        assertThat(ProblemJson.title(431)).isEqualTo("Request Header Fields Too Large");
        assertThat(ProblemJson.title(499)).isEqualTo("Client Error");
        assertThat(ProblemJson.title(599)).isEqualTo("Server Error");
    }
}
