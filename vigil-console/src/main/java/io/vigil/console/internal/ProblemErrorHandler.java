package io.vigil.console.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own errors — what it refuses before any route runs (a bad {@code %} escape or an ambiguous
 * {@code ..} path, 431, 414, 505) — as RFC 9457 {@code application/problem+json}, like the console's
 * own refusals, instead of Jetty's HTML page. Only the status and its standard title: nothing of the
 * request is echoed, no stack or cause is shown.
 */
final class ProblemErrorHandler extends ErrorHandler {
    /** The media type of every problem document the console writes. */
    static final String CONTENT_TYPE = "application/problem+json";

    private static final JsonStringEncoder JSON = JsonStringEncoder.getInstance();

    @SuppressWarnings("this-escape") // Jetty's own setters, which only store a flag
    ProblemErrorHandler() {
        setShowStacks(false);
        setShowCauses(false);
        setShowMessageInTitle(false);
    }

    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(
            Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        byte[] body = body(code, null, null);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /**
     * The console's problem document: {@code type} {@code about:blank} with the status's own phrase as
     * its title (RFC 9457 §4.2.1; what went wrong is the detail), then {@code detail} and {@code instance}
     * when not {@code null}, as UTF-8 bytes.
     *
     * <p>The same members, order and escaping as vigil-core's {@code ProblemJson}, which the console
     * cannot call: it depends on vigil-core only in its tests, so that {@code vigil-console.jar} and an
     * embedding application do not get the OTLP exporter, OkHttp, Kotlin and Prometheus with it.
     */
    static byte[] body(int status, String detail, String instance) {
        StringBuilder sb = new StringBuilder(128)
                .append("{\"type\":\"about:blank\",\"title\":\"")
                .append(HttpStatus.getMessage(status))
                .append("\",\"status\":")
                .append(status);
        if (detail != null) {
            sb.append(",\"detail\":\"").append(JSON.quoteAsString(detail)).append('"');
        }
        if (instance != null) {
            sb.append(",\"instance\":\"").append(JSON.quoteAsString(instance)).append('"');
        }
        return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }
}
