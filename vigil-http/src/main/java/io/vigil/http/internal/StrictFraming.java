package io.vigil.http.internal;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * Refuses an HTTP/1.0 request that carries {@code Transfer-Encoding}, before any handler runs: RFC 9112 §6.1 says a
 * server receiving one MUST treat its framing as faulty, since an HTTP/1.0 intermediary in front of the server does
 * not know chunked encoding and may read the body as something else (request smuggling). Jetty's parser decodes such a
 * body as chunked, and its {@code HttpCompliance} has no violation for it, so this {@link HttpConfiguration.Customizer}
 * (which Jetty runs once the head is parsed, before the server's handlers, where it runs its own URI checks) throws
 * {@link FaultyFraming}: the server's error handler answers 400, and {@code ProblemJsonErrorHandler} closes the
 * connection, so the body's bytes are never read as a next request.
 */
public final class StrictFraming implements HttpConfiguration.Customizer {
    private static final StrictFraming INSTANCE = new StrictFraming();

    private StrictFraming() {}

    /** Adds the check to {@code http}, once however often it is called. */
    public static void install(HttpConfiguration http) {
        if (!http.getCustomizers().contains(INSTANCE)) {
            http.addCustomizer(INSTANCE);
        }
    }

    @Override
    public Request customize(Request request, HttpFields.Mutable responseHeaders) {
        if (request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_1_0
                && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)) {
            throw new FaultyFraming();
        }
        return request;
    }

    /** The refusal: a 400 whose reason is the problem's detail, after which the connection must be closed. */
    public static final class FaultyFraming extends HttpException.RuntimeException {
        private static final long serialVersionUID = 1L;

        /** The detail of the 400 answered for it. */
        public static final String DETAIL =
                "An HTTP/1.0 request must not have Transfer-Encoding (RFC 9112, section 6.1): its framing is faulty";

        FaultyFraming() {
            super(HttpStatus.BAD_REQUEST_400, DETAIL);
        }
    }
}
