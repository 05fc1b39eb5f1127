package io.vigil.pipeline;

import io.vigil.core.DatabaseOperation;
import io.vigil.core.OperationKind;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Every operation kind the event pipeline emits — its own ({@link PipelineOperation}) and the
 * database operations vigil-jdbc records — for tools that generate its dashboards and alerts. The
 * Kafka metrics are listed by vigil-kafka's {@code KafkaCatalogue}; the dependency status gauges
 * ({@code postgres_status}, {@code kafka_status}, {@code minio_status}) by {@link
 * EventPipeline#STATUS_GAUGES}.
 */
public final class PipelineCatalogue implements Supplier<Collection<OperationKind>> {
    /** The kinds, in a fixed order. */
    @Override
    public Collection<OperationKind> get() {
        return List.of(
                PipelineOperation.INGEST, PipelineOperation.STEP, PipelineOperation.HEALTH, DatabaseOperation.KIND);
    }
}
