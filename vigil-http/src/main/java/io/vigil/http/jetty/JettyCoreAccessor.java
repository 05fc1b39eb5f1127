package io.vigil.http.jetty;

import io.vigil.http.HttpServerAccessor;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * Reads Jetty 12's core request and response for a request Jetty refused itself, before any servlet filter or Javalin
 * handler saw it (see {@link ProblemJsonErrorHandler}). When Jetty refused the request line it answers on a stand-in
 * request ({@code BAD /badMessage HTTP/1.0}): then no method, path or query is read from it, as the client sent none
 * Jetty could parse.
 */
final class JettyCoreAccessor implements HttpServerAccessor<Request, Response> {
    /** For a refusal of the header fields or the body: the request line is the client's. */
    static final JettyCoreAccessor PARSED = new JettyCoreAccessor(false);
    /** For a refusal of the request line: the method, target and version are Jetty's stand-in's. */
    static final JettyCoreAccessor REQUEST_LINE_REFUSED = new JettyCoreAccessor(true);

    private final boolean standIn;

    private JettyCoreAccessor(boolean standIn) {
        this.standIn = standIn;
    }

    @Override
    public String method(Request request) {
        return standIn ? "" : request.getMethod();
    }

    @Override
    public String scheme(Request request) {
        return request.isSecure() ? "https" : "http";
    }

    @Override
    public String path(Request request) {
        return standIn ? null : request.getHttpURI().getPath();
    }

    @Override
    public String query(Request request) {
        return standIn ? null : request.getHttpURI().getQuery();
    }

    @Override
    public List<String> requestHeader(Request request, String name) {
        List<String> values = request.getHeaders().getValuesList(name);
        return values == null ? List.of() : values;
    }

    @Override
    public String peerAddress(Request request) {
        return Request.getRemoteAddr(request);
    }

    @Override
    public Integer peerPort(Request request) {
        int port = Request.getRemotePort(request);
        return port > 0 ? port : null;
    }

    @Override
    public String protocolVersion(Request request) {
        if (standIn) {
            return null;
        }
        HttpVersion version = request.getConnectionMetaData().getHttpVersion();
        return switch (version) {
            case HTTP_1_0 -> "1.0";
            case HTTP_1_1 -> "1.1";
            case HTTP_2 -> "2";
            case HTTP_3 -> "3";
            case null, default -> null;
        };
    }

    /**
     * The bytes of the body Jetty took before it refused the request, not its {@code Content-Length}: a refused request
     * declaring 9 EB put 9 EB into the size histogram's sum for good.
     */
    @Override
    public long requestBodySize(Request request) {
        return request.getHeaders().get(HttpHeader.CONTENT_LENGTH) == null
                        && request.getHeaders().get(HttpHeader.TRANSFER_ENCODING) == null
                ? -1
                : Request.getContentBytesRead(request);
    }

    @Override
    public int status(Response response) {
        return response.getStatus();
    }

    @Override
    public long responseBodySize(Response response) {
        return Response.getContentBytesWritten(response);
    }

    @Override
    public List<String> responseHeader(Response response, String name) {
        List<String> values = response.getHeaders().getValuesList(name);
        return values == null ? List.of() : values;
    }

    @Override
    public void setResponseHeader(Response response, String name, String value) {
        response.getHeaders().put(name, value);
    }
}
