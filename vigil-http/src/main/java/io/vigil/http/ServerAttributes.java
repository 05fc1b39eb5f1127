package io.vigil.http;

import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import io.vigil.http.internal.HttpMetrics;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds the OpenTelemetry HTTP semantic-convention extractors from a {@link RequestContext}. Forwarding
 * headers are hidden from them: the client address is decided once, by {@code TrustedProxies}, and
 * not re-derived from headers a client can forge.
 */
final class ServerAttributes
        implements HttpServerAttributesGetter<RequestContext, RequestContext>, TextMapGetter<RequestContext> {
    static final ServerAttributes INSTANCE = new ServerAttributes();

    private ServerAttributes() {}

    @Override
    public String getHttpRequestMethod(RequestContext r) {
        // The method as the access log has it: a known one as it is, any other at most 32 characters. The extractor
        // keeps an unknown method as http.request.method_original, and a client may send kilobytes of token
        // characters as a method.
        return r.methodIndex != HttpMetrics.OTHER_METHOD_INDEX
                ? r.method
                : r.telemetry.scrubber().scrubText(r.method);
    }

    @Override
    public List<String> getHttpRequestHeader(RequestContext r, String name) {
        if (name.equals("x-forwarded-for") || name.equals("forwarded") || name.equals("x-forwarded-proto")) {
            return List.of();
        }
        List<String> values = r.accessor.requestHeader(r.request, name);
        if (values.isEmpty()) {
            return values;
        }
        // What the extractors read here becomes span attributes (user_agent.original, server.address from Host, any
        // captured header): client text, so it passes the privacy rules as the access log's fields do, and the user
        // agent is bounded as there — a token or an address in a User-Agent must not reach the span raw.
        // Through the same small cache as the access log's user agent: Host and the agents repeat, and most values
        // come back as they were, so the header's own list is returned then, with nothing allocated per request.
        boolean userAgent = name.equals("user-agent");
        if (values.size() == 1) {
            String raw = values.getFirst();
            String scrubbed = headerValue(r, userAgent, raw);
            return scrubbed.equals(raw) ? values : List.of(scrubbed);
        }
        List<String> scrubbed = new ArrayList<>(values.size());
        for (String value : values) {
            scrubbed.add(headerValue(r, userAgent, value));
        }
        return scrubbed;
    }

    /** A header's value as the span keeps it: a user agent bounded as the access log's, any value bounded and scrubbed. */
    private static String headerValue(RequestContext r, boolean userAgent, String raw) {
        return userAgent ? r.telemetry.userAgent(raw) : r.telemetry.headerValue(raw);
    }

    @Override
    public Integer getHttpResponseStatusCode(RequestContext r, RequestContext response, Throwable error) {
        return r.status;
    }

    @Override
    public List<String> getHttpResponseHeader(RequestContext r, RequestContext response, String name) {
        return r.accessor.responseHeader(r.response, name);
    }

    @Override
    public String getUrlScheme(RequestContext r) {
        return r.accessor.scheme(r.request);
    }

    @Override
    public String getUrlPath(RequestContext r) {
        return r.path;
    }

    @Override
    public String getUrlQuery(RequestContext r) {
        return r.telemetry.query(r.accessor.query(r.request));
    }

    @Override
    public String getHttpRoute(RequestContext r) {
        return r.finalRoute();
    }

    @Override
    public String getClientAddress(RequestContext r) {
        return r.clientAddress;
    }

    @Override
    public String getNetworkPeerAddress(RequestContext r, RequestContext response) {
        return r.accessor.peerAddress(r.request);
    }

    @Override
    public Integer getNetworkPeerPort(RequestContext r, RequestContext response) {
        return r.accessor.peerPort(r.request);
    }

    @Override
    public String getNetworkProtocolName(RequestContext r, RequestContext response) {
        return "http";
    }

    @Override
    public String getNetworkProtocolVersion(RequestContext r, RequestContext response) {
        return r.accessor.protocolVersion(r.request);
    }

    // W3C trace context and baggage extraction read headers through the same accessor.

    @Override
    public Iterable<String> keys(RequestContext r) {
        return List.of();
    }

    @Override
    public String get(RequestContext r, String key) {
        if (r == null) {
            return null;
        }
        List<String> values = r.accessor.requestHeader(r.request, key);
        return values.isEmpty() ? null : values.getFirst();
    }
}
