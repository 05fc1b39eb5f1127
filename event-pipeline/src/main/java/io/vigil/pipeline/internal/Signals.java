package io.vigil.pipeline.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/** The process's signal handling (as identity-service's {@code Main} does it). */
public final class Signals {
    private Signals() {}

    /**
     * {@code sun.misc.Signal.handle(new Signal(name), s -> action.run())}, looked up at run time: sun.misc.Signal
     * (module jdk.unsupported) is the JDK's only way to handle SIGTERM, and javac's "internal proprietary API" warning
     * on a direct reference cannot be suppressed, while the build compiles with -Werror.
     *
     * @throws IllegalArgumentException when the signal is unknown or reserved (e.g. -Xrs)
     */
    public static void onSignal(String name, Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(
                    Signals.class.getClassLoader(),
                    new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            action.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "SIG" + name + " handler";
                    });
            signal.getMethod("handle", signal, handlerType)
                    .invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException reserved) {
                throw reserved;
            }
            throw new IllegalArgumentException("SIG" + name + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("sun.misc.Signal unavailable: " + e, e);
        }
    }
}
