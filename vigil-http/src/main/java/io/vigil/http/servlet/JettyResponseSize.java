package io.vigil.http.servlet;

import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.ee10.servlet.ServletContextResponse;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/** Jetty's own count of response body bytes, and its completion hook; loaded only when Jetty is the container. */
final class JettyResponseSize {
    /** Request attribute: the body bytes Jetty sent, once it completed a response answered by its error page. */
    private static final String ERROR_PAGE_BYTES = JettyResponseSize.class.getName() + ".errorPageBytes";

    private JettyResponseSize() {}

    /**
     * Bytes of the response body, or -1 if this is not a Jetty response: what the application wrote to the output
     * stream (part of it may still be in the stream's buffer, unsent), or, for a response Jetty answered with its
     * error page (see {@link #endAfterErrorPage}), what Jetty sent. Its error handler writes the page straight to the
     * core response, past the output stream, whose count it never sees.
     */
    static long written(ServletResponse response) {
        ServletContextResponse jetty = ServletContextResponse.getServletContextResponse(response);
        if (jetty == null) {
            return -1;
        }
        if (jetty.getRequest().getAttribute(ERROR_PAGE_BYTES) instanceof Long sent) {
            return sent;
        }
        return jetty.getHttpOutput().getWritten();
    }

    /** Bytes of the request body Jetty has received so far, or -1 if this is not a Jetty request. */
    static long bodyBytesRead(ServletRequest request) {
        ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
        return jetty == null ? -1 : Request.getContentBytesRead(jetty);
    }

    /**
     * Runs {@code end} once Jetty has completed (or aborted) the response, if Jetty is about to write an error page
     * after the filter chain returned: the application called {@code sendError}, or {@code rethrown} says that an
     * exception goes to the container uncommitted, which answers it with one. False, and nothing registered,
     * otherwise or when this is not a Jetty request.
     */
    static boolean endAfterErrorPage(ServletRequest request, ServletResponse response, boolean rethrown, Runnable end) {
        ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
        ServletContextResponse jettyResponse = ServletContextResponse.getServletContextResponse(response);
        if (jetty == null || jettyResponse == null) {
            return false;
        }
        if (!rethrown && !jettyResponse.getServletRequestState().isSendError()) {
            return false;
        }
        // A completion listener runs when the response's stream completes, after the page's last write, and before
        // Jetty recycles the servlet channel (the channel's own listener was added first; they run last-added first).
        // Jetty counts the page it wrote for a HEAD too, and then sends none of it.
        boolean head = HttpMethod.HEAD.is(jetty.getMethod());
        Request.addCompletionListener(jetty, failure -> {
            jetty.setAttribute(ERROR_PAGE_BYTES, head ? 0L : Response.getContentBytesWritten(jettyResponse));
            end.run();
        });
        return true;
    }
}
