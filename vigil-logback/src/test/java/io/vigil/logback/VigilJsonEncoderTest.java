package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class VigilJsonEncoderTest {
    private final LoggerContext context = TestContexts.create();
    private final Logger logger = context.getLogger("io.example.Users");
    private VigilJsonEncoder encoder;

    @BeforeEach
    void setUp() {
        encoder = new VigilJsonEncoder();
        encoder.setService("identity-service");
        encoder.setEnvironment("test");
        encoder.setHostname("host-1");
        encoder.setContext(context);
        encoder.start();
    }

    private LoggingEvent event(Level level, String message, Throwable t) {
        LoggingEvent e = new LoggingEvent(Logger.FQCN, logger, level, message, t, null);
        e.setTimeStamp(1_700_000_000_123L);
        return e;
    }

    private String encode(LoggingEvent e) {
        return new String(encoder.encode(e), StandardCharsets.UTF_8);
    }

    @Test
    void writesTheContractFieldsAsOneObjectPerLine() {
        String line = encode(event(Level.INFO, "user created", null));

        assertThat(line).endsWith("}\n").doesNotContain("\n{").hasLineCount(1);
        ObjectNode json = Lines.parseLine(line);
        assertThat(json.get("timestamp").asText()).isEqualTo("2023-11-14T22:13:20.123Z");
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("logger").asText()).isEqualTo("io.example.Users");
        assertThat(json.get("message").asText()).isEqualTo("user created");
        assertThat(json.get("service").asText()).isEqualTo("identity-service");
        assertThat(json.get("environment").asText()).isEqualTo("test");
        assertThat(json.get("hostname").asText()).isEqualTo("host-1");
        assertThat(Lines.keys(json)).doesNotContain("trace_id", "span_id", "exception.type");
    }

    @Test
    void aTraceIdTheApplicationPutInTheMdcItselfIsEscapedLikeAnyValue() {
        // Ids from a span are copied unescaped (hex by construction); an MDC value of this name may hold anything.
        LoggingEvent e = event(Level.INFO, "x", null);
        e.setMDCPropertyMap(Map.of("trace_id", "a\"b\\c\n", "span_id", "\u0001"));

        String line = encode(e);

        assertThat(line).hasLineCount(1);
        ObjectNode json = Lines.parseLine(line);
        assertThat(json.get("trace_id").asText()).isEqualTo("a\"b\\c\n");
        assertThat(json.get("span_id").asText()).isEqualTo("\u0001");
    }

    @Test
    void timestampAlwaysHasThreeMillisecondDigits() {
        LoggingEvent e = event(Level.INFO, "x", null);
        e.setTimeStamp(1_700_000_000_000L);
        assertThat(Lines.parseLine(encode(e)).get("timestamp").asText()).isEqualTo("2023-11-14T22:13:20.000Z");
    }

    @Test
    void keyValuePairsBecomeTopLevelFieldsWithTheirTypes() {
        LoggingEvent e = event(Level.INFO, "request done", null);
        e.addKeyValuePair(new KeyValuePair("event_type", "http_request"));
        e.addKeyValuePair(new KeyValuePair("status_code", 200));
        e.addKeyValuePair(new KeyValuePair("duration_seconds", 0.25));
        e.addKeyValuePair(new KeyValuePair("bytes", 12_345_678_901L));
        e.addKeyValuePair(new KeyValuePair("security_relevant", true));
        e.addKeyValuePair(new KeyValuePair("amount", new BigDecimal("12.50")));
        e.addKeyValuePair(new KeyValuePair("ratio", Double.NaN));
        e.addKeyValuePair(new KeyValuePair("nothing", null));

        ObjectNode json = Lines.parseLine(encode(e));

        assertThat(json.get("event_type").isTextual()).isTrue();
        assertThat(json.get("status_code").isInt()).isTrue();
        assertThat(json.get("status_code").asInt()).isEqualTo(200);
        assertThat(json.get("duration_seconds").isDouble()).isTrue();
        assertThat(json.get("duration_seconds").asDouble()).isEqualTo(0.25);
        assertThat(json.get("bytes").asLong()).isEqualTo(12_345_678_901L);
        assertThat(json.get("security_relevant").isBoolean()).isTrue();
        assertThat(json.get("amount").decimalValue()).isEqualByComparingTo("12.50");
        assertThat(json.get("ratio").asText()).isEqualTo("NaN");
        assertThat(json.get("nothing").isNull()).isTrue();
    }

    @Test
    void mdcEntriesBecomeTopLevelFields() {
        LoggingEvent e = event(Level.INFO, "in request", null);
        e.setMDCPropertyMap(Map.of(
                "request_id", "req-1",
                "method", "POST",
                "path", "/api/v1/users/42",
                "endpoint", "/api/v1/users/{id}",
                "ip_address", "10.0.0.1",
                "user_id", "42"));

        ObjectNode json = Lines.parseLine(encode(e));

        assertThat(json.get("request_id").asText()).isEqualTo("req-1");
        assertThat(json.get("method").asText()).isEqualTo("POST");
        assertThat(json.get("path").asText()).isEqualTo("/api/v1/users/42");
        assertThat(json.get("endpoint").asText()).isEqualTo("/api/v1/users/{id}");
        assertThat(json.get("ip_address").asText()).isEqualTo("10.0.0.1");
        assertThat(json.get("user_id").asText()).isEqualTo("42");
    }

    @Test
    void keyValuePairWinsOverMdcEntryOfTheSameName() {
        LoggingEvent e = event(Level.INFO, "x", null);
        e.setMDCPropertyMap(Map.of("user_id", "from-mdc"));
        e.addKeyValuePair(new KeyValuePair("user_id", "from-event"));

        ObjectNode json = Lines.parseLine(encode(e)); // strict parser: a duplicate key would fail

        assertThat(json.get("user_id").asText()).isEqualTo("from-event");
    }

    @Test
    void traceIdsComeFromTheMdcWithoutTraceFlags() {
        LoggingEvent e = event(Level.INFO, "x", null);
        e.setMDCPropertyMap(Map.of(
                "trace_id", "0af7651916cd43dd8448eb211c80319c",
                "span_id", "b7ad6b7169203331",
                "trace_flags", "01"));

        ObjectNode json = Lines.parseLine(encode(e));

        assertThat(json.get("trace_id").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(json.get("span_id").asText()).isEqualTo("b7ad6b7169203331");
        assertThat(Lines.keys(json)).doesNotContain("trace_flags");
    }

    @Test
    void errorsAddExceptionTypeMessageAndStacktrace() {
        Exception cause = new IllegalArgumentException("bad input");
        String line = encode(event(Level.ERROR, "failed", new IllegalStateException("cannot save", cause)));

        ObjectNode json = Lines.parseLine(line);

        assertThat(json.get("exception.type").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(json.get("exception.message").asText()).isEqualTo("cannot save");
        assertThat(json.get("exception.stacktrace").asText())
                .startsWith("java.lang.IllegalStateException: cannot save")
                .contains("\tat io.vigil.logback.VigilJsonEncoderTest")
                .contains("Caused by: java.lang.IllegalArgumentException: bad input");
        assertThat(line).hasLineCount(1);
    }

    @Test
    void fieldsNamedLikeSchemaFieldsAreRenamedNotDuplicated() {
        LoggingEvent e = event(Level.INFO, "real message", null);
        e.addKeyValuePair(new KeyValuePair("level", "ERROR"));
        e.addKeyValuePair(new KeyValuePair("message", "forged"));
        e.setMDCPropertyMap(Map.of("service", "other-service"));

        ObjectNode json = Lines.parseLine(encode(e));

        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("message").asText()).isEqualTo("real message");
        assertThat(json.get("service").asText()).isEqualTo("identity-service");
        assertThat(json.get("field.level").asText()).isEqualTo("ERROR");
        assertThat(json.get("field.message").asText()).isEqualTo("forged");
        assertThat(json.get("field.service").asText()).isEqualTo("other-service");
    }

    @Test
    void newlinesControlCharactersAndForgedJsonCannotBreakTheLine() {
        String hostile = "bob\n{\"level\":\"ERROR\",\"message\":\"forged\"}\r\n\u0000\u001b[31m\u2028\"}\\";
        LoggingEvent e = event(Level.INFO, "login for " + hostile, null);
        e.addKeyValuePair(new KeyValuePair("username", hostile));
        e.addKeyValuePair(new KeyValuePair(hostile, "key too"));
        e.setMDCPropertyMap(Map.of("path", hostile));

        String line = encode(e);

        assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
        assertThat(line).doesNotContain("\r", "\u0000", "\u001b", "\u2028");
        ObjectNode json = Lines.parseLine(line);
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("message").asText()).isEqualTo("login for " + hostile);
        assertThat(json.get("username").asText()).isEqualTo(hostile);
        assertThat(json.get(hostile).asText()).isEqualTo("key too");
        assertThat(json.get("path").asText()).isEqualTo(hostile);
    }

    @Test
    void c1ControlsAndBidirectionalOverridesAreEscapedSoAValueCannotSteerTheScreen() {
        // A User-Agent byte 0x9B arrives as U+009B, the 8-bit ESC [: written raw, "\u009b31m" turned a terminal red.
        // U+202E and its kin reorder the rest of the line wherever it is shown.
        String hostile = "curl \u009b31m red \u0085 \u202e gnp.exe \u2066x\u2069 \u200f \u061c end";
        LoggingEvent e = event(Level.INFO, "agent " + hostile, null);
        e.addKeyValuePair(new KeyValuePair("user_agent", hostile));

        String line = encode(e);

        for (char c : new char[] {'\u009b', '\u0085', '\u202e', '\u2066', '\u2069', '\u200f', '\u061c'}) {
            assertThat(line.indexOf(c)).as("U+%04X", (int) c).isEqualTo(-1);
        }
        assertThat(line).contains("\\u009b31m", "\\u202e");
        ObjectNode json = Lines.parseLine(line);
        assertThat(json.get("user_agent").asText()).isEqualTo(hostile);
        assertThat(json.get("message").asText()).isEqualTo("agent " + hostile);
        // Text in other scripts, right-to-left ones included, is text: not escaped.
        assertThat(encode(event(Level.INFO, "مرحبا שלום é", null))).contains("مرحبا שלום é");
    }

    @Test
    void nonAsciiTextIsValidUtf8AndUnpairedSurrogatesAreReplaced() {
        LoggingEvent e = event(Level.INFO, "héllo 世界 😀 broken\uD800end", null);

        byte[] bytes = encoder.encode(e);
        String line = new String(bytes, StandardCharsets.UTF_8);

        assertThat(StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT))
                .satisfies(d -> d.decode(java.nio.ByteBuffer.wrap(bytes)));
        assertThat(Lines.parseLine(line).get("message").asText()).isEqualTo("héllo 世界 😀 broken\uFFFDend");
    }

    @Test
    void theSameValueUnderDifferentKeysIsScrubbedPerKey() {
        String value = "s3cret-value";
        for (int i = 0; i < 3; i++) { // repeated events hit the per-thread scrub cache
            LoggingEvent e = event(Level.INFO, "x", null);
            e.addKeyValuePair(new KeyValuePair("password", value));
            e.addKeyValuePair(new KeyValuePair("note", value));
            ObjectNode json = Lines.parseLine(encode(e));
            assertThat(json.get("password").asText()).isEqualTo("[REDACTED]");
            assertThat(json.get("note").asText()).isEqualTo(value);
        }
    }

    @Test
    void suppressedExceptionMessagesAreScrubbedToo() {
        Exception main = new IllegalStateException("closing failed");
        main.addSuppressed(new RuntimeException("password=hunter2 for jane.doe@example.com"));

        ObjectNode json = Lines.parseLine(encode(event(Level.ERROR, "x", main)));

        assertThat(json.get("exception.stacktrace").asText())
                .contains("\tSuppressed: java.lang.RuntimeException: password=[REDACTED] for j***@example.com"
                        .replace("\\t", "\t"))
                .doesNotContain("hunter2", "jane.doe");
    }
}
