package io.vigil.core;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.Clock;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one instrumentation point for domain operations: each call emits a span, the kind's metrics
 * and one structured log event together, with the same names, the same context and one measured
 * duration. Obtain it from {@link Vigil#operations()}.
 *
 * <p>Three ways to use it:
 *
 * <ul>
 *   <li>functional: {@link #observe(Operation, Body)} and {@link #observeAsync(Operation, Supplier)};
 *   <li>a scope for fine-grained control: {@link #start(Operation)} in try-with-resources;
 *   <li>declarative: {@link Observed} on interface methods, applied by {@link #instrument(Class, Object)}.
 * </ul>
 *
 * <p>An exception implementing {@link DomainFailure} ends the operation as a failure with its
 * reason; any other exception as an error; both are rethrown unchanged.
 */
public final class Operations {
    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);
    private static final String SCOPE = "io.vigil.operations";
    private static final List<Double> SECONDS_BUCKETS =
            List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0);
    private static final int MAX_ERROR_TYPES = 64;

    /** The operation body of the functional API; it may use the scope to add detail. */
    @FunctionalInterface
    public interface Body<T, E extends Exception> {
        /**
         * Runs the operation on the calling thread, inside its span; the result is returned to the caller unchanged.
         */
        T call(OperationScope scope) throws E;
    }

    /** A body without a result. */
    @FunctionalInterface
    public interface VoidBody<E extends Exception> {
        /** Runs the operation on the calling thread, inside its span. */
        void run(OperationScope scope) throws E;
    }

    private final Tracer tracer;
    private final Meter meter;
    private final Scrubber scrubber;
    private final org.slf4j.ILoggerFactory loggerFactory;
    private final VigilConfig config;
    private final boolean enabled;
    private final EpochClock epochClock = new EpochClock();
    private final Map<String, OperationKind> kinds = new ConcurrentHashMap<>();
    private final Map<OperationKind, KindTelemetry> telemetry = new ConcurrentHashMap<>();
    private final Set<String> errorTypes = ConcurrentHashMap.newKeySet();

    Operations(
            OpenTelemetry openTelemetry,
            VigilConfig config,
            Scrubber scrubber,
            boolean enabled,
            org.slf4j.ILoggerFactory loggerFactory) {
        this.loggerFactory = Objects.requireNonNull(loggerFactory, "loggerFactory");
        this.tracer = openTelemetry.getTracer(SCOPE, VigilVersion.VERSION);
        this.meter = openTelemetry.getMeter(SCOPE);
        this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
        this.config = config;
        this.enabled = enabled;
        registerOverflowCounter();
    }

    /**
     * Makes a kind known by name (for {@link Observed}) and lists it in the {@link #catalogue()}.
     * Nothing is registered in advance: a kind is registered here or by the first operation of it
     * that runs, so the catalogue lists the kinds this service uses. Registering a kind twice is
     * harmless; thread-safe.
     *
     * @throws IllegalArgumentException if another kind already has the same name
     */
    public Operations register(OperationKind kind) {
        OperationKind previous = kinds.putIfAbsent(kind.name(), kind);
        if (previous != null && previous != kind) {
            throw new IllegalArgumentException("another operation kind is already named " + kind.name());
        }
        return this;
    }

    /**
     * The kinds this runtime knows — registered, or used by an operation that ran — with the names
     * of their spans, instruments and log fields; an immutable snapshot.
     */
    public Collection<OperationKind> catalogue() {
        return List.copyOf(kinds.values());
    }

    /**
     * Declares operations this service performs, so that the counter series they can record exist at 0 from the
     * first scrape. Prometheus takes a series' first sample as its baseline: a counter that appears with its first
     * events hides them from {@code rate()} and {@code increase()}, so the first burst of failed logins or account
     * lockouts after a start would never reach an alert. For each operation every counter series its outcomes can
     * record is added 0: each status its trigger can see, and for a failure counter labelled by {@code reason} each
     * reason the kind declares. Left to their first event: counters labelled by {@code error_type} (its values come
     * from exceptions at run time), operations with open dimensions (their values are admitted per runtime), and
     * histograms (an observation of 0 would be counted). Registers the kinds like {@link #register}; idempotent,
     * thread-safe, nothing when observability or the kind's metrics are off.
     */
    public Operations declare(Operation... operations) {
        for (Operation operation : operations) {
            OperationKind kind = Objects.requireNonNull(operation, "operation").kind();
            register(kind);
            if (!enabled || operation.openDimensions.length > 0 || operation.overflowed != 0) {
                continue;
            }
            KindTelemetry t = telemetry(kind);
            if (!t.recordsMetrics) {
                continue;
            }
            List<OperationKind.Instrument> instruments = kind.instruments();
            for (int i = 0; i < instruments.size(); i++) {
                List<String> labels = instruments.get(i).labels();
                if (t.counters[i] == null
                        || labels.contains("error_type")
                        || !instruments.get(i).appliesTo(operation)) {
                    continue;
                }
                for (Outcome outcome : Outcome.values()) {
                    OperationKind.Trigger trigger = instruments.get(i).trigger();
                    boolean due = trigger == OperationKind.Trigger.START
                            ? outcome == Outcome.SUCCESS // recorded with the success attributes
                            : recordedAtEnd(trigger, outcome);
                    if (!due) {
                        continue;
                    }
                    if (!labels.contains("reason")) {
                        t.counters[i].add(0, operation.metricAttributes(i, outcome, null, null), Context.root());
                    } else if (outcome == Outcome.FAILURE) {
                        for (String reason : kind.failureReasons()) {
                            t.counters[i].add(0, operation.metricAttributes(i, outcome, reason, null), Context.root());
                        }
                    }
                }
            }
        }
        return this;
    }

    /** The kind registered under {@code name}. */
    public OperationKind kind(String name) {
        OperationKind kind = kinds.get(name);
        if (kind == null) {
            throw new IllegalArgumentException("unknown operation kind " + name + "; known: " + kinds.keySet());
        }
        return kind;
    }

    /** The scrubber every value of every signal passes through. */
    public Scrubber scrubber() {
        return scrubber;
    }

    /** Starts an operation as a child of the current context and makes its span current. */
    public OperationScope start(Operation operation) {
        OperationScope scope = begin(operation);
        scope.attach();
        return scope;
    }

    private OperationScope begin(Operation operation) {
        if (!enabled) {
            // Observability off: the body runs with a scope that records nothing.
            if (!kinds.containsKey(operation.kind().name())) {
                registerUsed(operation.kind());
            }
            return new OperationScope(this, null, operation, Span.getInvalid(), null, 0, 0);
        }
        RuntimeTelemetry last = operation.lastRuntime;
        KindTelemetry t;
        if (last != null && last.runtime() == this) {
            t = last.telemetry();
        } else {
            t = telemetry(operation.kind());
            operation.lastRuntime = new RuntimeTelemetry(this, t);
        }
        // This runtime's bounds: open values past its limit are recorded as other, and counted.
        operation = t.guards.bound(operation);
        Context parent = Context.current();
        // One reading of the monotonic clock stamps the span's start and starts the duration that
        // the span's end, the duration attribute, the histograms and the log event all share.
        long startNanos = System.nanoTime();
        long startEpochNanos = epochClock.epochNanos(startNanos);
        SpanBuilder builder = tracer.spanBuilder(operation.spanName()).setParent(parent);
        AttributeKey<Object>[] keys = operation.spanAttributeKeys;
        Object[] values = operation.spanAttributeValues;
        for (int i = 0; i < keys.length; i++) {
            builder.setAttribute(keys[i], values[i]);
        }
        Span span =
                builder.setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS).startSpan();
        Context context = parent.with(span);
        if (t.recordsMetrics) {
            for (int i : operation.startInstruments) {
                if (t.counters[i] != null) {
                    // Counters carry no exemplar (only duration histograms do, where the contract
                    // and the dashboards use them): recorded outside the span's context.
                    t.counters[i].add(1, operation.metricAttributes(i, Outcome.SUCCESS, null, null), Context.root());
                }
            }
        }
        return new OperationScope(this, t, operation, span, context, startNanos, startEpochNanos);
    }

    /**
     * Epoch time from {@link System#nanoTime()} and an anchor, as the SDK's own span clock does, so
     * an operation reads no wall clock: the anchor is taken again after a second, so the span
     * timestamps follow wall-clock adjustments as closely as the SDK's per-trace anchors do.
     */
    private static final class EpochClock {
        private record Anchor(long epochNanos, long nanoTime) {}

        private static final long REANCHOR_NANOS = 1_000_000_000L;
        private final Clock clock = Clock.getDefault();
        private volatile Anchor anchor = new Anchor(clock.now(), clock.nanoTime());

        long epochNanos(long nanoTime) {
            Anchor a = anchor;
            long sinceAnchor = nanoTime - a.nanoTime;
            if (sinceAnchor >= 0 && sinceAnchor < REANCHOR_NANOS) {
                return a.epochNanos + sinceAnchor;
            }
            Anchor fresh = new Anchor(clock.now(), clock.nanoTime());
            anchor = fresh; // a race only replaces one fresh anchor with another
            return fresh.epochNanos + (nanoTime - fresh.nanoTime);
        }
    }

    /** Runs {@code body} as the operation and returns its result. */
    public <T, E extends Exception> T observe(Operation operation, Body<T, E> body) throws E {
        try (OperationScope scope = start(operation)) {
            try {
                return body.call(scope);
            } catch (Throwable t) {
                fail(scope, t);
                throw t;
            }
        }
    }

    /** Runs {@code body} as the operation. */
    public <E extends Exception> void run(Operation operation, VoidBody<E> body) throws E {
        try (OperationScope scope = start(operation)) {
            try {
                body.run(scope);
            } catch (Throwable t) {
                fail(scope, t);
                throw t;
            }
        }
    }

    /**
     * Observes an asynchronous operation: the span is current while {@code start} runs, and the
     * operation ends when the returned stage completes, on whichever thread completes it.
     */
    public <T> CompletableFuture<T> observeAsync(Operation operation, Supplier<? extends CompletionStage<T>> start) {
        OperationScope scope = start(operation);
        CompletionStage<T> stage;
        try {
            stage = start.get();
        } catch (RuntimeException | Error e) {
            fail(scope, e);
            scope.close();
            throw e;
        }
        scope.detach();
        return stage.toCompletableFuture().whenComplete((value, failure) -> {
            if (failure != null) {
                fail(
                        scope,
                        failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure);
            }
            scope.end();
        });
    }

    /**
     * Records the metrics of an operation that was timed elsewhere, without a span or a log event
     * of its own: for instrumentation that already has its span (vigil-jdbc records {@link
     * DatabaseOperation} for each statement under the OpenTelemetry JDBC span). The histograms take
     * the current context's span as exemplar. Honours the metric switches like {@link
     * #start(Operation)}; never throws for a telemetry failure. Thread-safe.
     *
     * @param operation the operation, as for {@link #start(Operation)}
     * @param outcome how the operation ended
     * @param seconds its duration in seconds
     * @param failureReason the reason of a {@link Outcome#FAILURE} (bounded by the kind), else null
     * @param error the exception of an {@link Outcome#ERROR}, else null
     */
    public void recordMetrics(
            Operation operation, Outcome outcome, double seconds, String failureReason, Throwable error) {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(outcome, "outcome");
        if (!enabled) {
            return;
        }
        KindTelemetry t = telemetry(operation.kind());
        if (!t.recordsMetrics) {
            return;
        }
        for (int i : operation.startInstruments) {
            if (t.counters[i] != null) {
                t.counters[i].add(1, operation.metricAttributes(i, Outcome.SUCCESS, null, null), Context.root());
            }
        }
        String reason = outcome == Outcome.FAILURE && failureReason != null
                ? operation.kind().boundedReason(failureReason)
                : null;
        String errorType = outcome == Outcome.ERROR && error != null ? boundedErrorType(error) : null;
        recordEnd(t, operation, Context.current(), outcome, seconds, reason, errorType);
    }

    /**
     * Returns a proxy of {@code type} that observes every method annotated with {@link Observed}
     * and passes other calls straight to {@code target}. A JDK dynamic proxy: no agent, no build
     * step, and the operation of each method is resolved once.
     */
    @SuppressWarnings("unchecked")
    public <T> T instrument(Class<T> type, T target) {
        if (!type.isInterface()) {
            throw new IllegalArgumentException(type + " is not an interface");
        }
        Objects.requireNonNull(target, "target");
        Map<Method, Operation> operationsByMethod = new ConcurrentHashMap<>();
        // The interface may be package-private in the service's own package: the calls go through
        // copies of its methods made accessible once (the proxy's own Method objects are not).
        Map<Method, Method> callable = new ConcurrentHashMap<>();
        for (Method m : type.getMethods()) {
            m.trySetAccessible();
            callable.put(m, m);
            Observed observed = m.getAnnotation(Observed.class);
            if (observed != null) {
                String name = observed.name().isEmpty() ? snakeCase(m.getName()) : observed.name();
                operationsByMethod.put(m, kind(observed.kind()).operation(name, observed.values()));
            }
        }
        InvocationHandler handler = (proxy, method, args) -> {
            Operation operation = operationsByMethod.get(method);
            if (operation == null) {
                return invoke(target, callable.getOrDefault(method, method), args);
            }
            if (CompletionStage.class.isAssignableFrom(method.getReturnType())) {
                return observeAsync(operation, () -> {
                    try {
                        return (CompletionStage<Object>) invoke(target, callable.get(method), args);
                    } catch (RuntimeException | Error e) {
                        throw e;
                    } catch (Throwable t) {
                        return CompletableFuture.failedFuture(t);
                    }
                });
            }
            try (OperationScope scope = start(operation)) {
                try {
                    return invoke(target, callable.getOrDefault(method, method), args);
                } catch (Throwable t) {
                    fail(scope, t);
                    throw t;
                }
            }
        };
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * The outcome of a body that threw: a {@link DomainFailure} is a refusal with its reason; a body that marked a
     * refusal ({@link OperationScope#failure}) and then threw to answer it (an HTTP problem, say) stays that refusal —
     * the exception is how it is signalled, not a fault; anything else is an error.
     */
    private static void fail(OperationScope scope, Throwable t) {
        if (scope.outcome() == Outcome.FAILURE && !(t instanceof DomainFailure)) {
            return;
        }
        if (t instanceof DomainFailure f) {
            scope.failure(f.failureReason());
        } else {
            scope.error(t);
        }
    }

    static String snakeCase(String camel) {
        StringBuilder sb = new StringBuilder(camel.length() + 8);
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0) {
                    sb.append('_');
                }
                sb.append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    // ---- recording, called by OperationScope ------------------------------------------------

    void recordEnd(
            KindTelemetry t,
            Operation operation,
            Context context,
            Outcome outcome,
            double seconds,
            String reason,
            String errorType) {
        if (!t.recordsMetrics) {
            return;
        }
        List<OperationKind.Instrument> instruments = operation.kind().instruments();
        for (int i : operation.endInstruments) {
            if (!recordedAtEnd(instruments.get(i).trigger(), outcome)) {
                continue;
            }
            Attributes attributes = operation.metricAttributes(i, outcome, reason, errorType);
            if (t.histograms[i] != null) {
                // Inside the span's context: the histogram keeps the trace as an exemplar.
                t.histograms[i].record(seconds, attributes, context);
            } else {
                t.counters[i].add(1, attributes, Context.root()); // no exemplar, as above
            }
        }
    }

    /** Whether an instrument of {@code trigger} records when an operation ends with {@code outcome}. */
    private static boolean recordedAtEnd(OperationKind.Trigger trigger, Outcome outcome) {
        return switch (trigger) {
            case END -> true;
            case START -> false;
            case FAILURE -> outcome == Outcome.FAILURE;
            case ERROR -> outcome == Outcome.ERROR;
        };
    }

    void log(KindTelemetry t, OperationScope scope, double seconds) {
        scope.writeLog(t.logger, seconds);
    }

    /** An exception's simple class name, from a bounded set. */
    String boundedErrorType(Throwable error) {
        String type = error.getClass().getSimpleName();
        if (type.isEmpty()) {
            type = "anonymous";
        }
        if (errorTypes.contains(type) || (errorTypes.size() < MAX_ERROR_TYPES && errorTypes.add(type))) {
            return type;
        }
        return OperationKind.OTHER;
    }

    private KindTelemetry telemetry(OperationKind kind) {
        KindTelemetry t = telemetry.get(kind);
        return t != null ? t : telemetry.computeIfAbsent(kind, this::createTelemetry);
    }

    /**
     * Lists a kind in the catalogue when its first operation runs. A second kind of the same name
     * is a programming error, but telemetry never fails the operation: it is recorded and warned
     * about once (this runs once per kind and runtime).
     */
    private void registerUsed(OperationKind kind) {
        OperationKind previous = kinds.putIfAbsent(kind.name(), kind);
        if (previous != null && previous != kind) {
            LOG.warn("two operation kinds are named {}; the catalogue lists the first one registered", kind.name());
        }
    }

    private KindTelemetry createTelemetry(OperationKind kind) {
        registerUsed(kind);
        boolean metricsOn = config.metricsEnabled()
                && switch (kind.family()) {
                    case BUSINESS -> config.businessMetricsEnabled();
                    case DATABASE -> config.databaseMetricsEnabled();
                };
        List<OperationKind.Instrument> instruments = kind.instruments();
        LongCounter[] counters = new LongCounter[instruments.size()];
        DoubleHistogram[] histograms = new DoubleHistogram[instruments.size()];
        if (metricsOn) {
            for (int i = 0; i < instruments.size(); i++) {
                OperationKind.Instrument instrument = instruments.get(i);
                switch (instrument.type()) {
                    case COUNTER ->
                        counters[i] = meter.counterBuilder(instrument.name())
                                .setDescription(instrument.description())
                                .build();
                    case HISTOGRAM ->
                        histograms[i] = meter.histogramBuilder(instrument
                                        .name()
                                        .substring(0, instrument.name().length() - "_seconds".length()))
                                .setDescription(instrument.description())
                                .setUnit("s")
                                .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS)
                                .build();
                }
            }
        }
        // The runtime's logger factory: SLF4J's, or one a test binds to its own logger context.
        Logger logger = loggerFactory.getLogger("vigil.operation." + kind.name());
        return new KindTelemetry(metricsOn, counters, histograms, logger, new Operation.DimensionGuards(kind));
    }

    private void registerOverflowCounter() {
        AttributeKey<String> kindKey = AttributeKey.stringKey("kind");
        AttributeKey<String> labelKey = AttributeKey.stringKey("label");
        meter.counterBuilder("vigil_label_overflow_total")
                .setDescription("Label values replaced by 'other' because they were outside a bounded set")
                .buildWithCallback(m -> {
                    for (Map.Entry<OperationKind, KindTelemetry> e : telemetry.entrySet()) {
                        OperationKind kind = e.getKey();
                        Operation.DimensionGuards guards = e.getValue().guards;
                        for (int i = 0; i < kind.dimensions().size(); i++) {
                            long n = guards.overflows[i].sum();
                            if (n > 0) {
                                m.record(
                                        n,
                                        Attributes.of(
                                                kindKey,
                                                kind.name(),
                                                labelKey,
                                                kind.dimensions().get(i).label()));
                            }
                        }
                    }
                });
    }

    /** A runtime and its telemetry of one kind, as an {@link Operation} remembers the last one that ran it. */
    record RuntimeTelemetry(Operations runtime, KindTelemetry telemetry) {}

    /** What this runtime keeps per kind: its instruments, its logger and its dimension bounds. */
    record KindTelemetry(
            boolean recordsMetrics,
            LongCounter[] counters,
            DoubleHistogram[] histograms,
            Logger logger,
            Operation.DimensionGuards guards) {}

    @Override
    public String toString() {
        return "Operations" + new ArrayList<>(kinds.keySet()).toString().toLowerCase(Locale.ROOT);
    }
}
