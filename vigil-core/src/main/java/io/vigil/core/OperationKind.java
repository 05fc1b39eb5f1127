package io.vigil.core;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A kind of domain operation and every name its telemetry uses — span name and attributes, metric
 * instruments and labels, log event fields — declared once, so the three signals cannot drift
 * apart. vigil-core defines the generic kinds {@link DatabaseOperation} and {@link
 * MessageConsumption}; domain kinds live in convention modules (the identity kinds in {@code
 * vigil-conventions-identity}) or in the service itself: a new kind is one small class holding one
 * {@code OperationKind} built with {@link #builder(String)}. A kind is immutable and holds no
 * runtime state, so one constant serves every {@link Operations} runtime.
 *
 * <p>Every label value comes from a bounded set: a dimension declares its allowed values (or a cap
 * on distinct values), failure reasons are declared, and anything else becomes {@code other}.
 */
public final class OperationKind {
    /** Label value for anything outside a declared set. */
    public static final String OTHER = "other";

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

    /** Which per-family switch of the contract turns this kind's metrics off. */
    public enum MetricFamily {
        /** {@code ENABLE_BUSINESS_METRICS} */
        BUSINESS,
        /** {@code ENABLE_DATABASE_METRICS} */
        DATABASE
    }

    /** How an outcome is written as a metric label and span attribute. */
    public enum OutcomeEncoding {
        /** {@code success} / {@code failure} / {@code error}, a string span attribute. */
        STATUS,
        /** {@code true} on success, {@code false} otherwise; a boolean span attribute. */
        GRANTED
    }

    /** When an instrument records. */
    public enum Trigger {
        /** Every operation, at its end. */
        END,
        /** Every operation, when it starts. */
        START,
        /** Operations ending in {@link Outcome#FAILURE}. */
        FAILURE,
        /** Operations ending in {@link Outcome#ERROR}. */
        ERROR
    }

    /** Instrument types. */
    public enum InstrumentType {
        COUNTER,
        HISTOGRAM
    }

    /**
     * One bounded dimension of a kind.
     *
     * @param label metric label name
     * @param spanAttribute span attribute key
     * @param logField log event field name
     * @param values allowed values, or empty when {@code maxDistinct} bounds them instead
     * @param maxDistinct for open sets: how many distinct values are admitted before {@code other}
     */
    public record Dimension(String label, String spanAttribute, String logField, Set<String> values, int maxDistinct) {
        /** Rejects {@code null} names and copies {@code values}, so a dimension is immutable. */
        public Dimension {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(spanAttribute, "spanAttribute");
            Objects.requireNonNull(logField, "logField");
            values = Set.copyOf(values);
            if (values.isEmpty() && maxDistinct <= 0) {
                throw new IllegalArgumentException(
                        "dimension " + label + " needs allowed values or a maxDistinct bound");
            }
        }
    }

    /**
     * One metric instrument of a kind. Label names refer to dimension labels, the outcome label,
     * {@code reason} (the failure reason) or {@code error_type} (the exception's simple class name).
     *
     * @param name Prometheus exposition name ({@code *_total} counters, {@code *_seconds} histograms)
     */
    public record Instrument(
            String name,
            InstrumentType type,
            String description,
            List<String> labels,
            Trigger trigger,
            Map<String, String> onlyWhen) {
        /**
         * Rejects {@code null} names and types and copies the label list and {@code onlyWhen}, so an instrument is
         * immutable.
         */
        public Instrument {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(description, "description");
            labels = List.copyOf(labels);
            Objects.requireNonNull(trigger, "trigger");
            onlyWhen = Map.copyOf(onlyWhen);
        }

        /** Whether this instrument records for {@code operation} (its {@link #onlyWhen} condition). */
        public boolean appliesTo(Operation operation) {
            for (Map.Entry<String, String> e : onlyWhen.entrySet()) {
                if (!e.getValue().equals(operation.value(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
    }

    private final String name;
    private final String eventType;
    private final MetricFamily family;
    private final List<Dimension> dimensions;
    private final Function<Operation, String> spanName;
    private final String outcomeLabel;
    private final String outcomeSpanAttribute;
    private final OutcomeEncoding outcomeEncoding;
    private final String failureReasonSpanAttribute;
    private final Set<String> failureReasons;
    private final String durationSpanAttribute;
    private final String subjectSpanAttribute;
    private final List<Instrument> instruments;
    private final List<SpanAttribute> constantSpanAttributes;
    private final org.slf4j.event.Level successLogLevel;
    private final Map<String, Set<String>> routineSuccesses;

    /** A span attribute every span of the kind carries. */
    public record SpanAttribute(String key, Object value) {}

    private OperationKind(Builder b) {
        this.name = b.name;
        this.eventType = b.eventType != null ? b.eventType : b.name;
        this.family = b.family;
        this.dimensions = List.copyOf(b.dimensions);
        // A kind declared without a span name (the first thing a new kind leaves out) failed here with a bare
        // NullPointerException "spanName": it gets <kind>.<operation> instead, e.g. payment.charge_card.
        String kindName = b.name;
        this.spanName = b.spanName != null ? b.spanName : op -> kindName + "." + op.name();
        this.outcomeLabel = b.outcomeLabel;
        this.outcomeSpanAttribute = b.outcomeSpanAttribute;
        this.outcomeEncoding = b.outcomeEncoding;
        this.failureReasonSpanAttribute = b.failureReasonSpanAttribute;
        this.failureReasons = Set.copyOf(b.failureReasons);
        this.durationSpanAttribute = b.durationSpanAttribute;
        this.subjectSpanAttribute = b.subjectSpanAttribute;
        this.instruments = List.copyOf(b.instruments);
        this.constantSpanAttributes = List.copyOf(b.constantSpanAttributes);
        this.successLogLevel = b.successLogLevel;
        this.routineSuccesses = Map.copyOf(b.routineSuccesses);
        // Operations keep a bit per dimension, and a variant per combination of open dimensions.
        if (dimensions.size() > 16
                || dimensions.stream().filter(d -> d.values().isEmpty()).count() > 4) {
            throw new IllegalArgumentException("kind " + name + " declares more than 16 dimensions or 4 open ones");
        }
        for (String label : routineSuccesses.keySet()) {
            if (dimensionIndex(label) < 0) {
                throw new IllegalArgumentException("routine successes depend on undeclared dimension " + label);
            }
        }
        for (Instrument i : instruments) {
            for (String label : i.onlyWhen().keySet()) {
                if (dimensionIndex(label) < 0) {
                    throw new IllegalArgumentException(
                            "instrument " + i.name() + " depends on undeclared dimension " + label);
                }
            }
            for (String label : i.labels()) {
                if (!label.equals(outcomeLabel)
                        && !label.equals("reason")
                        && !label.equals("error_type")
                        && dimensionIndex(label) < 0) {
                    throw new IllegalArgumentException("instrument " + i.name() + " uses label " + label + " that kind "
                            + name + " does not declare");
                }
            }
        }
    }

    /** Starts declaring a kind; {@code name} is lower snake case, e.g. {@code authentication}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Describes one operation of this kind: {@code name} is the code-level operation (a constant,
     * e.g. {@code authenticate_user}), {@code values} the dimension values in declared order.
     * Operations are meant to be created once and kept in constants: they pre-compute their names.
     */
    public Operation operation(String name, String... values) {
        return new Operation(this, name, values);
    }

    /** The kind's lower snake case name, as given to {@link #builder(String)}; the default {@code event_type}. */
    public String name() {
        return name;
    }

    /** The log field {@code event_type}. */
    public String eventType() {
        return eventType;
    }

    /** Which per-family switch turns this kind's metrics off (default {@link MetricFamily#BUSINESS}). */
    public MetricFamily family() {
        return family;
    }

    /** The kind's bounded dimensions in declaration order: the order of an operation's values; immutable. */
    public List<Dimension> dimensions() {
        return dimensions;
    }

    /** The metric label carrying the outcome (default {@code status}). */
    public String outcomeLabel() {
        return outcomeLabel;
    }

    /** The span attribute carrying the outcome, encoded by {@link #outcomeEncoding()}. */
    public String outcomeSpanAttribute() {
        return outcomeSpanAttribute;
    }

    /** How the outcome is written as label value and span attribute (default {@link OutcomeEncoding#STATUS}). */
    public OutcomeEncoding outcomeEncoding() {
        return outcomeEncoding;
    }

    /** Span attribute of the failure reason, or {@code null} if the kind has none. */
    public String failureReasonSpanAttribute() {
        return failureReasonSpanAttribute;
    }

    /** The declared failure reasons; any other reason is recorded as {@code other}. Immutable, in declaration order. */
    public Set<String> failureReasons() {
        return failureReasons;
    }

    /** Span attribute carrying the duration in seconds, or {@code null}. */
    public String durationSpanAttribute() {
        return durationSpanAttribute;
    }

    /** Span attribute of the user the operation is about ({@code user.id}, {@code user.target.id}). */
    public String subjectSpanAttribute() {
        return subjectSpanAttribute;
    }

    /** The metric instruments every operation of this kind records; immutable. */
    public List<Instrument> instruments() {
        return instruments;
    }

    /** Span attributes with the same value on every operation of this kind (e.g. {@code db.system}); immutable. */
    public List<SpanAttribute> constantSpanAttributes() {
        return constantSpanAttributes;
    }

    /** The level of the log event of a successful operation (failures log WARN, errors ERROR). */
    public org.slf4j.event.Level successLogLevel() {
        return successLogLevel;
    }

    /** The level of the log event when {@code operation} succeeds: DEBUG for a routine one. */
    org.slf4j.event.Level successLogLevel(Operation operation) {
        for (Map.Entry<String, Set<String>> e : routineSuccesses.entrySet()) {
            if (e.getValue().contains(operation.value(e.getKey()))) {
                return org.slf4j.event.Level.DEBUG;
            }
        }
        return successLogLevel;
    }

    String spanName(Operation operation) {
        return spanName.apply(operation);
    }

    int dimensionIndex(String label) {
        for (int i = 0; i < dimensions.size(); i++) {
            if (dimensions.get(i).label().equals(label)) {
                return i;
            }
        }
        return -1;
    }

    /** The outcome as this kind writes it in a label. */
    String outcomeLabelValue(Outcome outcome) {
        return outcomeEncoding == OutcomeEncoding.GRANTED
                ? Boolean.toString(outcome == Outcome.SUCCESS)
                : outcome.label();
    }

    /** A failure reason from the declared set, or {@code other}. */
    String boundedReason(String reason) {
        if (reason == null) {
            return OTHER;
        }
        return failureReasons.contains(reason) ? reason : OTHER;
    }

    @Override
    public String toString() {
        return "OperationKind{" + name + "}";
    }

    /** Declares an {@link OperationKind}. */
    public static final class Builder {
        private final String name;
        private String eventType;
        private MetricFamily family = MetricFamily.BUSINESS;
        private final List<Dimension> dimensions = new ArrayList<>();
        private Function<Operation, String> spanName;
        private String outcomeLabel = "status";
        private String outcomeSpanAttribute;
        private OutcomeEncoding outcomeEncoding = OutcomeEncoding.STATUS;
        private String failureReasonSpanAttribute;
        private final Set<String> failureReasons = new LinkedHashSet<>();
        private String durationSpanAttribute;
        private String subjectSpanAttribute = "user.id";
        private final List<Instrument> instruments = new ArrayList<>();
        private final List<SpanAttribute> constantSpanAttributes = new ArrayList<>();
        private org.slf4j.event.Level successLogLevel = org.slf4j.event.Level.INFO;
        private final Map<String, Set<String>> routineSuccesses = new java.util.LinkedHashMap<>();

        private Builder(String name) {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("kind name must be lower snake case: " + name);
            }
            this.name = name;
        }

        /** The log field {@code event_type} (default: the kind's name). */
        public Builder eventType(String eventType) {
            this.eventType = eventType;
            return this;
        }

        /** Which per-family switch turns this kind's metrics off (default {@link MetricFamily#BUSINESS}). */
        public Builder family(MetricFamily family) {
            this.family = Objects.requireNonNull(family);
            return this;
        }

        /** A dimension with a closed set of values; the log field is named like the label. */
        public Builder dimension(String label, String spanAttribute, Set<String> values) {
            return dimension(label, spanAttribute, label, values);
        }

        /** A dimension with a closed set of values and its own log field name. */
        public Builder dimension(String label, String spanAttribute, String logField, Set<String> values) {
            if (values.isEmpty()) {
                throw new IllegalArgumentException("dimension " + label + " needs at least one value");
            }
            dimensions.add(new Dimension(label, spanAttribute, logField, values, 0));
            return this;
        }

        /** A dimension whose values are not known in advance: the first {@code maxDistinct} are kept. */
        public Builder openDimension(String label, String spanAttribute, String logField, int maxDistinct) {
            dimensions.add(new Dimension(label, spanAttribute, logField, Set.of(), maxDistinct));
            return this;
        }

        /**
         * How the span is named from the operation, e.g. {@code op -> "auth." + op.value(0) + "." + op.name()}; by
         * default {@code <kind>.<operation>} ({@code payment.charge_card}).
         */
        public Builder spanName(Function<Operation, String> spanName) {
            this.spanName = Objects.requireNonNull(spanName, "spanName");
            return this;
        }

        /** The outcome's metric label and span attribute, and how they are written. */
        public Builder outcome(String label, String spanAttribute, OutcomeEncoding encoding) {
            this.outcomeLabel = label;
            this.outcomeSpanAttribute = spanAttribute;
            this.outcomeEncoding = Objects.requireNonNull(encoding);
            return this;
        }

        /** The failure reasons this kind may report (others become {@code other}) and their span attribute. */
        public Builder failureReasons(String spanAttribute, Set<String> reasons) {
            this.failureReasonSpanAttribute = spanAttribute;
            this.failureReasons.addAll(reasons);
            return this;
        }

        /** Span attribute that carries the duration in seconds. */
        public Builder durationSpanAttribute(String key) {
            this.durationSpanAttribute = key;
            return this;
        }

        /** Span attribute of the user the operation is about (default {@code user.id}). */
        public Builder subjectSpanAttribute(String key) {
            this.subjectSpanAttribute = key;
            return this;
        }

        /** A counter recording at {@code trigger}. */
        public Builder counter(String name, String description, Trigger trigger, String... labels) {
            if (!name.endsWith("_total")) {
                throw new IllegalArgumentException("counter names end with _total: " + name);
            }
            instruments.add(
                    new Instrument(name, InstrumentType.COUNTER, description, List.of(labels), trigger, Map.of()));
            return this;
        }

        /** A counter recording at {@code trigger}, only for operations whose dimension {@code label} is {@code value}. */
        public Builder counterWhen(
                String label, String value, String name, String description, Trigger trigger, String... labels) {
            counter(name, description, trigger, labels);
            Instrument plain = instruments.removeLast();
            instruments.add(new Instrument(
                    plain.name(), plain.type(), plain.description(), plain.labels(), trigger, Map.of(label, value)));
            return this;
        }

        /** A histogram of the operation's duration in seconds. */
        public Builder durationHistogram(String name, String description, String... labels) {
            if (!name.endsWith("_seconds")) {
                throw new IllegalArgumentException("duration histogram names end with _seconds: " + name);
            }
            instruments.add(new Instrument(
                    name, InstrumentType.HISTOGRAM, description, List.of(labels), Trigger.END, Map.of()));
            return this;
        }

        /** A span attribute every span of this kind carries. */
        public Builder constantSpanAttribute(String key, Object value) {
            constantSpanAttributes.add(new SpanAttribute(key, value));
            return this;
        }

        /**
         * The log level of successful operations (default INFO) — DEBUG for kinds as frequent as
         * database statements, whose successes the metrics and spans already show.
         */
        public Builder successLogLevel(org.slf4j.event.Level level) {
            this.successLogLevel = Objects.requireNonNull(level);
            return this;
        }

        /**
         * Successes of the operations whose dimension {@code label} is one of {@code values} log at
         * DEBUG: routine steps of nearly every request (a token validated, a profile read) whose
         * span, metrics and the request's access-log line already say all the log event would.
         * Their failures still log at WARN, errors at ERROR.
         */
        public Builder routineSuccess(String label, String... values) {
            routineSuccesses
                    .computeIfAbsent(Objects.requireNonNull(label), l -> new LinkedHashSet<>())
                    .addAll(List.of(values));
            return this;
        }

        /** The immutable kind; the builder may be reused but is not thread-safe. */
        public OperationKind build() {
            return new OperationKind(this);
        }
    }
}
