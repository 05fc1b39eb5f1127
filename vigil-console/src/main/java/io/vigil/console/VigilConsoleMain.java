package io.vigil.console;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Command line: {@code java -jar vigil-console.jar [--http-port 4318] [--grpc-port 4317] [--host 127.0.0.1]
 * [--data-dir DIR] [--max-bytes 256m] [--body-idle-timeout 10s] [--token T] [--no-auth]}. Prints one line with the UI
 * URL and token.
 */
public final class VigilConsoleMain {
    /** Netty's {@code io.netty.noUnsafe}, under the package grpc-netty-shaded relocates Netty to. */
    private static final String NETTY_NO_UNSAFE = "io.grpc.netty.shaded.io.netty.noUnsafe";

    /**
     * gRPC's Netty transport, which logs (java.util.logging, INFO, with the whole stack trace on stderr) every
     * connection that does not speak HTTP/2 — anyone who can reach the port could fill the terminal with them. Held
     * here because java.util.logging keeps loggers only weakly, and with them the level set on them.
     */
    private static final java.util.logging.Logger GRPC_TRANSPORT =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport");

    private VigilConsoleMain() {}

    /**
     * Starts the console with the options above and blocks until the process is stopped; exits with status 2 on a bad
     * option and 1 when it cannot start (a port in use, an unusable data directory), and with 0 after SIGTERM or SIGINT
     * once the console is closed.
     */
    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("logback.configurationFile") == null) {
            // Our own quiet configuration, under a name that cannot clash with an embedding application's logback.xml.
            System.setProperty("logback.configurationFile", "io/vigil/console/logback-console.xml");
        }
        if (System.getProperty(NETTY_NO_UNSAFE) == null) {
            // gRPC's Netty would use sun.misc.Unsafe's memory access, which JDK 24+ warns about on every start
            // (and a later JDK refuses); a local viewer has no use for the speed it buys.
            System.setProperty(NETTY_NO_UNSAFE, "true");
        }
        // A client's broken connection is the client's business: real transport problems are WARNING and still shown.
        GRPC_TRANSPORT.setLevel(java.util.logging.Level.WARNING);
        // Listen first: a SIGTERM while the console is still starting is honoured once the start is done.
        CountDownLatch stopRequested = new CountDownLatch(1);
        onStopSignals(stopRequested);
        // The console's own process: the standalone bound, not the embedded default (an eighth of the heap at most).
        VigilConsole.Builder builder = VigilConsole.builder().maxBytes(VigilConsole.DEFAULT_MAX_BYTES);
        try {
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--http-port" -> builder.httpPort(port(value(args, ++i, arg), arg, 0));
                    case "--grpc-port" -> builder.grpcPort(port(value(args, ++i, arg), arg, -1));
                    case "--host" -> builder.host(value(args, ++i, arg));
                    case "--data-dir" -> builder.dataDir(Path.of(value(args, ++i, arg)));
                    case "--max-bytes" -> builder.maxBytes(parseBytes(value(args, ++i, arg)));
                    case "--body-idle-timeout" -> builder.bodyIdleTimeout(parseDuration(value(args, ++i, arg), arg));
                    case "--token" -> builder.token(value(args, ++i, arg));
                    case "--no-auth" -> builder.disableAuth();
                    case "-h", "--help" -> {
                        System.out.println(usage());
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
        } catch (IllegalArgumentException e) {
            // One line naming the option, and where to look (the usage is --help's).
            System.err.println("vigil-console: " + e.getMessage() + " (see --help)");
            System.exit(2);
            return;
        }
        VigilConsole console;
        try {
            console = builder.fallBackToFreePort(false).start();
        } catch (PortInUseException e) {
            // The option to change, and to what: the bind's stack trace says nothing more.
            System.err.println("vigil-console: cannot start: " + (e.grpc() ? "--grpc-port " : "--http-port ") + e.port()
                    + ": the port is already in use by another process; choose another (0 = any free port"
                    + (e.grpc() ? ", -1 = off)" : ")"));
            System.exit(1);
            return;
        } catch (RuntimeException e) {
            // A port in use or an unusable data directory: one clear line, not a stack trace.
            System.err.println("vigil-console: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        AtomicBoolean closed = new AtomicBoolean();
        Runnable stop = () -> {
            if (closed.compareAndSet(false, true)) {
                console.close();
            }
        };
        // Any other way out (System.exit elsewhere, SIGHUP, a signal that could not be handled) still closes it.
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "vigil-console-shutdown"));
        System.out.println(startLine(console.uiUrl(), console.token(), console.httpEndpoint(), console.grpcEndpoint()));
        stopRequested.await();
        stop.run();
        // A requested stop is a success, as the reference services' (vigil-http's OrderlyShutdown): exit 0, not 143.
        System.exit(0);
    }

    /**
     * SIGTERM and SIGINT count {@code requested} down instead of running the JVM's shutdown hooks, so that the stop
     * runs on the main thread and the process exits 0 — what vigil-http's {@code OrderlyShutdown} does for the
     * reference services; the console cannot use it, as it has no compile dependency on vigil-http or vigil-core (a
     * viewer that an application embeds brings nothing of Vigil's runtime with it). A signal that cannot be handled
     * (reserved with {@code -Xrs}) is left to the JVM, whose shutdown hook still closes the console.
     */
    private static void onStopSignals(CountDownLatch requested) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                // sun.misc.Signal looked up at run time: javac's "internal proprietary API" warning on a direct
                // reference cannot be suppressed, and the build compiles with -Werror.
                Class<?> signal = Class.forName("sun.misc.Signal");
                Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
                Object handler = Proxy.newProxyInstance(
                        VigilConsoleMain.class.getClassLoader(),
                        new Class<?>[] {handlerType},
                        (proxy, method, a) -> switch (method.getName()) {
                            case "handle" -> {
                                requested.countDown();
                                yield null;
                            }
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == a[0];
                            default -> "SIG" + name + " handler";
                        });
                signal.getMethod("handle", signal, handlerType)
                        .invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // Reserved or unavailable: the JVM's default stays, and with it the shutdown hook.
            }
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** A port number from {@code min} (0 = any free port, -1 = off) to 65535, else an error naming {@code option}. */
    static int port(String value, String option, int min) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= min && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below, with the option's name
        }
        throw new IllegalArgumentException(option + ": not a port number (" + min + "–65535"
                + (min < 0 ? ", -1 = off" : ", 0 = any free port") + "): " + value);
    }

    /** Parses a byte count: a plain number, or one with a k/m/g suffix (powers of 1024). */
    static long parseBytes(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long factor = 1;
        if (!v.isEmpty()) {
            char unit = v.charAt(v.length() - 1);
            factor = switch (unit) {
                case 'k' -> 1024L;
                case 'm' -> 1024L * 1024;
                case 'g' -> 1024L * 1024 * 1024;
                default -> 1;
            };
            if (factor > 1) {
                v = v.substring(0, v.length() - 1);
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(v.trim()), factor);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("--max-bytes: not a byte count: " + s);
        }
    }

    /**
     * Parses a duration of at least 1 ms: a whole number with a unit {@code ms}, {@code s}, {@code m} or {@code h}, or
     * without one in seconds ({@code 10s}, {@code 500ms}, {@code 2m}, {@code 30}); else an error naming {@code option}.
     */
    static Duration parseDuration(String s, String option) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        int digits = 0;
        while (digits < v.length() && Character.isDigit(v.charAt(digits))) {
            digits++;
        }
        try {
            if (digits > 0 && digits <= 12) {
                long n = Long.parseLong(v.substring(0, digits));
                Duration d = switch (v.substring(digits).trim()) {
                    case "ms" -> Duration.ofMillis(n);
                    case "", "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> null;
                };
                if (d != null && d.toMillis() >= 1) {
                    return d;
                }
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below, with the option's name
        }
        throw new IllegalArgumentException(
                option + ": not a duration of at least 1 ms (e.g. 10s, 500ms, 2m; a bare number is seconds): " + s);
    }

    private static String usage() {
        return "usage: java -jar vigil-console.jar [--http-port 4318] [--grpc-port 4317|-1] [--host 127.0.0.1]"
                + " [--data-dir DIR] [--max-bytes 256m] [--body-idle-timeout 10s] [--token TOKEN] [--no-auth]";
    }

    /** The one line printed once the console serves; with {@code --no-auth} it says so instead of a token. */
    static String startLine(String uiUrl, String token, String httpEndpoint, String grpcEndpoint) {
        return "Vigil console: " + uiUrl + "  (" + (token == null ? "no authentication" : "token " + token)
                + "; OTLP/HTTP " + httpEndpoint + ", OTLP/gRPC " + (grpcEndpoint == null ? "off" : grpcEndpoint)
                + ")";
    }
}
