package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import io.vigil.core.Scrubber;
import io.vigil.core.VigilConfig;
import io.vigil.logback.internal.Hostnames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.slf4j.event.KeyValuePair;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The rendered bytes of a set of representative events — access-log lines with and without a user agent, 4xx and
 * 5xx with a fault, MDC fields, reserved names, unicode and escapes, every number type, huge values, timestamps at
 * the edges — compared with lines captured from the encoder before its rendering was rewritten for speed
 * ({@code src/test/resources/golden/}). Not one byte may change. Each case is rendered three times, the second time
 * from new String instances of the same text, so the renderer's caches (hit and miss) are covered.
 *
 * <p>To capture anew (only when the output is meant to change): {@code -Dvigil.golden.capture=<dir>} writes the
 * files into {@code <dir>} instead of comparing.
 */
class GoldenLinesTest {
    private static final String CAPTURE = System.getProperty("vigil.golden.capture");
    private static final SpanContext SPAN = SpanContext.create(
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());

    private final LoggerContext context = TestContexts.create();
    private VigilLogging logging;

    @AfterEach
    void tearDown() {
        if (logging != null) {
            logging.close();
        }
        MDC.clear();
    }

    private static VigilJsonEncoder json(LoggerContext context, Scrubber scrubber) {
        VigilJsonEncoder e = new VigilJsonEncoder();
        e.setService("identity-service");
        e.setEnvironment("production");
        e.setHostname("pod-7f9c");
        e.setScrubber(scrubber);
        e.setContext(context);
        e.start();
        return e;
    }

    private static VigilTextEncoder text(LoggerContext context) {
        VigilTextEncoder e = new VigilTextEncoder();
        e.setService("identity-service");
        e.setEnvironment("production");
        e.setHostname("pod-7f9c");
        e.setContext(context);
        e.start();
        return e;
    }

    @Test
    void encodedEventsAreByteForByteTheCapturedOnes() throws IOException {
        Scrubber custom = Scrubber.builder()
                .addSensitiveKeyPart("status")
                .addEmailKey("contact")
                .allowKey("token.type")
                .build();
        VigilJsonEncoder defaults = json(context, Scrubber.defaults());
        VigilJsonEncoder customised = json(context, custom);
        VigilTextEncoder textual = text(context);
        ByteArrayOutputStream jsonOut = new ByteArrayOutputStream();
        ByteArrayOutputStream textOut = new ByteArrayOutputStream();
        ByteArrayOutputStream customOut = new ByteArrayOutputStream();
        for (int pass = 0; pass < 3; pass++) {
            for (LoggingEvent e : events(pass == 1)) {
                jsonOut.write(defaults.encode(e));
                customOut.write(customised.encode(e));
                textOut.write(textual.encode(e));
            }
            // outside any span: the trace fields come from the current span when the MDC has none
            try (Scope ignored = Span.wrap(SPAN).makeCurrent()) {
                LoggingEvent e = event(Level.INFO, "vigil.http.access", "GET /health 200", null);
                e.addKeyValuePair(new KeyValuePair("status_code", 200));
                jsonOut.write(defaults.encode(e));
                textOut.write(textual.encode(e));
            }
        }
        check("encoder.jsonl", jsonOut.toByteArray());
        check("encoder-custom-scrubber.jsonl", customOut.toByteArray());
        check("encoder.txt", textOut.toByteArray());
    }

    /**
     * Access-log lines as {@code HttpServerTelemetry} writes them (SLF4J's fluent API on {@code vigil.http.access}),
     * inside a request's span and MDC, through the chain {@link VigilLogging} installs; only the timestamp, taken by
     * Logback when the event is made, and the machine's host name are replaced before comparing.
     */
    @Test
    void accessLogLinesThroughTheInstalledChainAreTheCapturedOnes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        logging = VigilLogging.builder(VigilConfig.builder()
                        .serviceName("identity-service")
                        .environment("production")
                        .lokiEnabled(false)
                        .build())
                .loggerContext(context)
                .output(out)
                .install();
        org.slf4j.Logger access = context.getLogger("vigil.http.access");
        for (int pass = 0; pass < 3; pass++) {
            try (Scope ignored = Span.wrap(SPAN).makeCurrent()) {
                Map<String, String> mdc = new LinkedHashMap<>();
                mdc.put("request_id", "550e8400-e29b-41d4-a716-44665544000" + pass);
                mdc.put("method", "GET");
                mdc.put("path", "/api/v1/users/42");
                mdc.put("endpoint", "/api/v1/users/{id}");
                mdc.put("ip_address", "10.1.2.3");
                MDC.setContextMap(mdc);
                accessLog(
                        access,
                        Level.INFO,
                        200,
                        0.000_734_512,
                        -1,
                        20,
                        "Mozilla/5.0 (X11; Linux x86_64)",
                        null,
                        "GET /api/v1/users/{id} 200");
                accessLog(access, Level.INFO, 201, 1.0, 512, 0, null, null, "POST /api/v1/users 201");
                MDC.put("user_id", "u-42");
                MDC.put("email", "mario@mushroom.example");
                accessLog(
                        access,
                        Level.WARN,
                        404,
                        0.0123,
                        0,
                        9,
                        "curl/8.5.0 \"quoted\" \\ é 日本 😀",
                        null,
                        "GET unmatched 404");
                accessLog(access, Level.ERROR, 500, 12.5, 3, 1_234_567_890_123L, "bot", fault(), "GET /boom 500");
                accessLog(access, Level.INFO, 200, 1.0E-7, -1, -1, "x".repeat(256), null, "GET /tiny 200");
                MDC.put("message", "forged");
                MDC.put("trace_id", SPAN.getTraceId());
                accessLog(
                        access,
                        Level.INFO,
                        302,
                        123_456.789,
                        -1,
                        0,
                        "agent\n\t\u2028\u0001",
                        null,
                        "GET /redirect 302");
            }
            MDC.clear();
            access.atInfo().addKeyValue("status_code", 200).log("outside a request");
        }
        logging.close();
        String lines = out.toString(StandardCharsets.UTF_8)
                .replaceAll(
                        "\"timestamp\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\"", "\"timestamp\":\"T\"")
                .replace("\"hostname\":\"" + Hostnames.local() + "\"", "\"hostname\":\"H\"");
        check("chain.jsonl", lines.getBytes(StandardCharsets.UTF_8));
    }

    private static void accessLog(
            org.slf4j.Logger log,
            Level level,
            int status,
            double seconds,
            long requestBytes,
            long responseBytes,
            String agent,
            Throwable fault,
            String message) {
        LoggingEventBuilder event = log.atLevel(org.slf4j.event.Level.valueOf(level.levelStr))
                .addKeyValue("event_type", "http_request")
                .addKeyValue("status_code", status)
                .addKeyValue("duration_seconds", seconds);
        if (requestBytes >= 0) {
            event = event.addKeyValue("request_size_bytes", requestBytes);
        }
        if (responseBytes >= 0) {
            event = event.addKeyValue("response_size_bytes", responseBytes);
        }
        if (agent != null) {
            event = event.addKeyValue("user_agent", Scrubber.defaults().scrubText(agent));
        }
        if (fault != null) {
            event = event.setCause(fault);
        }
        event.log(message);
    }

    private static Throwable fault() {
        IllegalStateException e = new IllegalStateException(
                "lookup of mario@mushroom.example failed: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl");
        e.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("io.example.Users", "find", "Users.java", 42),
            new StackTraceElement("io.example.Api", "handle", "Api.java", 7),
        });
        IllegalArgumentException cause = new IllegalArgumentException("password=hunter2 in \"config\"");
        cause.setStackTrace(new StackTraceElement[] {new StackTraceElement("io.example.Config", "read", null, -1)});
        e.initCause(cause);
        return e;
    }

    private LoggingEvent event(Level level, String logger, String message, Throwable t) {
        Logger l = context.getLogger(logger);
        LoggingEvent e = new LoggingEvent(Logger.FQCN, l, level, message, t, null);
        e.setTimeStamp(1_700_000_000_123L);
        return e;
    }

    /** The events; with {@code fresh}, every string a new instance (no identity cache can hit). */
    private List<LoggingEvent> events(boolean fresh) {
        List<LoggingEvent> events = new ArrayList<>();
        java.util.function.UnaryOperator<String> s = fresh ? v -> v == null ? null : new String(v) : v -> v;

        // access log, 200, with user agent, MDC of a request and trace fields
        LoggingEvent ok = event(Level.INFO, "vigil.http.access", s.apply("GET /api/v1/users/{id} 200"), null);
        Map<String, String> mdc = new LinkedHashMap<>();
        mdc.put(s.apply("request_id"), s.apply("550e8400-e29b-41d4-a716-446655440000"));
        mdc.put("method", "GET");
        mdc.put("path", s.apply("/api/v1/users/42"));
        mdc.put("endpoint", "/api/v1/users/{id}");
        mdc.put("ip_address", s.apply("10.1.2.3"));
        mdc.put("trace_id", s.apply("0af7651916cd43dd8448eb211c80319c"));
        mdc.put("span_id", s.apply("b7ad6b7169203331"));
        mdc.put("trace_flags", "01");
        ok.setMDCPropertyMap(mdc);
        ok.addKeyValuePair(new KeyValuePair("event_type", "http_request"));
        ok.addKeyValuePair(new KeyValuePair("status_code", 200));
        ok.addKeyValuePair(new KeyValuePair("duration_seconds", 0.000734512));
        ok.addKeyValuePair(new KeyValuePair("response_size_bytes", 20L));
        ok.addKeyValuePair(new KeyValuePair("user_agent", s.apply("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0")));
        events.add(ok);

        // 404 without user agent, user id and an email in the MDC, request size
        LoggingEvent notFound = event(Level.WARN, "vigil.http.access", "GET unmatched 404", null);
        notFound.setTimeStamp(1_700_000_000_999L);
        Map<String, String> mdc2 = new LinkedHashMap<>(mdc);
        mdc2.put("user_id", "u-42");
        mdc2.put("email", s.apply("Mario@Mushroom.Example"));
        mdc2.put("session_token", "abc123");
        mdc2.put("note", null);
        notFound.setMDCPropertyMap(mdc2);
        notFound.addKeyValuePair(new KeyValuePair("event_type", "http_request"));
        notFound.addKeyValuePair(new KeyValuePair("status_code", 404));
        notFound.addKeyValuePair(new KeyValuePair("duration_seconds", 0.0123));
        notFound.addKeyValuePair(new KeyValuePair("request_size_bytes", 0L));
        notFound.addKeyValuePair(new KeyValuePair("response_size_bytes", 9L));
        events.add(notFound);

        // 500 with a fault: exception fields, scrubbed
        LoggingEvent error = event(Level.ERROR, "vigil.http.access", "GET /boom 500", fault());
        error.setTimeStamp(1_700_000_001_000L);
        error.setMDCPropertyMap(mdc);
        error.addKeyValuePair(new KeyValuePair("event_type", "http_request"));
        error.addKeyValuePair(new KeyValuePair("status_code", 500));
        error.addKeyValuePair(new KeyValuePair("duration_seconds", 12.5));
        error.addKeyValuePair(new KeyValuePair("user_agent", "bot"));
        events.add(error);

        // reserved names in key-value pairs and MDC; duplicate keys; null key and value
        LoggingEvent reserved = event(Level.INFO, "io.example.Users", "user {} created", null);
        reserved.setArgumentArray(new Object[] {s.apply("jane@example.com")});
        Map<String, String> mdc3 = new LinkedHashMap<>();
        mdc3.put("timestamp", "forged");
        mdc3.put("level", "forged");
        mdc3.put("status_code", "from-mdc");
        mdc3.put(null, "nullkey");
        reserved.setMDCPropertyMap(mdc3);
        reserved.addKeyValuePair(new KeyValuePair("message", "forged message"));
        reserved.addKeyValuePair(new KeyValuePair("trace_id", "forged"));
        reserved.addKeyValuePair(new KeyValuePair("exception.type", 7));
        reserved.addKeyValuePair(new KeyValuePair("status_code", 201));
        reserved.addKeyValuePair(new KeyValuePair("status_code", 202));
        reserved.addKeyValuePair(new KeyValuePair(null, "no key"));
        reserved.addKeyValuePair(null);
        reserved.addKeyValuePair(new KeyValuePair("nothing", null));
        events.add(reserved);

        // unicode and escapes in the message, a value and a key
        String weird = "é 日本 😀 \" \\ \n \r \t \b \f \u0000 \u001f \u007f \u0085 \u2028 \u2029 \ud800 x \udc00 end";
        LoggingEvent unicode = event(Level.DEBUG, "io.example.Ünïcode", s.apply(weird), null);
        unicode.setTimeStamp(0L);
        unicode.addKeyValuePair(new KeyValuePair(s.apply("ключ \"q\""), s.apply(weird)));
        unicode.addKeyValuePair(new KeyValuePair("user_agent", s.apply("Mozilla/5.0 ünï 😀")));
        events.add(unicode);

        // every number type, under plain, sensitive and email keys
        LoggingEvent numbers = event(Level.TRACE, "io.example.Numbers", "numbers", null);
        numbers.setTimeStamp(-1L);
        Object[][] values = {
            {"i", Integer.MIN_VALUE},
            {"i2", Integer.MAX_VALUE},
            {"l", Long.MIN_VALUE},
            {"l2", Long.MAX_VALUE},
            {"l3", 0L},
            {"l4", -7L},
            {"s", (short) -3},
            {"b", (byte) 5},
            {"d0", 0.0},
            {"d1", -0.0},
            {"d2", 1.0},
            {"d3", 1e15},
            {"d4", 1e16},
            {"d5", 1.0E-5},
            {"d6", 0.1 + 0.2},
            {"d7", Double.NaN},
            {"d8", Double.POSITIVE_INFINITY},
            {"d9", Double.NEGATIVE_INFINITY},
            {"d10", Double.MIN_VALUE},
            {"d11", Double.MAX_VALUE},
            {"d12", -123.456},
            {"d13", 999_999_999_999_999.0},
            {"d14", 0.001},
            {"d15", 1234567.0},
            {"d16", 1.0E7},
            {"d17", 12345678.9},
            {"f", 1.1f},
            {"f2", Float.NaN},
            {"f3", 3.0f},
            {"bd", new BigDecimal("12.50")},
            {"bi", new BigInteger("123456789012345678901234567890")},
            {"ai", new AtomicInteger(3)},
            {"al", new AtomicLong(-4)},
            {"t", true},
            {"fa", false},
            {"token_count", 3},
            {"duration_token", 0.5},
            {"email", 42},
            {"contact", 7},
            {"status", 200},
            {"obj", List.of("a", "b@example.com")},
            {"chars", new StringBuilder("sb \"x\"")},
        };
        for (Object[] v : values) {
            numbers.addKeyValuePair(new KeyValuePair((String) v[0], v[1]));
        }
        events.add(numbers);

        // the durations an access log sees
        double[] durations = {
            0.000_012_345,
            0.000_1,
            0.000_734_512_3,
            0.002,
            0.015_625,
            0.1,
            0.25,
            0.999_999_9,
            1.5,
            2.000_000_001,
            59.999,
            3600.0,
            1.0E-9,
            4.9E-324,
            1.7976931348623157E308
        };
        for (int i = 0; i < durations.length; i++) {
            LoggingEvent d = event(Level.INFO, "vigil.http.access", "GET /d 200", null);
            d.setTimeStamp(1_700_000_000_000L + i * 7L);
            d.addKeyValuePair(new KeyValuePair("status_code", 200 + i));
            d.addKeyValuePair(new KeyValuePair("duration_seconds", durations[i]));
            d.addKeyValuePair(new KeyValuePair("response_size_bytes", (long) i * 1000 - 1));
            events.add(d);
        }

        // timestamps at the edges
        long[] stamps = {
            0L,
            999L,
            1000L,
            -1000L,
            -86_400_001L,
            253_402_300_799_999L,
            253_402_300_800_000L,
            -62_135_596_800_001L,
            951_782_400_000L,
            4_102_444_800_123L
        };
        for (long t : stamps) {
            LoggingEvent e = event(Level.INFO, "io.example.Time", "tick", null);
            e.setTimeStamp(t);
            events.add(e);
        }

        // huge values: a long user agent and message, more keys than the renderer tracks
        LoggingEvent huge =
                event(Level.INFO, "vigil.http.access", s.apply("lorem ipsum ".repeat(6_000) + "a@b.example"), null);
        huge.addKeyValuePair(new KeyValuePair("user_agent", s.apply("Agent/1.0 ".repeat(2_000))));
        for (int i = 0; i < 80; i++) {
            huge.addKeyValuePair(new KeyValuePair("k" + (i % 70), i));
        }
        Map<String, String> bigMdc = new LinkedHashMap<>();
        for (int i = 0; i < 70; i++) {
            bigMdc.put("k" + i, "mdc" + i);
        }
        huge.setMDCPropertyMap(bigMdc);
        events.add(huge);

        // scrubbing in the message and values
        LoggingEvent secrets = event(
                Level.WARN,
                "io.example.Auth",
                s.apply("login for joe@example.org with Authorization: Bearer abc.def.ghi card 4111 1111 1111 1111"),
                null);
        secrets.addKeyValuePair(new KeyValuePair("password", "hunter2"));
        secrets.addKeyValuePair(new KeyValuePair("user.email", s.apply("joe@example.org")));
        secrets.addKeyValuePair(new KeyValuePair("path", s.apply("/users/mario%40mushroom.example?x=1")));
        secrets.addKeyValuePair(new KeyValuePair("token.type", "bearer"));
        secrets.addKeyValuePair(new KeyValuePair("contact", s.apply("x@y.example")));
        secrets.addKeyValuePair(new KeyValuePair("ssn_hint", "123-45-6789"));
        secrets.addKeyValuePair(new KeyValuePair("status", "active"));
        events.add(secrets);

        // a level outside the usual five, and an empty message
        LoggingEvent off = event(Level.OFF, "io.example.Off", "", null);
        events.add(off);
        LoggingEvent nullMessage = event(Level.INFO, "io.example.Null", null, null);
        events.add(nullMessage);
        return events;
    }

    /** Compares with {@code golden/<name>.gz} (gzipped: the huge values repeat), or captures it. */
    private static void check(String name, byte[] actual) throws IOException {
        if (CAPTURE != null) {
            Path dir = Path.of(CAPTURE);
            Files.createDirectories(dir);
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".gz")))) {
                out.write(actual);
            }
            return;
        }
        byte[] expected;
        try (InputStream in = GoldenLinesTest.class.getResourceAsStream("/golden/" + name + ".gz")) {
            assertThat(in).as("golden/" + name + ".gz").isNotNull();
            expected = new GZIPInputStream(in).readAllBytes();
        }
        // Line by line first, for a readable failure; then the whole, byte for byte.
        String[] e = new String(expected, StandardCharsets.UTF_8).split("\n", -1);
        String[] a = new String(actual, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < Math.min(e.length, a.length); i++) {
            assertThat(a[i]).as(name + " line " + (i + 1)).isEqualTo(e[i]);
        }
        assertThat(actual).as(name).isEqualTo(expected);
    }
}
