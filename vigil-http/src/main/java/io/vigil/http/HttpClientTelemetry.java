package io.vigil.http;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.instrumenter.InstrumenterBuilder;
import io.opentelemetry.instrumentation.api.instrumenter.SpanKindExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientAttributesGetter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpClientMetrics;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.core.internal.ScrubbedExceptions;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Instrumentation for {@link java.net.http.HttpClient}: each call gets a client span (OpenTelemetry
 * HTTP semantic conventions, {@code http.client.request.duration}), and the outgoing request carries
 * the W3C trace context and the current request's correlation id ({@code X-Request-ID} and {@code
 * X-Correlation-ID}), so the next service continues the same trace and logs under the same id.
 *
 * <pre>{@code
 * HttpClient client = HttpClientTelemetry.create(vigil).wrap(HttpClient.newHttpClient());
 * }</pre>
 *
 * <p>OpenTelemetry's own {@code opentelemetry-java-http-client} library is not served by the Maven
 * mirror this project builds against, so this is the same design on the same Instrumenter API.
 */
public final class HttpClientTelemetry {
    private final Instrumenter<HttpRequest, HttpResponse<?>> instrumenter;
    private final TextMapPropagator propagator;
    private final Scrubber scrubber;

    private HttpClientTelemetry(OpenTelemetry openTelemetry, VigilConfig config, Scrubber scrubber) {
        this.scrubber = scrubber;
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
        ClientAttributes getter = new ClientAttributes();
        InstrumenterBuilder<HttpRequest, HttpResponse<?>> builder = Instrumenter.<HttpRequest, HttpResponse<?>>builder(
                        openTelemetry, "io.vigil.http.client", HttpSpanNameExtractor.create(getter))
                .setSpanStatusExtractor(HttpSpanStatusExtractor.create(getter))
                .addAttributesExtractor(HttpClientAttributesExtractor.create(getter))
                .setEnabled(config.enabled() && config.tracingEnabled());
        if (config.enabled() && config.metricsEnabled() && config.httpMetricsEnabled()) {
            builder.addOperationMetrics(HttpClientMetrics.get());
        }
        this.instrumenter = builder.buildInstrumenter(SpanKindExtractor.alwaysClient());
    }

    /** Client instrumentation with the runtime's OpenTelemetry, configuration and scrubber. */
    public static HttpClientTelemetry create(Vigil vigil) {
        return new HttpClientTelemetry(
                vigil.openTelemetry(), vigil.config(), vigil.operations().scrubber());
    }

    /** Client instrumentation from parts. */
    public static HttpClientTelemetry create(OpenTelemetry openTelemetry, VigilConfig config) {
        return new HttpClientTelemetry(openTelemetry, config, Scrubber.defaults());
    }

    /** A client that behaves as {@code client} and instruments every request it sends. */
    public HttpClient wrap(HttpClient client) {
        return new InstrumentedClient(Objects.requireNonNull(client, "client"));
    }

    /** The request as it is sent: trace context and correlation id headers added. */
    private HttpRequest outgoing(HttpRequest request, Context context) {
        HttpRequest.Builder copy = HttpRequest.newBuilder(request, (name, value) -> true);
        propagator.inject(context, copy, (b, key, value) -> b.setHeader(key, value));
        String requestId = RequestContext.currentRequestId();
        if (requestId != null
                && request.headers()
                        .firstValue(HttpServerTelemetry.REQUEST_ID_HEADER)
                        .isEmpty()) {
            copy.setHeader(HttpServerTelemetry.REQUEST_ID_HEADER, requestId);
            copy.setHeader(HttpServerTelemetry.CORRELATION_ID_HEADER, requestId);
        }
        return copy.build();
    }

    private final class InstrumentedClient extends HttpClient {
        private final HttpClient delegate;

        InstrumentedClient(HttpClient delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
                throws IOException, InterruptedException {
            Context parent = Context.current();
            if (!instrumenter.shouldStart(parent, request)) {
                return delegate.send(outgoing(request, parent), handler);
            }
            Context context = instrumenter.start(parent, request);
            HttpRequest outgoing = outgoing(request, context);
            HttpResponse<T> response;
            try {
                response = delegate.send(outgoing, handler);
            } catch (IOException | InterruptedException | RuntimeException | Error e) {
                instrumenter.end(ScrubbedExceptions.recordingScrubbed(context, e, scrubber), outgoing, null, e);
                throw e;
            }
            instrumenter.end(context, outgoing, response, null);
            return response;
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(
                HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            return sendAsync(request, handler, null);
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(
                HttpRequest request,
                HttpResponse.BodyHandler<T> handler,
                HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
            Context parent = Context.current();
            if (!instrumenter.shouldStart(parent, request)) {
                return delegate.sendAsync(outgoing(request, parent), handler, pushPromiseHandler);
            }
            Context context = instrumenter.start(parent, request);
            HttpRequest outgoing = outgoing(request, context);
            CompletableFuture<HttpResponse<T>> future;
            try {
                future = delegate.sendAsync(outgoing, handler, pushPromiseHandler);
            } catch (RuntimeException | Error e) {
                instrumenter.end(ScrubbedExceptions.recordingScrubbed(context, e, scrubber), outgoing, null, e);
                throw e;
            }
            return future.whenComplete((response, error) -> {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
                instrumenter.end(
                        ScrubbedExceptions.recordingScrubbed(context, cause, scrubber), outgoing, response, cause);
            });
        }

        @Override
        public Optional<CookieHandler> cookieHandler() {
            return delegate.cookieHandler();
        }

        @Override
        public Optional<Duration> connectTimeout() {
            return delegate.connectTimeout();
        }

        @Override
        public Redirect followRedirects() {
            return delegate.followRedirects();
        }

        @Override
        public Optional<ProxySelector> proxy() {
            return delegate.proxy();
        }

        @Override
        public SSLContext sslContext() {
            return delegate.sslContext();
        }

        @Override
        public SSLParameters sslParameters() {
            return delegate.sslParameters();
        }

        @Override
        public Optional<Authenticator> authenticator() {
            return delegate.authenticator();
        }

        @Override
        public Version version() {
            return delegate.version();
        }

        @Override
        public Optional<Executor> executor() {
            return delegate.executor();
        }

        @Override
        public WebSocket.Builder newWebSocketBuilder() {
            return delegate.newWebSocketBuilder();
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public boolean awaitTermination(Duration duration) throws InterruptedException {
            return delegate.awaitTermination(duration);
        }

        @Override
        public boolean isTerminated() {
            return delegate.isTerminated();
        }

        @Override
        public void shutdownNow() {
            delegate.shutdownNow();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /** Semantic-convention attributes of a JDK client exchange; the query passes the privacy rules. */
    private final class ClientAttributes implements HttpClientAttributesGetter<HttpRequest, HttpResponse<?>> {
        @Override
        public String getHttpRequestMethod(HttpRequest request) {
            return request.method();
        }

        @Override
        public List<String> getHttpRequestHeader(HttpRequest request, String name) {
            return request.headers().allValues(name);
        }

        @Override
        public Integer getHttpResponseStatusCode(HttpRequest request, HttpResponse<?> response, Throwable error) {
            return response == null ? null : response.statusCode();
        }

        @Override
        public List<String> getHttpResponseHeader(HttpRequest request, HttpResponse<?> response, String name) {
            HttpHeaders headers = response == null ? null : response.headers();
            return headers == null ? List.of() : headers.allValues(name);
        }

        @Override
        public String getUrlFull(HttpRequest request) {
            URI uri = request.uri();
            // No user-info, and query values through the scrubber: URLs carry tokens surprisingly often.
            String query = uri.getRawQuery();
            String base = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                    + (uri.getRawPath() == null ? "" : uri.getRawPath());
            return query == null ? base : base + "?" + scrubber.scrubQuery(query);
        }

        @Override
        public String getServerAddress(HttpRequest request) {
            return request.uri().getHost();
        }

        @Override
        public Integer getServerPort(HttpRequest request) {
            URI uri = request.uri();
            if (uri.getPort() >= 0) {
                return uri.getPort();
            }
            return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        }

        @Override
        public String getNetworkProtocolName(HttpRequest request, HttpResponse<?> response) {
            return "http";
        }

        @Override
        public String getNetworkProtocolVersion(HttpRequest request, HttpResponse<?> response) {
            if (response == null) {
                return null;
            }
            return response.version() == HttpClient.Version.HTTP_2 ? "2" : "1.1";
        }
    }
}
