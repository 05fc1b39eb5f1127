package io.vigil.http.jakarta;

import io.vigil.http.websocket.WebSocketConnection;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A {@code @ServerEndpoint} object driven as a programmatic {@link Endpoint}, so that its methods run
 * through the instrumented session. Supports the common signatures (see {@link
 * VigilJakartaWebSocket#annotated}).
 */
final class AnnotatedEndpoint extends Endpoint {
    private enum Arg {
        SESSION,
        CONFIG,
        PATH,
        MESSAGE,
        CLOSE_REASON,
        ERROR
    }

    /** A method and how to fill its parameters. */
    private record Call(Method method, Arg[] args, String[] pathNames) {
        Object invoke(Object target, Session s, EndpointConfig c, Object message, CloseReason r, Throwable e)
                throws Exception {
            Object[] values = new Object[args.length];
            for (int i = 0; i < args.length; i++) {
                values[i] = switch (args[i]) {
                    case SESSION -> s;
                    case CONFIG -> c;
                    case PATH -> s.getPathParameters().get(pathNames[i]);
                    case MESSAGE -> message;
                    case CLOSE_REASON -> r;
                    case ERROR -> e;
                };
            }
            try {
                return method.invoke(target, values);
            } catch (InvocationTargetException ite) {
                if (ite.getCause() instanceof Exception cause) {
                    throw cause;
                }
                if (ite.getCause() instanceof Error error) {
                    throw error;
                }
                throw ite;
            }
        }
    }

    /** The endpoint class's annotated methods, read once at registration. */
    record Methods(String path, List<String> subprotocols, Call open, Call text, Call binary, Call close, Call error) {
        static Methods of(Class<?> type) {
            ServerEndpoint endpoint = type.getAnnotation(ServerEndpoint.class);
            if (endpoint == null) {
                throw new IllegalArgumentException(type.getName() + " has no @ServerEndpoint");
            }
            if (endpoint.decoders().length > 0 || endpoint.encoders().length > 0) {
                throw new IllegalArgumentException(type.getName() + ": decoders and encoders are not supported here; "
                        + "use VigilJakartaWebSocket.endpoint with a programmatic Endpoint");
            }
            Call open = null;
            Call text = null;
            Call binary = null;
            Call close = null;
            Call error = null;
            for (Method m : type.getMethods()) {
                if (m.isAnnotationPresent(OnOpen.class)) {
                    open = call(m, OnOpen.class, null);
                } else if (m.isAnnotationPresent(OnClose.class)) {
                    close = call(m, OnClose.class, CloseReason.class);
                } else if (m.isAnnotationPresent(OnError.class)) {
                    error = call(m, OnError.class, Throwable.class);
                } else if (m.isAnnotationPresent(OnMessage.class)) {
                    Class<?> message = messageParameter(m);
                    Call c = call(m, OnMessage.class, message);
                    Class<?> result = m.getReturnType();
                    if (result != void.class
                            && result != String.class
                            && result != ByteBuffer.class
                            && result != byte[].class) {
                        throw unsupported(m, "return type " + result.getName());
                    }
                    if (message == String.class) {
                        text = c;
                    } else {
                        binary = c;
                    }
                }
            }
            return new Methods(endpoint.value(), List.of(endpoint.subprotocols()), open, text, binary, close, error);
        }

        private static Class<?> messageParameter(Method m) {
            Class<?> found = null;
            for (Parameter p : m.getParameters()) {
                Class<?> t = p.getType();
                if (t == String.class && p.isAnnotationPresent(PathParam.class)) {
                    continue;
                }
                if (t == String.class || t == ByteBuffer.class || t == byte[].class) {
                    if (found != null) {
                        throw unsupported(m, "two message parameters");
                    }
                    found = t;
                }
            }
            if (found == null) {
                throw unsupported(m, "no String, ByteBuffer or byte[] message parameter");
            }
            return found;
        }

        private static Call call(Method m, Class<? extends Annotation> kind, Class<?> special) {
            Parameter[] ps = m.getParameters();
            Arg[] args = new Arg[ps.length];
            String[] names = new String[ps.length];
            for (int i = 0; i < ps.length; i++) {
                Class<?> t = ps[i].getType();
                PathParam path = ps[i].getAnnotation(PathParam.class);
                if (path != null && t == String.class) {
                    args[i] = Arg.PATH;
                    names[i] = path.value();
                } else if (t == Session.class) {
                    args[i] = Arg.SESSION;
                } else if (t == EndpointConfig.class && kind == OnOpen.class) {
                    args[i] = Arg.CONFIG;
                } else if (special != null && t == special) {
                    args[i] =
                            kind == OnClose.class ? Arg.CLOSE_REASON : kind == OnError.class ? Arg.ERROR : Arg.MESSAGE;
                } else {
                    throw unsupported(m, "parameter " + t.getName());
                }
            }
            m.trySetAccessible();
            return new Call(m, args, names);
        }

        private static IllegalArgumentException unsupported(Method m, String what) {
            return new IllegalArgumentException(
                    m.getDeclaringClass().getName() + "." + m.getName() + ": " + what + " is not supported");
        }
    }

    private final Methods methods;
    private final Object target;

    AnnotatedEndpoint(Methods methods, Object target) {
        this.methods = methods;
        this.target = target;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        if (methods.text() != null) {
            session.addMessageHandler(
                    String.class, (MessageHandler.Whole<String>) m -> reply(session, methods.text(), m));
        }
        if (methods.binary() != null) {
            Class<?> type = methods.binary().method().getParameterTypes()[messageIndex(methods.binary())];
            if (type == byte[].class) {
                session.addMessageHandler(
                        byte[].class, (MessageHandler.Whole<byte[]>) m -> reply(session, methods.binary(), m));
            } else {
                session.addMessageHandler(
                        ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) m -> reply(session, methods.binary(), m));
            }
        }
        if (methods.open() != null) {
            run(() -> methods.open().invoke(target, session, config, null, null, null));
        }
    }

    private static int messageIndex(Call c) {
        for (int i = 0; i < c.args().length; i++) {
            if (c.args()[i] == Arg.MESSAGE) {
                return i;
            }
        }
        throw new IllegalStateException();
    }

    private void reply(Session session, Call call, Object message) {
        run(() -> {
            Object result = call.invoke(target, session, null, message, null, null);
            WebSocketConnection c = VigilJakartaWebSocket.connection(session);
            switch (result) {
                case null -> {}
                case String text -> {
                    session.getBasicRemote().sendText(text);
                    if (c != null) {
                        c.sentText(text);
                    }
                }
                case ByteBuffer bytes -> {
                    int n = bytes.remaining();
                    session.getBasicRemote().sendBinary(bytes);
                    if (c != null) {
                        c.sent("binary", n);
                    }
                }
                case byte[] bytes -> {
                    session.getBasicRemote().sendBinary(ByteBuffer.wrap(bytes));
                    if (c != null) {
                        c.sent("binary", bytes.length);
                    }
                }
                default -> throw new IllegalStateException("unexpected result " + result.getClass());
            }
            return null;
        });
    }

    @Override
    public void onClose(Session session, CloseReason closeReason) {
        if (methods.close() != null) {
            run(() -> methods.close().invoke(target, session, null, null, closeReason, null));
        }
    }

    @Override
    public void onError(Session session, Throwable thr) {
        if (methods.error() != null) {
            run(() -> methods.error().invoke(target, session, null, null, null, thr));
        }
    }

    private interface Body {
        Object run() throws Exception;
    }

    /** Runs {@code body}, rethrowing what it throws as it is (the instrumented handler records it). */
    private static void run(Body body) {
        try {
            body.run();
        } catch (Exception e) {
            throw AnnotatedEndpoint.<RuntimeException>sneaky(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Exception> E sneaky(Exception e) throws E {
        throw (E) e;
    }
}
