package io.vigil.console.internal;

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
 * The console's routes, registered with Javalin and kept here, so that a 405's {@code Allow} names exactly the methods
 * the target resource serves (RFC 9110 §15.5.6) and cannot drift from the routes. A GET route is registered for HEAD
 * too, with the same handler: Javalin otherwise answers HEAD itself, an empty 200 {@code text/plain}, without running
 * the route (200 where GET is 400, 401 or 404); run as a route, HEAD gets GET's status and headers, and Jetty drops
 * the body (RFC 9110 §9.3.2).
 *
 * <p>A small equivalent of vigil-http's {@code io.vigil.http.javalin.AllowedMethods}, which the console cannot use: it
 * does not depend on vigil-http, so that {@code vigil-console.jar} and an embedding application do not get vigil-http's
 * dependencies with it. As there, a path belongs to the most specific pattern that matches it (a literal segment beats
 * a parameter, from the left). Not thread-safe while routes are added; read-only once the server runs.
 */
final class AllowedMethods {
    /** The order {@code Allow} lists methods in: RFC 9110's. */
    private static final List<HandlerType> ORDER = List.of(
            HandlerType.GET,
            HandlerType.HEAD,
            HandlerType.POST,
            HandlerType.PUT,
            HandlerType.PATCH,
            HandlerType.DELETE);

    private final Map<String, Set<HandlerType>> byPattern = new LinkedHashMap<>();
    // Each pattern's segments, split once as it is added rather than for every path resolved.
    private final Map<String, String[]> segmentsByPattern = new LinkedHashMap<>();

    /** Registers {@code handler} for GET and HEAD on {@code pattern} (Javalin syntax: literals and {@code {name}}). */
    AllowedMethods get(JavalinConfig config, String pattern, Handler handler) {
        config.routes.addHttpHandler(HandlerType.GET, pattern, handler);
        config.routes.addHttpHandler(HandlerType.HEAD, pattern, handler);
        return add(pattern, HandlerType.GET, HandlerType.HEAD);
    }

    /** Registers {@code handler} for POST on {@code pattern}. */
    AllowedMethods post(JavalinConfig config, String pattern, Handler handler) {
        config.routes.addHttpHandler(HandlerType.POST, pattern, handler);
        return add(pattern, HandlerType.POST);
    }

    private AllowedMethods add(String pattern, HandlerType... methods) {
        byPattern.computeIfAbsent(pattern, p -> new LinkedHashSet<>()).addAll(List.of(methods));
        segmentsByPattern.computeIfAbsent(pattern, AllowedMethods::segments);
        return this;
    }

    /** Whether a route serves {@code method} on {@code path}. */
    boolean serves(HandlerType method, String path) {
        String pattern = resourceOf(path);
        return pattern != null && byPattern.get(pattern).contains(method);
    }

    /** The {@code Allow} value for {@code path}, e.g. {@code GET, HEAD}; null when no route matches it. */
    String allow(String path) {
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

    private String resourceOf(String path) {
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

    // Javalin ignores a trailing slash (its default), and so does this: "/api/traces/" is "/api/traces".
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
}
