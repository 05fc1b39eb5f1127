package io.vigil.http.internal;

import io.vigil.core.internal.ProblemJson;
import java.io.IOException;
import java.lang.reflect.Method;
import java.util.concurrent.TimeoutException;

/**
 * RFC 9457 problem documents for the errors the HTTP layer answers itself, and which failures are
 * the client's doing (a body shorter than its {@code Content-Length}, a body that never came).
 */
public final class Problems {
    /** The media type of every error body. */
    public static final String CONTENT_TYPE = ProblemJson.CONTENT_TYPE;

    private static final int MAX_DETAIL = 200;
    private static final int MAX_CAUSES = 10;
    // Jetty's marker for "this failure is the request's fault, answer this status" (HttpEofException,
    // BadMessageException…). Looked up by name: vigil-http runs in containers without Jetty too.
    private static final Class<?> JETTY_HTTP_EXCEPTION = load("org.eclipse.jetty.http.HttpException");
    private static final Method JETTY_CODE = method(JETTY_HTTP_EXCEPTION, "getCode");

    private Problems() {}

    /**
     * The first content coding other than {@code identity} that {@code contentEncoding} (the request's {@code
     * Content-Encoding} header, null when absent) names, or null when there is none: the codings a request body was
     * sent in, which no reader of the body here undoes. A gzip body read as text was answered 400 or 422 as if its
     * JSON were wrong (RFC 9110 §8.4: the coding must be refused, 415).
     */
    public static String unsupportedContentCoding(String contentEncoding) {
        if (contentEncoding == null) {
            return null;
        }
        for (String coding : contentEncoding.split(",")) {
            String c = coding.strip();
            if (!c.isEmpty() && !c.equalsIgnoreCase("identity")) {
                return c.length() > 32 ? c.substring(0, 32) + "…" : c;
            }
        }
        return null;
    }

    /**
     * A problem document: {@code type} {@code about:blank}, the status's title, an optional detail
     * (at most 200 characters; blank is left out) and the request id when it is a valid one.
     */
    public static byte[] body(int status, String detail, String requestId) {
        ProblemJson problem = ProblemJson.of(status);
        if (detail != null && !detail.isBlank()) {
            problem.detail(detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) : detail);
        }
        if (requestId != null && RequestIds.isValid(requestId)) {
            problem.member("request_id", requestId);
        }
        return problem.toBytes();
    }

    /**
     * The 4xx status a failure of reading the request stands for, or 0 when it is not the client's
     * doing: a Jetty {@code HttpException} with a 4xx code anywhere in the causes (an early EOF of the
     * body is 400), or a read that timed out waiting for the body (408).
     */
    public static int clientErrorStatus(Throwable error) {
        Throwable t = error;
        for (int depth = 0; t != null && depth < MAX_CAUSES; depth++, t = t.getCause()) {
            int code = jettyCode(t);
            if (code >= 400 && code < 500) {
                return code;
            }
            // Jetty's idle timeout while the handler blocks on the body: an IOException over a
            // TimeoutException. (A timeout of the application's own calls is no IOException over it.)
            if (t instanceof IOException && t.getCause() instanceof TimeoutException) {
                return 408;
            }
        }
        return 0;
    }

    private static int jettyCode(Throwable t) {
        if (JETTY_CODE == null || !JETTY_HTTP_EXCEPTION.isInstance(t)) {
            return 0;
        }
        try {
            return (Integer) JETTY_CODE.invoke(t);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return 0;
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, Problems.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    private static Method method(Class<?> type, String name) {
        if (type == null) {
            return null;
        }
        try {
            return type.getMethod(name);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
