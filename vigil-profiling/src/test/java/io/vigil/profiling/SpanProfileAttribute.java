package io.vigil.profiling;

import io.opentelemetry.api.common.AttributeKey;

/** The span attribute under test, spelled out as Grafana's trace view expects it. */
final class SpanProfileAttribute {
    static final AttributeKey<String> KEY = AttributeKey.stringKey("pyroscope.profile.id");

    private SpanProfileAttribute() {}
}
