package io.vigil.http.servlet;

import jakarta.servlet.ServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextResponse;

/** Jetty's own count of response body bytes; loaded only when Jetty is the container. */
final class JettyResponseSize {
    private JettyResponseSize() {}

    /** Bytes the application wrote to the response body, or -1 if this is not a Jetty response. */
    static long written(ServletResponse response) {
        ServletContextResponse jetty = ServletContextResponse.getServletContextResponse(response);
        return jetty == null ? -1 : jetty.getHttpOutput().getWritten();
    }
}
