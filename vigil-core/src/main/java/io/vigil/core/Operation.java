package io.vigil.core;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.slf4j.event.KeyValuePair;

/**
 * One domain operation of an {@link OperationKind}, with its dimension values bounded and every
 * name its telemetry uses computed once: create operations once, keep them in constants, and pass
 * them to {@link Operations} on every call. Immutable and safe to share between threads and between
 * {@link Operations} runtimes.
 *
 * <p>A closed dimension's value outside the declared set is {@code other} here. An open dimension
 * (one bounded by a number of distinct values) keeps its value here; each runtime admits the first
 * values it records and records later ones as {@code other} (its {@code
 * vigil_label_overflow_total}), so what one runtime has admitted never affects another.
 */
public final class Operation {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");

    private final OperationKind kind;
    private final String name;
    private final String[] values;
    private final String spanName;
    private final String[] messages; // the log message per outcome, built once
    // The span's attributes (dimensions and the kind's constants) as parallel arrays: set on the
    // span builder one by one, without the lambda (an allocation per span) that the builder's
    // setAllAttributes passes to Attributes.forEach.
    final AttributeKey<Object>[] spanAttributeKeys;
    final Object[] spanAttributeValues;
    // Metric attributes per instrument and outcome; reason-/error-labelled ones are filled lazily.
    private final Attributes[][] metricAttributes;
    private final Map<String, Attributes>[] keyedAttributes;
    // What every call of this operation needs, resolved once: attribute keys (an AttributeKey made
    // from a String per call allocates), the instruments each trigger records, the log fields.
    final AttributeKey<String> subjectKey;
    final AttributeKey<String> outcomeKey;
    final AttributeKey<Boolean> grantedKey;
    final AttributeKey<String> failureReasonKey;
    final AttributeKey<Double> durationKey;
    final int[] startInstruments;
    final int[] endInstruments;
    // The log event's leading fields (event_type, operation_type, the dimensions) as key-value pairs: immutable, so
    // every event of this operation shares them instead of allocating its own.
    final KeyValuePair[] constantLogPairs;
    final String subjectLogField; // user_id, or target_user_id for user operations
    final org.slf4j.event.Level successLogLevel;
    // The runtime that last ran this operation and its telemetry for the kind, so a call skips the
    // runtime's map lookup. Written racily: the holder is immutable, and another runtime's holder
    // only sends that runtime back to its map. It keeps that runtime reachable until another one
    // runs the operation: a service has one; a test suite keeps at most one closed one per constant.
    Operations.RuntimeTelemetry lastRuntime;

    // Bounding that is the same for every runtime, done once: a bit per dimension whose value is
    // {@code other} because it was outside the bounds (counted by the runtime at each recording),
    // and the indices of the open dimensions whose values each runtime admits or not.
    final int overflowed;
    final int[] openDimensions;
    // The same operation with some open values recorded as other: index = bit j set when open
    // dimension j was not admitted; built once, when a runtime first needs it (a benign race).
    private final Operation[] variants;

    Operation(OperationKind kind, String name, String... rawValues) {
        this(kind, checkedName(kind, name, rawValues), bound(kind, rawValues), -1);
    }

    private static String checkedName(OperationKind kind, String name, String[] rawValues) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("operation name must be a short identifier: " + name);
        }
        List<OperationKind.Dimension> dims = kind.dimensions();
        if (rawValues.length != dims.size()) {
            throw new IllegalArgumentException(kind.name() + " operations take " + dims.size() + " dimension values "
                    + dimensionLabels(dims) + ", got " + Arrays.toString(rawValues));
        }
        return name;
    }

    /** The values bounded as far as no runtime is involved: closed sets, and label-safe open values. */
    private static String[] bound(OperationKind kind, String[] rawValues) {
        String[] bounded = new String[rawValues.length];
        for (int i = 0; i < rawValues.length; i++) {
            OperationKind.Dimension d = kind.dimensions().get(i);
            String value = rawValues[i] == null ? "" : rawValues[i].toLowerCase(Locale.ROOT);
            boolean admissible =
                    d.values().isEmpty() ? isLabelSafe(value) : d.values().contains(value);
            bounded[i] = admissible ? value : OTHER_MARK;
        }
        return bounded;
    }

    // Marks a value bounded to other before the constructor records which dimension overflowed.
    private static final String OTHER_MARK = new String(OperationKind.OTHER);

    /**
     * @param boundedValues values, {@link #OTHER_MARK} where out of bounds
     * @param deniedOpen for a variant, the open dimensions (bit j: {@code openDimensions[j]}) a runtime
     *     did not admit; -1 for the operation as described
     */
    @SuppressWarnings("unchecked")
    private Operation(OperationKind kind, String name, String[] boundedValues, int deniedOpen) {
        this.kind = kind;
        this.name = name;
        List<OperationKind.Dimension> dims = kind.dimensions();
        this.values = new String[boundedValues.length];
        int overflow = 0;
        int open = 0;
        int[] openIndices = new int[boundedValues.length];
        for (int i = 0; i < boundedValues.length; i++) {
            if (boundedValues[i] == OTHER_MARK) {
                overflow |= 1 << i;
                values[i] = OperationKind.OTHER;
            } else {
                values[i] = boundedValues[i];
                if (dims.get(i).values().isEmpty()) {
                    if (deniedOpen > 0 && (deniedOpen & (1 << open)) != 0) {
                        values[i] = OperationKind.OTHER;
                    }
                    openIndices[open++] = i;
                }
            }
        }
        this.overflowed = overflow;
        this.openDimensions = deniedOpen < 0 ? Arrays.copyOf(openIndices, open) : new int[0];
        this.variants = deniedOpen < 0 && open > 0 ? new Operation[1 << open] : null;
        this.spanName = kind.spanName(this);
        this.messages = new String[Outcome.values().length];
        for (Outcome o : Outcome.values()) {
            messages[o.ordinal()] = spanName + " " + o.label();
        }
        AttributesBuilder span = Attributes.builder();
        for (int i = 0; i < values.length; i++) {
            span.put(dims.get(i).spanAttribute(), values[i]);
        }
        for (OperationKind.SpanAttribute a : kind.constantSpanAttributes()) {
            putTyped(span, a.key(), a.value());
        }
        Attributes spanAttributes = span.build();
        this.spanAttributeKeys = (AttributeKey<Object>[]) new AttributeKey<?>[spanAttributes.size()];
        this.spanAttributeValues = new Object[spanAttributes.size()];
        int[] n = {0};
        spanAttributes.forEach((k, v) -> {
            spanAttributeKeys[n[0]] = (AttributeKey<Object>) k;
            spanAttributeValues[n[0]++] = v;
        });
        List<OperationKind.Instrument> instruments = kind.instruments();
        this.metricAttributes = new Attributes[instruments.size()][];
        this.keyedAttributes = (Map<String, Attributes>[]) new Map<?, ?>[instruments.size()];
        for (int i = 0; i < instruments.size(); i++) {
            OperationKind.Instrument instrument = instruments.get(i);
            if (instrument.labels().contains("reason") || instrument.labels().contains("error_type")) {
                keyedAttributes[i] = new ConcurrentHashMap<>();
            } else {
                metricAttributes[i] = new Attributes[Outcome.values().length];
                for (Outcome o : Outcome.values()) {
                    metricAttributes[i][o.ordinal()] = metricAttributes(instrument, o, null, null);
                }
            }
        }
        this.subjectKey = key(kind.subjectSpanAttribute());
        boolean granted = kind.outcomeEncoding() == OperationKind.OutcomeEncoding.GRANTED;
        this.outcomeKey = granted ? null : key(kind.outcomeSpanAttribute());
        this.grantedKey = granted && kind.outcomeSpanAttribute() != null
                ? AttributeKey.booleanKey(kind.outcomeSpanAttribute())
                : null;
        this.failureReasonKey = key(kind.failureReasonSpanAttribute());
        this.durationKey =
                kind.durationSpanAttribute() == null ? null : AttributeKey.doubleKey(kind.durationSpanAttribute());
        this.startInstruments = instrumentsFiring(instruments, true);
        this.endInstruments = instrumentsFiring(instruments, false);
        List<String> fields = new java.util.ArrayList<>();
        if (values.length > 0 && !dims.getFirst().logField().equals("operation_type")) {
            fields.add("operation_type");
            fields.add(values[0]);
        }
        for (int i = 0; i < values.length; i++) {
            fields.add(dims.get(i).logField());
            fields.add(values[i]);
        }
        String[] logFields = fields.toArray(String[]::new); // alternating name, value
        this.constantLogPairs = new KeyValuePair[1 + logFields.length / 2];
        constantLogPairs[0] = new KeyValuePair("event_type", kind.eventType());
        for (int i = 0; i < logFields.length; i += 2) {
            constantLogPairs[1 + i / 2] = new KeyValuePair(logFields[i], logFields[i + 1]);
        }
        this.subjectLogField = "user.target.id".equals(kind.subjectSpanAttribute()) ? "target_user_id" : "user_id";
        this.successLogLevel = kind.successLogLevel(this);
    }

    /**
     * This operation with the open dimensions of {@code denied} (bit j: {@code openDimensions[j]})
     * recorded as {@code other}; built once per combination and kept.
     */
    Operation variant(int denied) {
        Operation v = variants[denied];
        if (v == null) {
            String[] bounded = values.clone();
            for (int i = 0; i < bounded.length; i++) {
                if ((overflowed & (1 << i)) != 0) {
                    bounded[i] = OTHER_MARK;
                }
            }
            v = new Operation(kind, name, bounded, denied);
            variants[denied] = v;
        }
        return v;
    }

    private static AttributeKey<String> key(String name) {
        return name == null ? null : AttributeKey.stringKey(name);
    }

    /** Indices of the instruments that apply to this operation and fire at its start (or else at its end). */
    private int[] instrumentsFiring(List<OperationKind.Instrument> instruments, boolean atStart) {
        return java.util.stream.IntStream.range(0, instruments.size())
                .filter(i -> (instruments.get(i).trigger() == OperationKind.Trigger.START) == atStart
                        && instruments.get(i).appliesTo(this))
                .toArray();
    }

    private static String dimensionLabels(List<OperationKind.Dimension> dims) {
        return dims.stream().map(OperationKind.Dimension::label).toList().toString();
    }

    /** The kind this operation belongs to, which names all of its telemetry. */
    public OperationKind kind() {
        return kind;
    }

    /** The code-level operation name, e.g. {@code authenticate_user}. */
    public String name() {
        return name;
    }

    /** The bounded value of dimension {@code index} (declared order). */
    public String value(int index) {
        return values[index];
    }

    /** The bounded value of the dimension labelled {@code label}. */
    public String value(String label) {
        int i = kind.dimensionIndex(label);
        if (i < 0) {
            throw new IllegalArgumentException(kind.name() + " has no dimension " + label);
        }
        return values[i];
    }

    /** The span name, e.g. {@code auth.login.authenticate_user}. */
    public String spanName() {
        return spanName;
    }

    String message(Outcome outcome) {
        return messages[outcome.ordinal()];
    }

    int dimensionCount() {
        return values.length;
    }

    /** Pre-bound attributes of instrument {@code index} for this outcome, reason and error type. */
    Attributes metricAttributes(int index, Outcome outcome, String reason, String errorType) {
        Attributes[] byOutcome = metricAttributes[index];
        if (byOutcome != null) {
            return byOutcome[outcome.ordinal()];
        }
        String key = outcome.ordinal() + "|" + reason + "|" + errorType;
        return keyedAttributes[index].computeIfAbsent(
                key, k -> metricAttributes(kind.instruments().get(index), outcome, reason, errorType));
    }

    private Attributes metricAttributes(
            OperationKind.Instrument instrument, Outcome outcome, String reason, String errorType) {
        AttributesBuilder b = Attributes.builder();
        for (String label : instrument.labels()) {
            String value;
            if (label.equals(kind.outcomeLabel())) {
                value = kind.outcomeLabelValue(outcome);
            } else if (label.equals("reason")) {
                value = reason == null ? OperationKind.OTHER : reason;
            } else if (label.equals("error_type")) {
                value = errorType == null ? OperationKind.OTHER : errorType;
            } else {
                value = values[kind.dimensionIndex(label)];
            }
            b.put(AttributeKey.stringKey(label), value);
        }
        return b.build();
    }

    static void putTyped(AttributesBuilder b, String key, Object value) {
        switch (value) {
            case Boolean v -> b.put(AttributeKey.booleanKey(key), v);
            case Long v -> b.put(AttributeKey.longKey(key), v);
            case Integer v -> b.put(AttributeKey.longKey(key), v.longValue());
            case Double v -> b.put(AttributeKey.doubleKey(key), v);
            case Float v -> b.put(AttributeKey.doubleKey(key), v.doubleValue());
            default -> b.put(AttributeKey.stringKey(key), String.valueOf(value));
        }
    }

    @Override
    public String toString() {
        return spanName;
    }

    /**
     * One runtime's bounds of a kind's open dimensions — the values admitted so far — and its count
     * of values recorded as {@code other}. Owned by an {@link Operations} instance, so admissions
     * and counts never leak between runtimes (or tests).
     */
    static final class DimensionGuards {
        private final OperationKind kind;
        private final Set<String>[] admitted;
        final LongAdder[] overflows;

        @SuppressWarnings("unchecked")
        DimensionGuards(OperationKind kind) {
            this.kind = kind;
            int n = kind.dimensions().size();
            this.admitted = (Set<String>[]) new Set<?>[n];
            this.overflows = new LongAdder[n];
            for (int i = 0; i < n; i++) {
                admitted[i] = ConcurrentHashMap.newKeySet();
                overflows[i] = new LongAdder();
            }
        }

        /**
         * The operation as this runtime records it: open values past the bound become {@code other},
         * and every value recorded as {@code other} is counted. Allocates nothing once the variant
         * exists: set lookups and adder increments.
         */
        Operation bound(Operation operation) {
            int overflowed = operation.overflowed;
            if (overflowed != 0) {
                for (int i = 0; i < overflows.length; i++) {
                    if ((overflowed & (1 << i)) != 0) {
                        overflows[i].increment();
                    }
                }
            }
            int[] open = operation.openDimensions;
            int denied = 0;
            for (int j = 0; j < open.length; j++) {
                int i = open[j];
                if (!admit(i, operation.value(i))) {
                    overflows[i].increment();
                    denied |= 1 << j;
                }
            }
            return denied == 0 ? operation : operation.variant(denied);
        }

        private boolean admit(int index, String value) {
            Set<String> set = admitted[index];
            // The size check and the add race: under contention a few more than maxDistinct may be
            // admitted, which bounds the series just the same.
            return set.contains(value)
                    || (set.size() < kind.dimensions().get(index).maxDistinct() && set.add(value));
        }
    }

    /** Open dimensions admit identifiers only: never an email, path or free text. */
    private static boolean isLabelSafe(String value) {
        if (value.isEmpty() || value.length() > 64) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) {
                return false;
            }
        }
        return true;
    }
}
