package io.vigil.http.servlet;

import io.vigil.http.HttpServerAccessor;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/** Reads Jakarta Servlet 6 requests and responses for {@link io.vigil.http.HttpServerTelemetry}. */
final class ServletAccessor implements HttpServerAccessor<HttpServletRequest, HttpServletResponse> {
    static final ServletAccessor INSTANCE = new ServletAccessor();

    /** Exact byte counts where the container is Jetty 12 (ee10); other containers use Content-Length. */
    private static final boolean JETTY = jettyPresent();
    /** Set once Jetty's response size proved unreadable on this class path; never reset (see responseBodySize). */
    private static final AtomicBoolean JETTY_SIZE_UNREADABLE = new AtomicBoolean();

    private ServletAccessor() {}

    private static boolean jettyPresent() {
        try {
            Class.forName(
                    "org.eclipse.jetty.ee10.servlet.ServletContextResponse",
                    false,
                    ServletAccessor.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Whether the container writes an error page after the filter chain returned — {@code sendError} was called, or
     * {@code rethrown} an exception goes to it uncommitted — and {@code end} will run once it completed the response,
     * so that the page's bytes (and the time it took) are the request's; false, {@code end} not registered, where the
     * container offers no such hook (only Jetty does; elsewhere the request ends at once, without the page's size).
     */
    static boolean endAfterErrorPage(
            HttpServletRequest request, HttpServletResponse response, boolean rethrown, Runnable end) {
        if (!JETTY || JETTY_SIZE_UNREADABLE.get()) {
            return false;
        }
        try {
            return JettyResponseSize.endAfterErrorPage(request, response, rethrown, end);
        } catch (RuntimeException | LinkageError e) {
            return false; // this Jetty's internals differ (responseBodySize says so, once): end at once, as before
        }
    }

    @Override
    public String method(HttpServletRequest request) {
        return request.getMethod();
    }

    @Override
    public String scheme(HttpServletRequest request) {
        return request.getScheme();
    }

    @Override
    public String path(HttpServletRequest request) {
        return request.getRequestURI();
    }

    @Override
    public String query(HttpServletRequest request) {
        return request.getQueryString();
    }

    @Override
    public List<String> requestHeader(HttpServletRequest request, String name) {
        Enumeration<String> values = request.getHeaders(name);
        if (values == null || !values.hasMoreElements()) {
            return List.of();
        }
        String first = values.nextElement();
        if (!values.hasMoreElements()) {
            return List.of(first);
        }
        List<String> all = new ArrayList<>(2);
        all.add(first);
        while (values.hasMoreElements()) {
            all.add(values.nextElement());
        }
        return all;
    }

    @Override
    public String peerAddress(HttpServletRequest request) {
        return request.getRemoteAddr();
    }

    @Override
    public Integer peerPort(HttpServletRequest request) {
        int port = request.getRemotePort();
        return port > 0 ? port : null;
    }

    @Override
    public String protocolVersion(HttpServletRequest request) {
        String protocol = request.getProtocol(); // "HTTP/1.1"
        if (protocol != null && protocol.startsWith("HTTP/")) {
            String v = protocol.substring(5);
            return v.equals("2.0") ? "2" : v.equals("3.0") ? "3" : v;
        }
        return null;
    }

    /**
     * On Jetty, the body bytes the server received, at most the declared {@code Content-Length}: a client that declared
     * 9 EB and sent 21 bytes put 9 EB into {@code http_request_size_bytes}' sum for good (the body was refused or timed
     * out unread), and a chunked body, which declares nothing, was not recorded at all. Elsewhere the declared length.
     */
    @Override
    public long requestBodySize(HttpServletRequest request) {
        long declared = request.getContentLengthLong();
        if (JETTY && !JETTY_SIZE_UNREADABLE.get()) {
            try {
                long read = JettyResponseSize.bodyBytesRead(request);
                if (read >= 0) {
                    return declared < 0 ? (read > 0 ? read : -1) : Math.min(declared, read);
                }
            } catch (RuntimeException | LinkageError e) {
                // This Jetty's internals differ: the declared length, as on other containers.
            }
        }
        return declared;
    }

    @Override
    public int status(HttpServletResponse response) {
        return response.getStatus();
    }

    @Override
    public long responseBodySize(HttpServletResponse response) {
        if (JETTY && !JETTY_SIZE_UNREADABLE.get()) {
            try {
                long written = JettyResponseSize.written(response);
                if (written >= 0) {
                    return written;
                }
            } catch (RuntimeException | LinkageError e) {
                // A failure here means this Jetty's internals differ from the ones we read (a property of the class
                // path, like JETTY itself): say so once, at WARN, and fall back to Content-Length for good rather than
                // failing, and logging, on every request.
                if (JETTY_SIZE_UNREADABLE.compareAndSet(false, true)) {
                    LoggerFactory.getLogger(ServletAccessor.class)
                            .warn(
                                    "Cannot read Jetty's response size ({}); http_response_size_bytes falls back to"
                                            + " Content-Length from now on",
                                    e.toString());
                }
            }
        }
        String length = response.getHeader("Content-Length");
        if (length != null) {
            try {
                return Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    public List<String> responseHeader(HttpServletResponse response, String name) {
        Collection<String> values = response.getHeaders(name);
        return values == null ? List.of() : List.copyOf(values);
    }

    @Override
    public void setResponseHeader(HttpServletResponse response, String name, String value) {
        response.setHeader(name, value);
    }
}
