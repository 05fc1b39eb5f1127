package io.vigil.http.websocket;

import io.opentelemetry.api.trace.SpanContext;

/**
 * What a WebSocket connection keeps of its upgrade request.
 *
 * @param endpoint the route template of the WebSocket endpoint ({@code endpoint} label)
 * @param requestId the upgrade request's correlation id (contract section 6)
 * @param clientAddress the client address
 * @param userId the user the upgrade request authenticated, or {@code null}
 * @param handshakeSpan the span of the upgrade request, which every message span links to (may be
 *     invalid when tracing is off)
 */
public record Handshake(
        String endpoint, String requestId, String clientAddress, String userId, SpanContext handshakeSpan) {}
