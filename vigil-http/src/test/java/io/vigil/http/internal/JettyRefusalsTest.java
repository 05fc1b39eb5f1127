package io.vigil.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.http.internal.JettyRefusals.Part;
import org.junit.jupiter.api.Test;

/**
 * The fixed mapping from Jetty's reasons to problem details (the raw requests that produce them are in {@code
 * HttpServerContractTest} and {@code ManagementPortTest}): only known reasons are said, never the request's bytes.
 */
class JettyRefusalsTest {
    @Test
    void knownReasonsAreMappedToTheirDetail() {
        assertThat(JettyRefusals.detail(400, "No Host", null, Part.HEADERS))
                .isEqualTo("An HTTP/1.1 request must have a Host header");
        assertThat(JettyRefusals.detail(400, "Ambiguous URI path separator", null, Part.HEADERS))
                .isEqualTo("The request target's path has an encoded slash (%2F)");
        assertThat(JettyRefusals.detail(400, "Ambiguous URI encoding: AMBIGUOUS_PATH_SEPARATOR", null, Part.HEADERS))
                .startsWith("The request target's path is ambiguous once decoded");
        assertThat(JettyRefusals.detail(417, "Expectation Failed", null, Part.HEADERS))
                .contains("100-continue");
    }

    @Test
    void illegalCharactersAreNamedByTheirKindAndWhere() {
        assertThat(JettyRefusals.detail(400, "Illegal character CNTL=0x1", null, Part.REQUEST_LINE))
                .isEqualTo("Illegal character in the request line: control character 0x01");
        assertThat(JettyRefusals.detail(400, "Illegal character OTEXT=0xff", null, Part.HEADERS))
                .isEqualTo("Illegal character in a header field: non-ASCII byte 0xFF");
        assertThat(JettyRefusals.detail(400, "Illegal character LF=\\n", null, Part.HEADERS))
                .isEqualTo("Illegal character in a header field: a line break");
        assertThat(JettyRefusals.detail(400, "Illegal character VCHAR='<'", null, Part.REQUEST_LINE))
                .isEqualTo("Illegal character in the request line: '<'");
    }

    @Test
    void theCauseOfABareBadRequestTellsADecodingFailure() {
        Throwable badHex = new IllegalStateException("Bad Request", new NumberFormatException("!hex z"));
        assertThat(JettyRefusals.detail(400, "Bad Request", badHex, Part.REQUEST_LINE))
                .isEqualTo("The request target has a malformed percent-escape (a % must start %XX)");
        Throwable overflow = new IllegalStateException("Bad Request", new ArithmeticException("long overflow"));
        assertThat(JettyRefusals.detail(400, "Bad Request", overflow, Part.HEADERS))
                .isEqualTo("The Content-Length is too large");
        // A URI decoding message is only read as such for a refused request line.
        Throwable badUri = new IllegalStateException("Bad Request", new IllegalArgumentException("Bad URI"));
        assertThat(JettyRefusals.detail(400, "Bad Request", badUri, Part.REQUEST_LINE))
                .isEqualTo("The request target is not a valid URI path");
        assertThat(JettyRefusals.detail(400, "Bad Request", badUri, Part.HEADERS))
                .isNull();
    }

    @Test
    void anythingElseGivesNoDetailRatherThanAnEcho() {
        assertThat(JettyRefusals.detail(400, "Bad Request", null, Part.HEADERS)).isNull();
        assertThat(JettyRefusals.detail(400, "Unknown header X-Secret: hunter2", null, Part.HEADERS))
                .isNull();
        assertThat(JettyRefusals.detail(400, "Illegal character VCHAR='<' and more", null, Part.HEADERS))
                .isNull();
        assertThat(JettyRefusals.detail(400, null, new IllegalArgumentException("token=abc"), Part.REQUEST_LINE))
                .isNull();
    }
}
