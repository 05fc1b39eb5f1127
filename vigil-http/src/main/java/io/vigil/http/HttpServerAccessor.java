package io.vigil.http;

import java.util.List;

/**
 * How {@link HttpServerTelemetry} reads one framework's request and response. An adapter (the
 * {@code servlet} filter, the {@code javalin} plugin) implements it once; applications never do.
 *
 * @param <REQ> the framework's request type
 * @param <RES> the framework's response type
 */
public interface HttpServerAccessor<REQ, RES> {
    /** The request method as sent, e.g. {@code GET}. */
    String method(REQ request);

    /** {@code http} or {@code https}. */
    String scheme(REQ request);

    /** The path without query string, as received (not decoded). */
    String path(REQ request);

    /** The query string without {@code ?}, or {@code null}. */
    String query(REQ request);

    /** All values of a request header (case-insensitive name); empty when absent. */
    List<String> requestHeader(REQ request, String name);

    /** The address of the TCP peer (the last proxy, if any). */
    String peerAddress(REQ request);

    /** The port of the TCP peer, or {@code null}. */
    Integer peerPort(REQ request);

    /** The HTTP version, e.g. {@code 1.1} or {@code 2}, or {@code null}. */
    String protocolVersion(REQ request);

    /** The request body size in bytes from {@code Content-Length}, or {@code -1} when unknown. */
    long requestBodySize(REQ request);

    /** The response status code as it stands now. */
    int status(RES response);

    /** The response body size in bytes actually written, or {@code -1} when unknown. */
    long responseBodySize(RES response);

    /** All values of a response header; empty when absent. */
    List<String> responseHeader(RES response, String name);

    /** Sets a response header (before the response is committed). */
    void setResponseHeader(RES response, String name, String value);
}
