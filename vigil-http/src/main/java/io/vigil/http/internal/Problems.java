package io.vigil.http.internal;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;

/**
 * RFC 9457 problem documents for the errors the HTTP layer answers itself, and which failures are
 * the client's doing (a body shorter than its {@code Content-Length}, a body that never came).
 */
public final class Problems {
    /** The media type of every error body. */
    public static final String CONTENT_TYPE = "application/problem+json";

    private static final int MAX_DETAIL = 200;
    private static final int MAX_CAUSES = 10;
    // Jetty's marker for "this failure is the request's fault, answer this status" (HttpEofException,
    // BadMessageException…). Looked up by name: vigil-http runs in containers without Jetty too.
    private static final Class<?> JETTY_HTTP_EXCEPTION = load("org.eclipse.jetty.http.HttpException");
    private static final Method JETTY_CODE = method(JETTY_HTTP_EXCEPTION, "getCode");

    private Problems() {}

    /**
     * A problem document: {@code type} {@code about:blank}, the status's title, an optional detail
     * (JSON-escaped, at most 200 characters) and the request id when there is one.
     */
    public static byte[] body(int status, String detail, String requestId) {
        StringBuilder sb = new StringBuilder(160)
                .append("{\"type\":\"about:blank\",\"title\":\"")
                .append(title(status))
                .append("\",\"status\":")
                .append(status);
        if (detail != null && !detail.isBlank()) {
            sb.append(",\"detail\":");
            appendJsonString(sb, detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) : detail);
        }
        if (requestId != null && RequestIds.isValid(requestId)) {
            sb.append(",\"request_id\":\"").append(requestId).append('"');
        }
        return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
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

    /** The reason phrase of a status (RFC 9110), for the problem's title. */
    public static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 417 -> "Expectation Failed";
            case 421 -> "Misdirected Request";
            case 422 -> "Unprocessable Content";
            case 426 -> "Upgrade Required";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> status >= 500 ? "Server Error" : "Client Error";
        };
    }

    private static void appendJsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
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
