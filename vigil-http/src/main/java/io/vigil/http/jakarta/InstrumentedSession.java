package io.vigil.http.jakarta;

import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Extension;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import jakarta.websocket.WebSocketContainer;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link Session} an instrumented endpoint sees: message handlers it adds are wrapped so each
 * message runs through {@link WebSocketConnection}; everything else is the container's session.
 *
 * <p>Once the endpoint's {@code onOpen} has run, a text or binary message for which it registered no handler closes
 * the connection with 1003 (RFC 6455 §7.4.1), counted as {@code bad_frame}: Tomcat does so itself, but Jetty's
 * container dropped such a message unread, so the client could not tell it was ignored. The adapter registers a
 * handler of its own for each missing type; it makes way whenever the endpoint adds a handler, and is hidden from
 * {@link #getMessageHandlers()}.
 */
final class InstrumentedSession implements Session {
    private final Session session;
    private final WebSocketConnection connection;
    private final Map<MessageHandler, MessageHandler> wrappers = new ConcurrentHashMap<>();
    private final MessageHandler.Whole<String> textRefusal = new MessageHandler.Whole<>() {
        @Override
        public void onMessage(String text) {
            connection.unsupportedText(text);
        }
    };
    private final MessageHandler.Whole<ByteBuffer> binaryRefusal = new MessageHandler.Whole<>() {
        @Override
        public void onMessage(ByteBuffer bytes) {
            connection.unsupportedBinary(bytes.remaining());
        }
    };
    // Guarded by this: whether refusals are wanted at all (after onOpen), and which are registered now.
    private boolean refusing;
    private boolean textRefused;
    private boolean binaryRefused;

    InstrumentedSession(Session session, WebSocketConnection connection) {
        this.session = session;
        this.connection = connection;
    }

    @Override
    public void addMessageHandler(MessageHandler handler) {
        Class<?> type = messageType(handler);
        if (type == null) {
            register(() -> session.addMessageHandler(handler)); // the container resolves it (or refuses it) as usual
            return;
        }
        if (handler instanceof MessageHandler.Partial<?> p) {
            addPartial(type, p);
        } else if (handler instanceof MessageHandler.Whole<?> w) {
            addWhole(type, w);
        } else {
            register(() -> session.addMessageHandler(handler));
        }
    }

    @SuppressWarnings("unchecked")
    private <T> void addWhole(Class<T> type, MessageHandler.Whole<?> handler) {
        addMessageHandler(type, (MessageHandler.Whole<T>) handler);
    }

    @SuppressWarnings("unchecked")
    private <T> void addPartial(Class<T> type, MessageHandler.Partial<?> handler) {
        addMessageHandler(type, (MessageHandler.Partial<T>) handler);
    }

    @Override
    public <T> void addMessageHandler(Class<T> type, MessageHandler.Whole<T> handler) {
        if (type == PongMessage.class) {
            session.addMessageHandler(type, handler);
            return;
        }
        MessageHandler.Whole<T> wrapper = message -> dispatch(message, () -> handler.onMessage(message));
        register(() -> session.addMessageHandler(type, wrapper));
        wrappers.put(handler, wrapper);
    }

    /** Each part is handled, counted and traced as one message. */
    @Override
    public <T> void addMessageHandler(Class<T> type, MessageHandler.Partial<T> handler) {
        MessageHandler.Partial<T> wrapper = (part, last) -> dispatch(part, () -> handler.onMessage(part, last));
        register(() -> session.addMessageHandler(type, wrapper));
        wrappers.put(handler, wrapper);
    }

    /**
     * From now on (the endpoint's {@code onOpen} has returned), a message type without a handler of the endpoint's is
     * refused with 1003.
     */
    synchronized void refuseUnhandledMessages() {
        refusing = true;
        addRefusals();
    }

    /**
     * Runs {@code add} (the container's {@code addMessageHandler}) with the refusals out of the way: the container
     * allows one handler per message type, and which type a decoded or stream handler takes only the container knows.
     * Afterwards each refusal goes back where no handler of the endpoint's took its place.
     */
    private synchronized void register(Runnable add) {
        removeRefusals();
        try {
            add.run();
        } finally {
            addRefusals();
        }
    }

    private void removeRefusals() {
        if (textRefused) {
            session.removeMessageHandler(textRefusal);
            textRefused = false;
        }
        if (binaryRefused) {
            session.removeMessageHandler(binaryRefusal);
            binaryRefused = false;
        }
    }

    private void addRefusals() {
        if (!refusing) {
            return;
        }
        if (!textRefused) {
            textRefused = tryAdd(String.class, textRefusal);
        }
        if (!binaryRefused) {
            binaryRefused = tryAdd(ByteBuffer.class, binaryRefusal);
        }
    }

    private <T> boolean tryAdd(Class<T> type, MessageHandler.Whole<T> handler) {
        try {
            session.addMessageHandler(type, handler);
            return true;
        } catch (IllegalStateException e) {
            return false; // the endpoint has a handler for this type (Jakarta WebSocket 2.1: one per type)
        }
    }

    private void dispatch(Object message, WebSocketConnection.Handler handler) {
        switch (message) {
            case String text -> connection.text(text, handler);
            case ByteBuffer bytes -> connection.binary(bytes.remaining(), handler);
            case byte[] bytes -> connection.binary(bytes.length, handler);
            default -> connection.message(WebSocketTelemetry.DEFAULT_HANDLER, -1, handler); // decoded or a stream
        }
    }

    /** The {@code T} of a {@code MessageHandler.Whole<T>} / {@code Partial<T>} class, or {@code null}. */
    static Class<?> messageType(MessageHandler handler) {
        for (Class<?> c = handler.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Type t : c.getGenericInterfaces()) {
                if (t instanceof ParameterizedType p
                        && (p.getRawType() == MessageHandler.Whole.class
                                || p.getRawType() == MessageHandler.Partial.class)
                        && p.getActualTypeArguments()[0] instanceof Class<?> arg) {
                    return arg;
                }
            }
        }
        return null;
    }

    @Override
    public Set<MessageHandler> getMessageHandlers() {
        Set<MessageHandler> handlers = new HashSet<>();
        for (MessageHandler h : session.getMessageHandlers()) {
            if (h == textRefusal || h == binaryRefusal) {
                continue; // the adapter's, not the endpoint's
            }
            MessageHandler original = null;
            for (Map.Entry<MessageHandler, MessageHandler> e : wrappers.entrySet()) {
                if (e.getValue() == h) {
                    original = e.getKey();
                }
            }
            handlers.add(original != null ? original : h);
        }
        return handlers;
    }

    @Override
    public void removeMessageHandler(MessageHandler handler) {
        MessageHandler wrapper = wrappers.remove(handler);
        synchronized (this) {
            session.removeMessageHandler(wrapper != null ? wrapper : handler);
            addRefusals(); // its message type is refused again
        }
    }

    @Override
    public WebSocketContainer getContainer() {
        return session.getContainer();
    }

    @Override
    public String getProtocolVersion() {
        return session.getProtocolVersion();
    }

    @Override
    public String getNegotiatedSubprotocol() {
        return session.getNegotiatedSubprotocol();
    }

    @Override
    public List<Extension> getNegotiatedExtensions() {
        return session.getNegotiatedExtensions();
    }

    @Override
    public boolean isSecure() {
        return session.isSecure();
    }

    @Override
    public boolean isOpen() {
        return session.isOpen();
    }

    @Override
    public long getMaxIdleTimeout() {
        return session.getMaxIdleTimeout();
    }

    @Override
    public void setMaxIdleTimeout(long milliseconds) {
        session.setMaxIdleTimeout(milliseconds);
    }

    @Override
    public void setMaxBinaryMessageBufferSize(int length) {
        session.setMaxBinaryMessageBufferSize(length);
    }

    @Override
    public int getMaxBinaryMessageBufferSize() {
        return session.getMaxBinaryMessageBufferSize();
    }

    @Override
    public void setMaxTextMessageBufferSize(int length) {
        session.setMaxTextMessageBufferSize(length);
    }

    @Override
    public int getMaxTextMessageBufferSize() {
        return session.getMaxTextMessageBufferSize();
    }

    @Override
    public RemoteEndpoint.Async getAsyncRemote() {
        return session.getAsyncRemote();
    }

    @Override
    public RemoteEndpoint.Basic getBasicRemote() {
        return session.getBasicRemote();
    }

    @Override
    public String getId() {
        return session.getId();
    }

    @Override
    public void close() throws IOException {
        session.close();
    }

    @Override
    public void close(CloseReason closeReason) throws IOException {
        session.close(closeReason);
    }

    @Override
    public URI getRequestURI() {
        return session.getRequestURI();
    }

    @Override
    public Map<String, List<String>> getRequestParameterMap() {
        return session.getRequestParameterMap();
    }

    @Override
    public String getQueryString() {
        return session.getQueryString();
    }

    @Override
    public Map<String, String> getPathParameters() {
        return session.getPathParameters();
    }

    @Override
    public Map<String, Object> getUserProperties() {
        return session.getUserProperties();
    }

    @Override
    public Principal getUserPrincipal() {
        return session.getUserPrincipal();
    }

    @Override
    public Set<Session> getOpenSessions() {
        return session.getOpenSessions();
    }
}
