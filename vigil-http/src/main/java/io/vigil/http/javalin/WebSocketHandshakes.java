package io.vigil.http.javalin;

import io.javalin.config.JavalinState;
import io.javalin.http.HandlerType;
import io.javalin.websocket.WsHandlerEntry;
import io.vigil.http.RequestContext;
import io.vigil.http.internal.Problems;
import io.vigil.http.servlet.VigilHttpFilter;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.util.Base64;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The requests a Javalin WebSocket route answers before any of its handlers run, installed by {@link
 * VigilJavalinPlugin} behind {@link VigilHttpFilter} (so each answer is counted under the WebSocket route).
 *
 * <p>Javalin sends a request to its WebSocket side only when it carries {@code Sec-WebSocket-Version}, and Jetty
 * upgrades only a complete RFC 6455 handshake; everything in between was answered wrongly: a plain {@code GET} or a
 * {@code POST} of a WebSocket route was 404 (no HTTP route), a handshake with an unknown version or without {@code
 * Connection: Upgrade} was Jetty's servlet fallback, 405 "HTTP method GET is not supported by this URL", and a {@code
 * Sec-WebSocket-Key} that is no base64 of 16 bytes was upgraded. Here, on a path only a WebSocket route serves (over
 * HTTP/1.x; HTTP/2's extended CONNECT is Jetty's):
 *
 * <ul>
 *   <li>another method than GET: 405 with {@code Allow: GET} (RFC 6455 §4.1: the opening handshake is a GET; a HEAD
 *       cannot be upgraded, so it is no method of the resource either);
 *   <li>a GET that asks for no upgrade to WebSocket: 426 with {@code Upgrade: websocket} and {@code Connection:
 *       Upgrade} (RFC 9110 §15.5.22, §7.8). Not 400: the request is a well-formed GET of a resource that exists;
 *       what it lacks is the protocol, which is exactly what 426 says, and its {@code Upgrade} header tells the client
 *       (or a person with curl) how to get it;
 *   <li>a {@code Sec-WebSocket-Version} other than 13: 426 with {@code Sec-WebSocket-Version: 13} (RFC 6455 §4.2.2,
 *       §4.4);
 *   <li>a missing or repeated {@code Sec-WebSocket-Key}, or one that is not the base64 of 16 bytes: 400 (RFC 6455
 *       §4.1, §4.2.1, §11.3.1).
 * </ul>
 *
 * <p>Each is an RFC 9457 problem, answered before authentication: a handshake that can never succeed is refused for
 * its form whoever sends it, as Jetty refuses malformed requests. No HTTP route is shadowed: a plain request to a
 * path that an HTTP route serves too goes on to that route.
 *
 * <p>Javalin also reads the session's attributes for every request it sends to its WebSocket side, before any
 * handler runs, through {@code getSession()}, which creates a session: every upgrade — accepted, refused by
 * authentication, or to a path with no WebSocket route — answered with a {@code Set-Cookie: JSESSIONID}, and the
 * server kept a session per attempt. Such requests go on with a session that is created only when something is
 * stored in it; an existing session is used as it is.
 */
final class WebSocketHandshakes implements Filter {
    /** The only version of RFC 6455 (§4.4). */
    private static final String VERSION = "13";
    /** The base64 (RFC 4648 §4, padded) of 16 bytes: 22 characters and "==". */
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9+/]{22}==");

    private static final String UPGRADE = "Upgrade";
    private static final String SEC_WEBSOCKET_VERSION = "Sec-WebSocket-Version";
    private static final String SEC_WEBSOCKET_KEY = "Sec-WebSocket-Key";

    private final JavalinState state;
    /** Whether the server has a WebSocket route; read once it serves, when its routes are final. */
    private volatile Boolean webSocketRoutes;

    WebSocketHandshakes(JavalinState state) {
        this.state = state;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)) {
            chain.doFilter(req, res);
            return;
        }
        // The header Javalin routes by: with it, the request goes to Javalin's WebSocket side.
        boolean toWebSocketSide = request.getHeader(SEC_WEBSOCKET_VERSION) != null;
        WsHandlerEntry route = hasWebSocketRoutes() ? route(request) : null;
        if (route == null) {
            chain.doFilter(toWebSocketSide ? new NoSessionCreated(request) : request, response);
            return;
        }
        boolean http1 = request.getProtocol() != null && request.getProtocol().startsWith("HTTP/1.");
        boolean handshake = toWebSocketSide || hasToken(request, UPGRADE, "websocket");
        if (!http1 || (!handshake && servedOverHttp(path(request)))) {
            chain.doFilter(toWebSocketSide ? new NoSessionCreated(request) : request, response);
            return;
        }
        if (!refused(request, response, route.getPath())) {
            chain.doFilter(new NoSessionCreated(request), response);
        }
    }

    /** Answers a request that is no valid opening handshake; whether it did. */
    private static boolean refused(HttpServletRequest request, HttpServletResponse response, String route)
            throws IOException {
        if (!"GET".equals(request.getMethod())) {
            response.setHeader("Allow", "GET");
            answer(request, response, route, 405, "A WebSocket endpoint: only GET, the opening handshake, is served");
            return true;
        }
        if (!"HTTP/1.1".equals(request.getProtocol())
                || !hasToken(request, UPGRADE, "websocket")
                || !hasToken(request, "Connection", "upgrade")) {
            upgradeHeaders(response);
            answer(
                    request,
                    response,
                    route,
                    426,
                    "A WebSocket endpoint: open it with an HTTP/1.1 GET carrying Upgrade: websocket and Connection:"
                            + " Upgrade (RFC 6455 section 4.1)");
            return true;
        }
        List<String> versions = values(request, SEC_WEBSOCKET_VERSION);
        if (versions.size() != 1 || !VERSION.equals(versions.getFirst().strip())) {
            upgradeHeaders(response);
            response.setHeader(SEC_WEBSOCKET_VERSION, VERSION);
            answer(
                    request,
                    response,
                    route,
                    426,
                    "Sec-WebSocket-Version missing or unsupported: this server speaks WebSocket version 13 (RFC 6455"
                            + " section 4.4)");
            return true;
        }
        List<String> keys = values(request, SEC_WEBSOCKET_KEY);
        if (keys.size() != 1 || !validKey(keys.getFirst().strip())) {
            answer(
                    request,
                    response,
                    route,
                    400,
                    "Sec-WebSocket-Key must be sent once, as the base64 encoding of 16 bytes (RFC 6455 section 4.1)");
            return true;
        }
        return false;
    }

    static boolean validKey(String key) {
        // The pattern fixes the length (so 16 bytes) and the alphabet; decoding checks what is left.
        if (!KEY.matcher(key).matches()) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void upgradeHeaders(HttpServletResponse response) {
        // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to; §7.8: Upgrade goes with Connection: Upgrade.
        response.setHeader(UPGRADE, "websocket");
        response.setHeader("Connection", UPGRADE);
    }

    private static void answer(
            HttpServletRequest request, HttpServletResponse response, String route, int status, String detail)
            throws IOException {
        VigilHttpFilter.route(request, route); // counted under the WebSocket route, not "unmatched"
        String requestId = request.getAttribute(VigilHttpFilter.CONTEXT_ATTRIBUTE) instanceof RequestContext c
                ? c.requestId()
                : null;
        byte[] body = Problems.body(status, detail, requestId);
        response.setStatus(status);
        response.setContentType(Problems.CONTENT_TYPE);
        response.setContentLength(body.length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(body);
        }
    }

    private boolean hasWebSocketRoutes() {
        Boolean any = webSocketRoutes;
        if (any == null) {
            any = !state.internalRouter.allWsHandlers().isEmpty();
            webSocketRoutes = any;
        }
        return any;
    }

    private WsHandlerEntry route(HttpServletRequest request) {
        return state.wsRouter.getWsPathMatcher().findEndpointHandlerEntry(path(request));
    }

    // As Javalin's WebSocket side sees it: the request URI without the context path.
    private static String path(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String context = request.getContextPath();
        return context != null && !context.isEmpty() && uri.startsWith(context) ? uri.substring(context.length()) : uri;
    }

    /** Whether an HTTP route (any method) serves {@code path} too: its plain requests are its own. */
    private boolean servedOverHttp(String path) {
        for (HandlerType method : HandlerType.values()) {
            if (method.isHttpMethod() && state.internalRouter.findFirstHttpHandlerEntry(method, path) != null) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasToken(HttpServletRequest request, String header, String token) {
        for (String value : values(request, header)) {
            for (String t : value.split(",")) {
                if (t.strip().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<String> values(HttpServletRequest request, String header) {
        Enumeration<String> values = request.getHeaders(header);
        return values == null ? List.of() : Collections.list(values);
    }

    /**
     * The request with a session that exists only once something is stored in it: Javalin's snapshot of the
     * session's attributes at every upgrade reads an empty one instead of creating a session (and a cookie).
     */
    private static final class NoSessionCreated extends HttpServletRequestWrapper {
        private DeferredSession deferred;

        NoSessionCreated(HttpServletRequest request) {
            super(request);
        }

        @Override
        public HttpSession getSession() {
            return getSession(true);
        }

        @Override
        public HttpSession getSession(boolean create) {
            HttpSession existing = super.getSession(false);
            if (existing != null || !create) {
                return existing;
            }
            if (deferred == null) {
                deferred = new DeferredSession(this);
            }
            return deferred;
        }

        HttpSession create() {
            return super.getSession(true);
        }
    }

    /** Reads as an empty session; anything that needs a real one (a value stored, its id) creates it. */
    private static final class DeferredSession implements HttpSession {
        private final NoSessionCreated request;
        private HttpSession real;

        DeferredSession(NoSessionCreated request) {
            this.request = request;
        }

        private HttpSession real() {
            if (real == null) {
                real = request.create();
            }
            return real;
        }

        @Override
        public Object getAttribute(String name) {
            return real == null ? null : real.getAttribute(name);
        }

        @Override
        public Enumeration<String> getAttributeNames() {
            return real == null ? Collections.emptyEnumeration() : real.getAttributeNames();
        }

        @Override
        public void setAttribute(String name, Object value) {
            if (value == null) {
                removeAttribute(name); // the servlet API's meaning of null; nothing to store
            } else {
                real().setAttribute(name, value);
            }
        }

        @Override
        public void removeAttribute(String name) {
            if (real != null) {
                real.removeAttribute(name);
            }
        }

        @Override
        public void invalidate() {
            if (real != null) {
                real.invalidate();
            }
        }

        @Override
        public long getCreationTime() {
            return real().getCreationTime();
        }

        @Override
        public String getId() {
            return real().getId();
        }

        @Override
        public long getLastAccessedTime() {
            return real().getLastAccessedTime();
        }

        @Override
        public ServletContext getServletContext() {
            return request.getServletContext();
        }

        @Override
        public void setMaxInactiveInterval(int interval) {
            real().setMaxInactiveInterval(interval);
        }

        @Override
        public int getMaxInactiveInterval() {
            return real().getMaxInactiveInterval();
        }

        @Override
        public boolean isNew() {
            return real().isNew();
        }
    }
}
