package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.console.internal.Records.Exemplar;
import io.vigil.console.internal.Records.LogRecord;
import io.vigil.console.internal.Records.MetricType;
import io.vigil.console.internal.Records.PointRecord;
import io.vigil.console.internal.Records.SpanEvent;
import io.vigil.console.internal.Records.SpanLink;
import io.vigil.console.internal.Records.SpanRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The store's compact form: every record decodes to one equal to what was encoded, whatever its strings and values. */
class RecordCodecTest {
    private static final Map<String, Object> RESOURCE = Map.of("service.name", "svc", "service.version", "1.2.3");

    private static SpanRecord span(long seq, String traceId, Map<String, Object> attributes) {
        return new SpanRecord(
                seq,
                traceId,
                "00f067aa0ba902b7",
                "",
                "GET /api/v1/users/me",
                2,
                "svc",
                1_700_000_000_000_000_000L + seq,
                1_700_000_000_001_000_000L + seq,
                2,
                "boom",
                attributes,
                RESOURCE,
                "io.vigil.http",
                List.of(new SpanEvent(
                        1_700_000_000_000_500_000L, "exception", Map.of("exception.type", "java.io.IOException"))),
                List.of(new SpanLink("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", Map.of("k", 1L))));
    }

    private static final List<String> STRINGS = List.of(
            "",
            "plain ascii",
            "café crème", // Latin-1
            "名前 ✓", // beyond Latin-1
            "emoji \uD83D\uDE00",
            "lone surrogate \uD800 here", // not valid UTF-16: kept as it is
            "4BF92F3577B34DA6", // upper-case hex is not an id
            "abc", // odd-length hex
            "0123456789abcdef",
            "x".repeat(5_000));

    @Test
    void everyKindOfValueComesBackEqual() {
        RecordCodec codec = new RecordCodec(1 << 20);
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("inner", List.of(1L, 2.5, true, "s"));
        nested.put("deeper", Map.of("a", "b"));
        Object[] kv = {
            "long",
            -42L,
            "max",
            Long.MAX_VALUE,
            "min",
            Long.MIN_VALUE,
            "int",
            7,
            "double",
            -0.0,
            "nan",
            Double.NaN,
            "true",
            true,
            "false",
            false,
            "list",
            List.of("a", "b", 3L),
            "empty list",
            List.of(),
            "map",
            nested
        };
        List<Object> all = new ArrayList<>(List.of(kv));
        for (int i = 0; i < STRINGS.size(); i++) {
            all.add("s" + i);
            all.add(STRINGS.get(i));
        }
        SpanRecord s = span(1, "4bf92f3577b34da6a3ce929d0e0e4736", new AttributeMap(all.toArray()));
        SpanRecord back = codec.span(codec.encode(s));
        assertThat(back).isEqualTo(s);
        // The attributes keep their order (the UI lists them as sent).
        assertThat(List.copyOf(back.attributes().keySet()))
                .isEqualTo(List.copyOf(s.attributes().keySet()));
        assertThat(back.attributes().get("int")).isInstanceOf(Integer.class);
    }

    @Test
    void stringsOfEveryShapeInEveryField() {
        RecordCodec codec = new RecordCodec(1 << 20);
        long seq = 0;
        for (String str : STRINGS) {
            SpanRecord s = new SpanRecord(
                    ++seq, str, str, str, str, 1, str, seq, seq, 0, str, Map.of(), Map.of(), str, List.of(), List.of());
            assertThat(codec.span(codec.encode(s))).isEqualTo(s);
            LogRecord l = new LogRecord(++seq, seq, 9, str, str, str, str, str, Map.of("k", str), RESOURCE, str);
            assertThat(codec.log(codec.encode(l))).isEqualTo(l);
        }
        SpanRecord nulls = new SpanRecord(
                ++seq, "", "", "", "n", 1, "svc", 0, 0, 0, null, Map.of(), RESOURCE, null, List.of(), List.of());
        assertThat(codec.span(codec.encode(nulls))).isEqualTo(nulls);
    }

    @Test
    void pointsComeBackWithTheirArrays() {
        RecordCodec codec = new RecordCodec(1 << 20);
        PointRecord histogram = new PointRecord(
                3,
                "http.server.request.duration",
                MetricType.HISTOGRAM,
                true,
                "svc",
                Map.of("http.route", "/users/me", "code", "200"),
                10,
                20,
                0,
                new double[] {0.005, 0.01, 0.1},
                new long[] {1, 0, 5, 2},
                8,
                0.42,
                null,
                List.of(new Exemplar(15, 0.02, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")));
        PointRecord summary = new PointRecord(
                4,
                "rpc.duration",
                MetricType.SUMMARY,
                false,
                "svc",
                Map.of(),
                10,
                20,
                0,
                new double[] {0.5, 0.99},
                null,
                3,
                1.5,
                new double[] {0.2, 0.9});
        PointRecord gauge = new PointRecord(
                5, "jvm.threads", MetricType.GAUGE, false, "svc", Map.of(), 0, 20, -3.25, null, null, 0, 0, null);
        for (PointRecord p : List.of(histogram, summary, gauge)) {
            byte[] b = codec.encode(p);
            PointRecord back = codec.point(b);
            assertThat(back)
                    .usingRecursiveComparison()
                    .withStrictTypeChecking()
                    .ignoringFields("labels")
                    .isEqualTo(p);
            assertThat(back.labels()).isEqualTo(p.labels());
            assertThat(codec.metric(b)).isEqualTo(p.metric());
            assertThat(codec.seq(b)).isEqualTo(p.seq());
        }
    }

    @Test
    void recurringStringsAreWrittenOnceAndUniqueValuesNeverEnterTheDictionary() {
        RecordCodec codec = new RecordCodec(1 << 20);
        Random random = new Random(1);
        int last = 0;
        String requestId = null;
        for (int i = 0; i < 2_000; i++) {
            requestId = Long.toHexString(random.nextLong()) + "-req";
            SpanRecord s = span(i + 1, traceId(i / 4), Map.of("request.id", requestId, "route", "/me"));
            byte[] b = codec.encode(s);
            assertThat(codec.span(b)).isEqualTo(s);
            last = b.length;
        }
        // Names, keys, services, the resource, the event and the link by number, the ids as their bytes: the
        // request id (20 characters) is most of what is left.
        assertThat(last).isLessThan(150);
        assertThat(codec.inDictionary("/me")).isTrue();
        // Unique request ids never went into the dictionary.
        assertThat(codec.inDictionary(requestId)).isFalse();
        assertThat(codec.dictionarySize()).isLessThan(30);
    }

    private static String traceId(long n) {
        return String.format("%032x", n + 1);
    }

    /**
     * The dictionary never gives an entry back: per-request values (the same request id in every span of its trace,
     * never again) must not take the room that values recurring across traces need, even one that starts to recur
     * late.
     */
    @Test
    void perRequestValuesDoNotCrowdOutValuesThatRecur() {
        RecordCodec codec = new RecordCodec(20_000); // room for about a hundred entries
        Map<String, String> requestIds = new LinkedHashMap<>();
        for (int t = 0; t < 20_000; t++) {
            String requestId = "req-" + t;
            requestIds.put(traceId(t), requestId);
            String route = t < 10_000 ? "/api/v1/users/" + (t % 5) : "/api/v2/late"; // recurs from halfway
            for (int i = 0; i < 3; i++) {
                Map<String, Object> attributes = Map.of(
                        "request.id", requestId, "user.id", "user-" + (t % 50), "http.route", route, "n", (long) i);
                SpanRecord s = span(3L * t + i + 1, traceId(t), attributes);
                assertThat(codec.span(codec.encode(s))).isEqualTo(s);
            }
            LogRecord log = new LogRecord(
                    t, t, 9, "INFO", "request " + requestId + " done", "svc", traceId(t), "", Map.of(), RESOURCE, "s");
            assertThat(codec.log(codec.encode(log))).isEqualTo(log);
        }
        assertThat(requestIds.values()).noneMatch(codec::inDictionary);
        assertThat(codec.inDictionary("/api/v2/late"))
                .as("a value that recurs late still finds room")
                .isTrue();
        assertThat(codec.inDictionary("/api/v1/users/3")).isTrue();
        assertThat(codec.inDictionary("user-49")).isTrue();
        assertThat(codec.dictionaryBytes()).isLessThan(20_000 / 2);
        // By number once admitted: shorter than a span whose route (of the same length) was never seen before.
        byte[] late = codec.encode(span(1, traceId(1), Map.of("http.route", "/api/v2/late")));
        byte[] unseen = codec.encode(span(2, traceId(2), Map.of("http.route", "/api/v2/xxxx")));
        assertThat(late.length).isLessThan(unseen.length - 8);
    }

    @Test
    void aFullDictionaryWritesStringsAndResourcesInFull() {
        RecordCodec codec = new RecordCodec(2_000); // room for a few entries only
        List<byte[]> encoded = new ArrayList<>();
        List<SpanRecord> spans = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Map<String, Object> resource = Map.of("service.name", "svc-" + i);
            SpanRecord s = new SpanRecord(
                    i + 1,
                    "4bf92f3577b34da6a3ce929d0e0e4736",
                    "00f067aa0ba902b7",
                    "",
                    "name-" + i,
                    1,
                    "svc-" + i,
                    0,
                    0,
                    0,
                    "",
                    Map.of("key-" + i, "value-" + i),
                    resource,
                    "scope",
                    List.of(),
                    List.of());
            spans.add(s);
            encoded.add(codec.encode(s));
        }
        assertThat(codec.dictionaryBytes()).isLessThanOrEqualTo(2_000);
        for (int i = 0; i < spans.size(); i++) {
            assertThat(codec.span(encoded.get(i))).isEqualTo(spans.get(i));
        }
    }
}
