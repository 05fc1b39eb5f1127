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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The console's routes, registered with Javalin and kept here, so that a 405's {@code Allow} names exactly the methods
 * the target resource serves (RFC 9110 §15.5.6) and cannot drift from the routes. A GET route is registered for HEAD
 * too, with the same handler: Javalin otherwise answers HEAD itself, an empty 200 {@code text/plain}, without running
 * the route (200 where GET is 400, 401 or 404); run as a route, HEAD gets GET's status and headers, and Jetty drops
 * the body (RFC 9110 §9.3.2).
 *
 * <p>A small equivalent of vigil-http's {@code io.vigil.http.javalin.AllowedMethods}, which the console cannot use: it
 * does not depend on vigil-http, so that {@code vigil-console.jar} and an embedding application do not get vigil-http's
 * dependencies with it. Not thread-safe while routes are added; read-only once the server runs.
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
    // Each pattern as a regular expression, compiled once as it is added.
    private final Map<String, Pattern> regexByPattern = new LinkedHashMap<>();

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
        regexByPattern.computeIfAbsent(pattern, AllowedMethods::regex);
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

    /**
     * The pattern of the resource {@code path} addresses, or null. The console's patterns do not overlap (no literal
     * segment where another pattern has a parameter), so the one that matches is the resource; vigil-http's
     * equivalent, for applications whose patterns do, picks the most specific.
     */
    private String resourceOf(String path) {
        for (Map.Entry<String, Pattern> e : regexByPattern.entrySet()) {
            if (e.getValue().matcher(path).matches()) {
                return e.getKey();
            }
        }
        return null;
    }

    private static final Pattern PARAMETER = Pattern.compile("\\{[^/}]+}");

    // "/api/traces/{id}" as \Q/api/traces/\E[^/]+/? : a parameter is one non-empty segment, and a trailing slash is
    // ignored, as Javalin does.
    private static Pattern regex(String pattern) {
        StringBuilder re = new StringBuilder();
        Matcher m = PARAMETER.matcher(pattern);
        int last = 0;
        while (m.find()) {
            re.append(Pattern.quote(pattern.substring(last, m.start()))).append("[^/]+");
            last = m.end();
        }
        re.append(Pattern.quote(pattern.substring(last)));
        return Pattern.compile(pattern.equals("/") ? re.toString() : re + "/?");
    }
}
