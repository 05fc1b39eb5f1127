package io.vigil.console.internal;

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
        byte[] body = ("{\"type\":\"about:blank\",\"title\":\"" + HttpStatus.getMessage(code) + "\",\"status\":" + code
                        + "}")
                .getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
