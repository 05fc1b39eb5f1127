package io.vigil.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes every adapter test serves, so that the same assertions run against Javalin and a
 * plain servlet container:
 *
 * <ul>
 *   <li>{@code GET /api/v1/users/{id}} → 200 {@code {"id":"<id>"}}, logs "loading user", sets user {@code u-<id>};
 *       the id {@value #CLEARS_MDC} makes the handler clear the MDC first, {@value #TAGS_MDC} makes it put {@code
 *       tenant=t-1} into the MDC and leave it there;
 *   <li>{@code POST /api/v1/echo} → 201 with the request body;
 *   <li>{@code GET /boom} → the handler throws {@link IllegalStateException};
 *   <li>{@code GET /unavailable} → 503 set by the handler;
 *   <li>{@code GET /api/v1/missing} → 404 set by a matched handler;
 *   <li>anything else → 404, unmatched.
 * </ul>
 */
public final class TestApp {
    public static final Logger LOG = LoggerFactory.getLogger(TestApp.class);
    public static final String USERS_ROUTE = "/api/v1/users/{id}";
    public static final String ECHO_ROUTE = "/api/v1/echo";
    public static final String MISSING_ROUTE = "/api/v1/missing";
    public static final String CLEARS_MDC = "clears-mdc";
    public static final String TAGS_MDC = "tags-mdc";
    public static final String BOOM_MESSAGE = "kaboom for jane.doe@example.com password=hunter2";

    private TestApp() {}

    /** What the user handler does, whatever the framework. */
    public static String user(String id) {
        if (id.equals(CLEARS_MDC)) {
            org.slf4j.MDC.clear();
        } else if (id.equals(TAGS_MDC)) {
            org.slf4j.MDC.put("tenant", "t-1");
        }
        LOG.info("loading user");
        RequestContext.current().ifPresent(r -> r.userId("u-" + id));
        LOG.info("user loaded");
        return "{\"id\":\"" + id + "\"}";
    }

    public static RuntimeException boom() {
        return new IllegalStateException(BOOM_MESSAGE);
    }
}
