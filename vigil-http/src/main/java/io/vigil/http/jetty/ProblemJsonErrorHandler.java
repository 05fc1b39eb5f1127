package io.vigil.http.jetty;

import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.internal.JettyRefusals;
import io.vigil.http.internal.JettyRefusals.Part;
import io.vigil.http.internal.Problems;
import io.vigil.http.internal.StrictFraming;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * A Jetty 12 error handler that answers every error Jetty produces itself — requests it refuses
 * before any application code runs (431 header too large, 414 URI too long, 400 for a bad {@code %}
 * escape, a NUL or an obs-fold in a header, both {@code Content-Length} and {@code
 * Transfer-Encoding}, a method or version longer than the request head's bound (Jetty's 431 there is
 * answered 400), {@code Transfer-Encoding} in an HTTP/1.0 request (400, and the connection closed); 505
 * unknown version) and {@code sendError} from servlets — with an RFC 9457
 * {@code application/problem+json} body instead of Jetty's HTML page, whatever the request's {@code
 * Accept}, for every method:
 *
 * <pre>{@code
 * {"type":"about:blank","title":"Request Header Fields Too Large","status":431,"detail":"…","request_id":"…"}
 * }</pre>
 *
 * <p>{@code request_id} is the {@code X-Request-ID} Vigil already answered with, when the request got
 * that far. A 4xx's {@code detail} says what Jetty refused, from a fixed mapping of its parser's reasons (e.g. {@code
 * Illegal character in a header field: control character 0x00}, {@code The request target has a malformed
 * percent-escape (a % must start %XX)}); it never echoes the request, a reason outside the mapping gives none, and a
 * 5xx never carries one. {@link
 * io.vigil.http.javalin.VigilJavalinPlugin} installs it; a plain Jetty server calls {@link
 * #install(Server, HttpServerTelemetry)} once its handlers are set.
 *
 * <p>Given the server's {@link HttpServerTelemetry}, a request Jetty refused before any filter or handler saw it is
 * recorded like every other: its server span, {@code http_requests_total} and the other HTTP metrics under {@code
 * endpoint="unmatched"} (method {@code other} when the request line itself was refused), and its access-log line, with
 * the {@code X-Request-ID} it is answered with. Without it such requests left no trace at all: a client probing the
 * parser (smuggling attempts, bad escapes, oversized headers) was invisible to every signal.
 */
public class ProblemJsonErrorHandler extends ErrorHandler {
    private final HttpServerTelemetry telemetry;

    /**
     * A handler that never shows stacks, causes or the message in the title, and records nothing; one instance may
     * serve a whole server.
     */
    public ProblemJsonErrorHandler() {
        this(null, false);
    }

    /**
     * The same, recording through {@code telemetry} each request Jetty refuses before any filter or handler saw it.
     */
    public ProblemJsonErrorHandler(HttpServerTelemetry telemetry) {
        this(Objects.requireNonNull(telemetry, "telemetry"), true);
    }

    @SuppressWarnings("this-escape") // Jetty's own setters, which only store a flag; no subclass overrides them
    private ProblemJsonErrorHandler(HttpServerTelemetry telemetry, boolean unused) {
        this.telemetry = telemetry;
        setShowStacks(false);
        setShowCauses(false);
        setShowMessageInTitle(false);
    }

    /**
     * Makes {@code server} and each context handler it holds answer errors as problem+json; call it
     * after {@link Server#setHandler} (a context keeps its own error handler when it has one). Records nothing: {@link
     * #install(Server, HttpServerTelemetry)} also counts and logs the requests Jetty refuses itself.
     */
    public static void install(Server server) {
        install(server, new ProblemJsonErrorHandler());
    }

    /**
     * Makes {@code server} and each context handler it holds answer errors as problem+json, and records each request
     * Jetty refuses before any filter saw it through {@code telemetry} (the one the server's {@code VigilHttpFilter}
     * uses); call it after {@link Server#setHandler}.
     */
    public static void install(Server server, HttpServerTelemetry telemetry) {
        install(server, new ProblemJsonErrorHandler(telemetry));
    }

    private static void install(Server server, ProblemJsonErrorHandler handler) {
        server.setErrorHandler(handler);
        for (ContextHandler context : server.getDescendants(ContextHandler.class)) {
            context.setErrorHandler(handler);
        }
    }

    /** Every method gets a body (Jetty's default only gives GET, POST and HEAD one). */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(
            Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        boolean lineRefused = requestLineRefused(request);
        Part part = lineRefused ? Part.REQUEST_LINE : Part.HEADERS;
        int status = code;
        String detail;
        if (code == HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431 && part == Part.REQUEST_LINE) {
            // Jetty reads a method of any length and counts the request line against the request head's bound; a
            // method (or version) token past it is refused 431, which names header fields the client never got to
            // send (a target past it is 414). The request line itself is malformed: 400, saying so. A long method
            // within the bound still reaches the application, which answers it as any unknown method.
            status = HttpStatus.BAD_REQUEST_400;
            response.setStatus(status);
            detail = JettyRefusals.requestLineTooLong(
                    request.getConnectionMetaData().getHttpConfiguration().getRequestHeaderSize());
        } else if (cause instanceof StrictFraming.FaultyFraming) {
            // The body's framing cannot be trusted, so neither can where a next request would start: close.
            detail = StrictFraming.FaultyFraming.DETAIL;
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        } else {
            detail = code < 500 ? JettyRefusals.detail(code, message, cause, part) : null;
            if (detail == null && code == HttpStatus.BAD_REQUEST_400 && upgradeWithoutConnectionOption(request)) {
                // Jetty refuses such a request with a bare 400 (HttpConnection's upgrade(), no reason): say why.
                detail = UPGRADE_WITHOUT_OPTION;
            }
        }
        // A request that reached Vigil's filter was answered an X-Request-ID there and is recorded by it.
        RequestContext refused =
                telemetry != null && response.getHeaders().get(HttpServerTelemetry.REQUEST_ID_HEADER) == null
                        ? startRecording(request, response, lineRefused)
                        : null;
        String requestId = response.getHeaders().get(HttpServerTelemetry.REQUEST_ID_HEADER);
        byte[] body = Problems.body(status, detail, requestId);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), refused == null ? callback : endingWith(refused, callback));
    }

    private RequestContext startRecording(Request request, Response response, boolean lineRefused) {
        try {
            return telemetry.start(
                    request, response, lineRefused ? JettyCoreAccessor.REQUEST_LINE_REFUSED : JettyCoreAccessor.PARSED);
        } catch (RuntimeException | LinkageError e) {
            return null; // telemetry never stands between a client and its answer; HttpServerTelemetry counts its own
        }
    }

    /**
     * {@code callback}, after ending {@code refused} once the page is written (or its write failed): before the
     * callback completes the response, while Jetty's count of the bytes written is still the page's.
     */
    private static Callback endingWith(RequestContext refused, Callback callback) {
        return new Callback() {
            @Override
            public void succeeded() {
                end(refused);
                callback.succeeded();
            }

            @Override
            public void failed(Throwable failure) {
                end(refused);
                callback.failed(failure);
            }

            @Override
            public InvocationType getInvocationType() {
                return callback.getInvocationType();
            }
        };
    }

    private static void end(RequestContext refused) {
        try {
            refused.end();
        } catch (RuntimeException | LinkageError e) {
            // Recorded or not, the answer goes out.
        }
    }

    static final String UPGRADE_WITHOUT_OPTION = "The request has an Upgrade header but no 'upgrade' in its Connection"
            + " header (RFC 9110, section 7.8): send both to switch protocols, or neither";

    /** An {@code Upgrade} header without the {@code upgrade} option in {@code Connection}, which Jetty refuses. */
    private static boolean upgradeWithoutConnectionOption(Request request) {
        return request.getHeaders().get(HttpHeader.UPGRADE) != null
                && !request.getHeaders().contains(HttpHeader.CONNECTION, "upgrade");
    }

    /**
     * Whether Jetty refused the request line itself: it then answers on a stand-in request, {@code BAD /badMessage
     * HTTP/1.0} (Jetty 12.1's {@code HttpConnection.RequestHandler.badMessage}), as it had no method or target yet. A
     * client that sends that very request line and then a bad header field is told the request line was at fault (and
     * 400 for header fields past the bound, not 431): a request no client sends by mistake.
     */
    private static boolean requestLineRefused(Request request) {
        return "BAD".equals(request.getMethod())
                && "/badMessage".equals(request.getHttpURI().getPath());
    }
}
