package io.vigil.http.javalin;

import io.javalin.config.JavalinState;
import io.javalin.http.HandlerType;
import io.javalin.plugin.Plugin;
import io.javalin.router.Endpoint;
import io.javalin.router.ParsedEndpoint;
import io.javalin.security.Roles;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Javalin answers {@code HEAD} on any path a GET route pattern matches with an empty 200 without running the route:
 * no content type, no length, and 200 even where the GET would be 401 or 503 ({@code HEAD /health/ready} while not
 * ready). Every GET route without a HEAD route of its own gets one running the GET handler, as a servlet's {@code
 * doHead} does; Jetty sends the status and headers and drops the body. {@link VigilJavalinPlugin} does this on the
 * application's port, {@link ManagementPort#configure} (as this plugin) on a management port.
 */
final class HeadRoutes extends Plugin<Void> {

    @Override
    public void onStart(JavalinState state) {
        mirrorGetRoutes(state);
    }

    @Override
    public String name() {
        return "vigil-head-routes";
    }

    static void mirrorGetRoutes(JavalinState state) {
        List<ParsedEndpoint> all = state.internalRouter.allHttpHandlers();
        Set<String> headPaths = new HashSet<>();
        for (ParsedEndpoint e : all) {
            if (e.endpoint.method == HandlerType.HEAD) {
                headPaths.add(e.endpoint.path);
            }
        }
        for (ParsedEndpoint e : all) {
            Endpoint get = e.endpoint;
            if (get.method == HandlerType.GET && headPaths.add(get.path)) {
                Endpoint head = new Endpoint(HandlerType.HEAD, get.path, get.handler);
                Roles roles = get.metadata(Roles.class);
                state.internalRouter.addHttpEndpoint(roles == null ? head : head.withMetadata(roles));
            }
        }
    }
}
