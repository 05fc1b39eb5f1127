package io.vigil.http.javalin;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which methods each resource of a server serves, for the {@code Allow} header of a 405 (RFC 9110 §15.5.6, §10.2.1:
 * exactly the methods the target resource supports). Javalin lists every method of every route pattern that matches
 * the path: {@code /users/me} also matches {@code /users/{id}}, so its 405 offered PATCH and DELETE, which answer 404
 * there ("me" is no user id). Here a path belongs to one resource, the most specific pattern that matches it (a
 * literal segment beats a parameter, from the left), and a method is allowed when that resource has a route for it:
 * HEAD wherever GET is (vigil-http's HEAD routes run the GET's handler). OPTIONS is served on no route, so it is
 * never listed and is answered 405 like any other method the resource lacks.
 *
 * <p>An application registers each of its routes with Javalin through {@link #route} (or here, with {@link #add},
 * as it registers it with Javalin itself), and answers a 405 with {@link
 * #allow(String)} as its {@code Allow} header (both reference services do). Not thread-safe while routes are added;
 * read-only afterwards.
 */
public final class AllowedMethods {
    /** The order {@code Allow} lists methods in: RFC 9110's, the rest as registered. */
    private static final List<HandlerType> ORDER = List.of(
            HandlerType.GET,
            HandlerType.HEAD,
            HandlerType.POST,
            HandlerType.PUT,
            HandlerType.PATCH,
            HandlerType.DELETE);

    private final Map<String, Set<HandlerType>> byPattern = new LinkedHashMap<>();
    // Each pattern's segments, split once as it is added: resourceOf runs for every request of a server whose routes
    // check it (identity-service's do), and splitting every pattern each time was 5 % of that service's allocation.
    private final Map<String, String[]> segmentsByPattern = new LinkedHashMap<>();

    /** No routes yet. */
    public AllowedMethods() {}

    /** Adds a route: {@code method} on {@code pattern} (Javalin syntax: literal segments and {@code {name}}). */
    public AllowedMethods add(HandlerType method, String pattern) {
        Set<HandlerType> methods = byPattern.computeIfAbsent(pattern, p -> new LinkedHashSet<>());
        segmentsByPattern.computeIfAbsent(pattern, AllowedMethods::segments);
        methods.add(method);
        if (method == HandlerType.GET) {
            methods.add(HandlerType.HEAD);
        }
        return this;
    }

    /**
     * Registers {@code handler} for {@code method} on {@code pattern} with Javalin and here, in one call, so that the
     * routes a server serves and the methods its 405s offer cannot drift apart. Returns this instance.
     */
    public AllowedMethods route(JavalinConfig cfg, HandlerType method, String pattern, Handler handler) {
        cfg.routes.addHttpHandler(method, pattern, handler);
        return add(method, pattern);
    }

    /** The pattern of the resource {@code path} addresses, or null when no route matches it. */
    public String resourceOf(String path) {
        String[] segments = segments(path);
        String best = null;
        String[] bestSegments = null;
        for (Map.Entry<String, String[]> e : segmentsByPattern.entrySet()) {
            String[] p = e.getValue();
            if (matches(p, segments) && (best == null || moreSpecific(p, bestSegments))) {
                best = e.getKey();
                bestSegments = p;
            }
        }
        return best;
    }

    /**
     * Whether a route registered for {@code pattern} is the one serving {@code path}: false when a more specific
     * resource holds the path ({@code PATCH /users/me} reaches the {@code /users/{id}} route, but {@code /users/me} is
     * another resource, which has no PATCH: 405).
     */
    public boolean serves(String pattern, String path) {
        return pattern.equals(resourceOf(path));
    }

    /** The {@code Allow} value for {@code path}, e.g. {@code GET, HEAD}; null when no route matches it. */
    public String allow(String path) {
        String pattern = resourceOf(path);
        if (pattern == null) {
            return null;
        }
        Set<HandlerType> methods = byPattern.get(pattern);
        List<String> names = new ArrayList<>();
        ORDER.stream().filter(methods::contains).forEach(m -> names.add(m.name()));
        methods.stream().filter(m -> !ORDER.contains(m)).forEach(m -> names.add(m.name()));
        return String.join(", ", names);
    }

    // Javalin ignores trailing slashes (its default), and so does this: "/users/me/" is "/users/me".
    private static String[] segments(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        return p.isEmpty() ? new String[0] : p.split("/");
    }

    private static boolean parameter(String segment) {
        return segment.startsWith("{") && segment.endsWith("}");
    }

    private static boolean matches(String[] pattern, String[] path) {
        if (pattern.length != path.length) {
            return false;
        }
        for (int i = 0; i < pattern.length; i++) {
            boolean ok = parameter(pattern[i]) ? !path[i].isEmpty() : pattern[i].equals(path[i]);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    // Of two patterns matching the same path (so of equal length): the first to have a literal where the other has a
    // parameter.
    private static boolean moreSpecific(String[] a, String[] b) {
        for (int i = 0; i < a.length; i++) {
            boolean pa = parameter(a[i]);
            boolean pb = parameter(b[i]);
            if (pa != pb) {
                return !pa;
            }
        }
        return false;
    }

    /**
     * A 405's detail, {@code "Method PATCH is not allowed on /api/v1/users/me"}, with what the client sent bounded: a
     * method longer than any registered one (Jetty passes up to 8 KiB of it) is not repeated, and a path over 256
     * characters is cut, so the answer to a request never echoes kilobytes of it.
     */
    public static String notAllowedDetail(String method, String path) {
        String shownMethod = method == null || method.length() > 32 ? "This method" : "Method " + method;
        String shownPath = path == null ? "" : path.length() > 256 ? path.substring(0, 256) + "…" : path;
        return shownMethod + " is not allowed on " + shownPath;
    }
}
