package io.vigil.identity.internal.http;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson3;
import io.vigil.core.MetricsScrape;
import io.vigil.core.Vigil;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.MetricsAccess;
import io.vigil.http.RequestContext;
import io.vigil.http.javalin.AllowedMethods;
import io.vigil.http.javalin.MalformedQueryException;
import io.vigil.http.javalin.ManagementPort;
import io.vigil.http.javalin.RepeatedHeaderException;
import io.vigil.http.javalin.VigilJavalinPlugin;
import io.vigil.identity.IdentityConfig;
import io.vigil.identity.internal.ApiException;
import io.vigil.identity.internal.AuthService;
import io.vigil.identity.internal.Database;
import io.vigil.identity.internal.Jwt;
import io.vigil.identity.internal.Overloaded;
import io.vigil.identity.internal.Principal;
import io.vigil.identity.internal.Role;
import io.vigil.identity.internal.User;
import io.vigil.identity.internal.UserService;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The HTTP API on Javalin: routes, request correlation, authentication of bearer tokens, and RFC
 * 9457 problem responses for every error, including the framework's own (404, 405, 413).
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern UUID_PATTERN =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final String PROBLEM_JSON = "application/problem+json";
    private static final String PRINCIPAL = "vigil.principal";
    public static final String API = "/api/v1";
    /** What a 503 asks the client to wait: about as long as an outage blip or a restart. */
    static final String RETRY_AFTER_SECONDS = "5";

    /** One route of the API: what the OpenAPI document must describe. */
    public record Route(HandlerType method, String path, Handler handler) {}

    private final IdentityConfig config;
    private final Vigil vigil;
    private final Database db;
    private final AuthService auth;
    private final UserService users;
    private final Jwt jwt;
    private final Clock clock;
    private final byte[] openApi;
    private final MetricsAccess metricsAccess;
    private final String metricsPath;
    private final List<Route> routes = new ArrayList<>();
    /** The API port's resources and their methods: the 405's {@code Allow}. */
    private final AllowedMethods allowed = new AllowedMethods();

    private final DrainingHandler draining = new DrainingHandler();
    private final List<java.util.function.Consumer<JavalinConfig>> extensions = new ArrayList<>();
    private volatile boolean stopping;
    private volatile org.eclipse.jetty.ee10.servlet.SessionHandler sessionHandler;

    public HttpApi(
            IdentityConfig config,
            Vigil vigil,
            Database db,
            AuthService auth,
            UserService users,
            Jwt jwt,
            Clock clock) {
        this.config = config;
        this.vigil = vigil;
        this.db = db;
        this.auth = auth;
        this.users = users;
        this.jwt = jwt;
        this.clock = clock;
        this.openApi = loadOpenApi();
        this.metricsAccess =
                config.metricsToken().map(MetricsAccess::bearerToken).orElse(MetricsAccess.open());
        this.metricsPath = metricsPath(vigil.config().metricsPath());
        defineRoutes();
    }

    /** Every route, in registration order. */
    public List<Route> routes() {
        return List.copyOf(routes);
    }

    /** Adds routes of another part of the service (before {@link #create()}), e.g. a WebSocket endpoint. */
    public void extend(java.util.function.Consumer<JavalinConfig> routes) {
        extensions.add(routes);
    }

    /** Creates the (not yet started) Javalin server. */
    public Javalin create() {
        return Javalin.create(cfg -> {
            server(cfg, config.port());
            cfg.concurrency.useVirtualThreads = true;
            cfg.http.maxRequestSize = config.maxRequestBytes();
            cfg.http.prefer405over404 = true;
            // Graceful stop: Server.stop() closes the listener, then waits up to SHUTDOWN_TIMEOUT
            // for the requests the DrainingHandler counts; the servlet context goes inside it.
            cfg.jetty.modifyServer(server -> {
                server.setStopTimeout(config.shutdownTimeout().toMillis());
                server.setHandler(draining);
            });
            // Javalin opens an HTTP session for every WebSocket upgrade request, before any handler (authentication
            // included) runs, and Jetty kept each for ever: unauthenticated upgrade attempts grew the heap without
            // bound. The service keeps nothing in sessions, so one leaves the cache when its request ends.
            cfg.jetty.modifyServletContextHandler(handler -> {
                org.eclipse.jetty.ee10.servlet.SessionHandler sessions = handler.getSessionHandler();
                sessionHandler = sessions;
                if (sessions != null) {
                    org.eclipse.jetty.session.DefaultSessionCache cache =
                            new org.eclipse.jetty.session.DefaultSessionCache(sessions);
                    cache.setEvictionPolicy(org.eclipse.jetty.session.SessionCache.EVICT_ON_SESSION_EXIT);
                    cache.setSessionDataStore(new org.eclipse.jetty.session.NullSessionDataStore());
                    sessions.setSessionCache(cache);
                }
            });
            // Server spans, the contract's HTTP metrics, request ids (X-Request-ID / X-Correlation-ID),
            // the request's MDC context and the access log all come from vigil-http.
            // TRUSTED_PROXIES: the client behind them is the request's address in every signal and every rate limit.
            HttpServerTelemetry http = HttpServerTelemetry.builder(vigil)
                    .trustedProxies(config.trustedProxies())
                    .build();
            cfg.registerPlugin(new VigilJavalinPlugin(http).refuseCodedBodies());
            for (Route r : routes) {
                cfg.routes.addHttpHandler(r.method(), r.path(), ownResourceOnly(r));
            }
            extensions.forEach(e -> e.accept(cfg)); // e.g. the security feed's WebSocket route
            cfg.routes.exception(ApiException.class, this::onApiException);
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> onFrameworkException(e, ctx, allowed));
            // A query that does not decode, refused by the plugin for every route: this API's own problem type for it.
            cfg.routes.exception(
                    MalformedQueryException.class,
                    (e, ctx) -> problem(ctx, 400, "invalid-query-parameter", statusTitle(400), e.getMessage(), null));
            // Content-Type or Authorization sent twice with different values, refused by the plugin before any handler
            // (the same Authorization twice is refused by authorization(ctx) below): this API's type for a bad request.
            cfg.routes.exception(
                    RepeatedHeaderException.class,
                    (e, ctx) -> problem(ctx, 400, "bad-request", statusTitle(400), e.getMessage(), null));
            // Jetty's refusals raised inside a handler, e.g. a WebSocket upgrade without Sec-WebSocket-Key: their
            // status, not a 500 with an ERROR line.
            cfg.routes.exception(org.eclipse.jetty.http.HttpException.RuntimeException.class, (e, ctx) -> {
                if (e.getCode() >= 500) {
                    log.atError().setCause(e).log("Unhandled error");
                    problem(ctx, 500, "internal-error", "Internal server error", "An unexpected error occurred", null);
                } else {
                    problem(ctx, e.getCode(), "bad-request", statusTitle(e.getCode()), e.getReason(), null);
                }
            });
            cfg.routes.exception(Overloaded.class, (e, ctx) -> {
                ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
                problem(ctx, 503, "overloaded", "Service unavailable", e.getMessage(), null);
            });
            cfg.routes.exception(Database.DataAccessException.class, (e, ctx) -> {
                log.atError().setCause(e).log("Database failure");
                ctx.header("Retry-After", RETRY_AFTER_SECONDS);
                problem(ctx, 503, "database-unavailable", "Service unavailable", "The database is unavailable", null);
            });
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.atError().setCause(e).log("Unhandled error");
                problem(ctx, 500, "internal-error", "Internal server error", "An unexpected error occurred", null);
            });
            cfg.routes.error(404, ctx -> {
                if (!isProblem(ctx)) {
                    problem(ctx, 404, "not-found", "Not found", "No such resource: " + ctx.path(), null);
                }
            });
        });
    }

    /**
     * Creates the (not yet started) management server: {@code METRICS_ENDPOINT} and the health checks
     * on {@code MANAGEMENT_PORT}, a port only the scraper and the orchestrator reach. Its requests
     * carry no HTTP telemetry (probes and scrapes are not traffic), and it has threads of its own, so
     * it answers even when the public port is saturated.
     */
    public Javalin createManagement() {
        return Javalin.create(cfg -> {
            server(cfg, config.managementPort());
            // Threads of its own, 405 over 404, and what Jetty refuses itself (a bad % escape, 431, 414, 505) as
            // problem+json, as on the API port, where VigilJavalinPlugin installs the handler; this port has no HTTP
            // telemetry, hence no plugin. event-pipeline's METRICS_PORT is configured by the same call.
            ManagementPort.configure(cfg, "management");
            AllowedMethods management = new AllowedMethods()
                    .route(cfg, HandlerType.GET, metricsPath, this::metrics)
                    .route(cfg, HandlerType.GET, "/health", HttpApi::health)
                    .route(cfg, HandlerType.GET, "/health/ready", this::ready);
            cfg.routes.exception(ApiException.class, this::onApiException); // e.g. two Authorization headers
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> onFrameworkException(e, ctx, management));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.atError().setCause(e).log("Unhandled error on the management port");
                problem(ctx, 500, "internal-error", "Internal server error", "An unexpected error occurred", null);
            });
            cfg.routes.error(404, ctx -> {
                if (!isProblem(ctx)) {
                    problem(ctx, 404, "not-found", "Not found", "No such resource: " + ctx.path(), null);
                }
            });
        });
    }

    // What both servers share: quiet start-up, the service's JSON, the interface.
    private void server(JavalinConfig cfg, int port) {
        cfg.startup.showJavalinBanner = false;
        cfg.startup.showOldJavalinVersionWarning = false;
        cfg.jsonMapper(new JavalinJackson3(Json.MAPPER, true));
        cfg.jetty.host = config.host();
        cfg.jetty.port = port;
    }

    // --- routes --------------------------------------------------------------------------------

    /**
     * {@code METRICS_ENDPOINT}, unless it names a path the service answers itself (a health check, the
     * API): a telemetry setting never stops the service from starting (it did, as a duplicate route),
     * so that one is reported and the metrics stay on {@code /metrics}.
     */
    private static String metricsPath(String configured) {
        boolean taken = configured.equals("/health")
                || configured.equals("/health/ready")
                || configured.equals("/openapi.json")
                || configured.equals("/.well-known/jwks.json")
                || configured.equals(API)
                || configured.startsWith(API + "/");
        if (!taken) {
            return configured;
        }
        log.warn(
                "Telemetry configuration: METRICS_ENDPOINT='{}' is a path the service answers itself; using /metrics",
                configured);
        return "/metrics";
    }

    private void route(HandlerType method, String path, Handler handler) {
        routes.add(new Route(method, path, handler));
        allowed.add(method, path);
    }

    /**
     * The route's handler, run only for a path of the route's own resource: {@code PATCH /users/me} reaches the
     * {@code /users/{id}} route (Javalin matches per method), yet {@code /users/me} is the caller's resource, which
     * serves GET only; it was a 404 ("no user with this id") while its 405 listed PATCH. Now 405, as for any method a
     * resource lacks, with the same {@code Allow}.
     */
    private Handler ownResourceOnly(Route r) {
        return ctx -> {
            if (!allowed.serves(r.path(), ctx.path())) {
                throw methodNotAllowed(ctx, allowed.allow(ctx.path()));
            }
            r.handler().handle(ctx);
        };
    }

    private static ApiException methodNotAllowed(Context ctx, String allow) {
        return new ApiException(
                405,
                "method-not-allowed",
                statusTitle(405),
                AllowedMethods.notAllowedDetail(ctx.method().name(), ctx.path()),
                List.of(),
                allow == null ? Map.of() : Map.of("Allow", allow));
    }

    private void defineRoutes() {
        route(HandlerType.GET, "/health", HttpApi::health);
        route(HandlerType.GET, "/health/ready", this::ready);
        if (config.metricsOnServicePort()) {
            // Only when the operator asked for it, and then only behind METRICS_TOKEN (the config
            // refuses the one without the other).
            route(HandlerType.GET, metricsPath, this::metrics);
        }
        route(HandlerType.GET, "/.well-known/jwks.json", ctx -> ctx.json(jwt.jwks()));
        route(
                HandlerType.GET,
                "/openapi.json",
                ctx -> ctx.contentType("application/json").result(openApi));

        route(HandlerType.POST, API + "/auth/register", this::register);
        route(HandlerType.POST, API + "/auth/login", this::login);
        route(HandlerType.POST, API + "/auth/refresh", this::refresh);
        route(HandlerType.POST, API + "/auth/verify", this::verify);
        route(HandlerType.POST, API + "/auth/logout", this::logout);

        // /users/me before /users/{id}, so "me" is never taken for an id.
        route(HandlerType.GET, API + "/users/me", ctx -> ctx.json(user(users.me(principal(ctx)))));
        route(HandlerType.PUT, API + "/users/me/password", this::changePassword);
        route(HandlerType.POST, API + "/users", this::createUser);
        route(HandlerType.GET, API + "/users", this::listUsers);
        route(HandlerType.GET, API + "/users/{id}", ctx -> ctx.json(user(users.get(principal(ctx), id(ctx)))));
        route(HandlerType.PATCH, API + "/users/{id}", this::updateUser);
        route(HandlerType.DELETE, API + "/users/{id}", ctx -> {
            users.delete(principal(ctx), id(ctx));
            ctx.status(204);
        });
        route(
                HandlerType.POST,
                API + "/users/{id}/activate",
                ctx -> ctx.json(user(users.setActive(principal(ctx), id(ctx), true))));
        route(
                HandlerType.POST,
                API + "/users/{id}/deactivate",
                ctx -> ctx.json(user(users.setActive(principal(ctx), id(ctx), false))));
        route(
                HandlerType.POST,
                API + "/users/{id}/unlock",
                ctx -> ctx.json(user(users.unlock(principal(ctx), id(ctx)))));
    }

    /**
     * The first step of a graceful stop: readiness answers 503 from now on, so load balancers take
     * this instance out while it still serves what it has.
     */
    public void stopBeingReady() {
        stopping = true;
    }

    /** HTTP sessions the API server holds in memory now (none outlive their request; the service uses none). */
    public long sessionsHeld() {
        org.eclipse.jetty.ee10.servlet.SessionHandler sessions = sessionHandler;
        return sessions != null && sessions.getSessionCache() instanceof org.eclipse.jetty.session.DefaultSessionCache c
                ? c.getSessionsCurrent()
                : 0;
    }

    /** Requests being handled right now (the ones a graceful stop waits for). */
    public long inFlight() {
        return draining.getCurrentRequestCount();
    }

    private static void health(Context ctx) {
        ctx.json(Map.of("status", "ok"));
    }

    // Metrics reveal what the responses hide (which logins succeed, how many accounts lock): served
    // to whoever MetricsAccess admits, a 401 problem for everyone else.
    private void metrics(Context ctx) {
        if (!metricsAccess.permits(authorization(ctx))) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"metrics\"");
            problem(ctx, 401, "unauthorized", "Unauthorized", "The metrics need a bearer token", null);
            return;
        }
        MetricsScrape s = vigil.metricsEndpoint().scrape(ctx.header("Accept"));
        ctx.contentType(s.contentType()).result(s.body());
    }

    private void ready(Context ctx) {
        if (stopping) {
            ctx.header("Retry-After", RETRY_AFTER_SECONDS);
            problem(ctx, 503, "shutting-down", "Service unavailable", "The service is shutting down", null);
        } else if (db.answersWithin(config.readinessTimeout())) {
            ctx.json(Map.of("status", "ready", "checks", Map.of("database", "up")));
        } else {
            // Bounded by READINESS_TIMEOUT, not the pool's connection timeout: a probe gives up after 1 s.
            ctx.header("Retry-After", RETRY_AFTER_SECONDS);
            problem(
                    ctx,
                    503,
                    "not-ready",
                    "Service unavailable",
                    "The database did not answer within "
                            + config.readinessTimeout().toMillis() + " ms",
                    null,
                    Map.of("checks", Map.of("database", "down")));
        }
    }

    private void register(Context ctx) {
        receiveBody(ctx, config.maxRequestBytes());
        try (var admitted = auth.admitPasswordWork()) {
            auth.rateLimit("register", clientAddress(ctx), config.registerRateLimit());
            Dto.RegisterRequest req = Json.read(ctx, Dto.RegisterRequest.class, config.maxRequestBytes());
            Validation v = new Validation();
            String email = v.email("email", req.email(), true);
            String password = v.secret("password", req.password());
            String name = v.text("full_name", req.fullName(), 200, true);
            v.done();
            User u = users.create(null, email, password, name, Role.USER);
            ctx.status(201).header("Location", API + "/users/" + u.id()).json(user(u));
        }
    }

    private void login(Context ctx) {
        receiveBody(ctx, config.maxRequestBytes());
        try (var admitted = auth.admitPasswordWork()) {
            Dto.LoginRequest req = Json.read(ctx, Dto.LoginRequest.class, config.maxRequestBytes());
            Validation v = new Validation();
            String email = v.text("email", req.email(), 254, true);
            String password = v.secret("password", req.password());
            v.done();
            // Normalised by the login itself, as registration normalised it (EmailAddress).
            AuthService.TokenPair pair = auth.login(email, password, clientAddress(ctx));
            ctx.header("Cache-Control", "no-store").json(tokens(pair));
        }
    }

    /**
     * Reads the whole request body (bounded by the server's request size) before a password request is admitted. The
     * admissions are few ({@code 8 ×} the hashing concurrency) and are held until the answer: a client that sent its
     * headers and then one byte of body every few seconds held one for as long as it liked, so sixteen such
     * connections on a two-core host answered every login, sign-up and password change 503 for good. Reading first,
     * a stalled body holds only its own (virtual) thread; the body is kept for {@link Json#read}.
     */
    private static void receiveBody(Context ctx, long maxBytes) {
        // Read whole even when its declared length is over the bound (then 413): answering before the body is read
        // and closing made the client's write of the rest fail (broken pipe) before it could read the 413. Unless the
        // client waits for 100 Continue: it has sent nothing, and is answered 413 without it.
        Json.refuseBeforeContinue(ctx, maxBytes);
        ctx.bodyAsBytes();
    }

    private void refresh(Context ctx) {
        Dto.RefreshRequest req = Json.read(ctx, Dto.RefreshRequest.class, config.maxRequestBytes());
        Validation v = new Validation();
        String token = v.secret("refresh_token", req.refreshToken());
        v.done();
        ctx.header("Cache-Control", "no-store").json(tokens(auth.refresh(token)));
    }

    private void verify(Context ctx) {
        Dto.VerifyRequest req = Json.read(ctx, Dto.VerifyRequest.class, config.maxRequestBytes());
        Validation v = new Validation();
        String token = v.secret("token", req.token());
        v.done();
        Principal p = auth.verify(token);
        ctx.json(new Dto.VerifyResponse(
                true, p.userId(), p.role().wireName(), p.tokenExpiresAt().getEpochSecond()));
    }

    private void logout(Context ctx) {
        Principal p = principal(ctx);
        String refresh = null;
        if (Json.hasBody(ctx)) {
            refresh = Json.read(ctx, Dto.LogoutRequest.class, config.maxRequestBytes())
                    .refreshToken();
        }
        auth.logout(p, refresh);
        ctx.status(204);
    }

    private void changePassword(Context ctx) {
        receiveBody(ctx, config.maxRequestBytes());
        try (var admitted = auth.admitPasswordWork()) {
            Principal p = principal(ctx);
            // Each attempt costs an Argon2 verification: limited per user and per address, before any.
            auth.rateLimit("password_change_user", p.userId(), config.passwordChangeRateLimit());
            auth.rateLimit("password_change", clientAddress(ctx), config.passwordChangeAddressRateLimit());
            Dto.ChangePasswordRequest req = Json.read(ctx, Dto.ChangePasswordRequest.class, config.maxRequestBytes());
            Validation v = new Validation();
            String current = v.secret("current_password", req.currentPassword());
            String next = v.secret("new_password", req.newPassword());
            v.done();
            users.changePassword(p, current, next);
            ctx.status(204);
        }
    }

    private void createUser(Context ctx) {
        receiveBody(ctx, config.maxRequestBytes());
        try (var admitted = auth.admitPasswordWork()) {
            Principal p = principal(ctx);
            Dto.CreateUserRequest req = Json.read(ctx, Dto.CreateUserRequest.class, config.maxRequestBytes());
            Validation v = new Validation();
            String email = v.email("email", req.email(), true);
            String password = v.secret("password", req.password());
            String name = v.text("full_name", req.fullName(), 200, true);
            Role role = v.role("role", req.role());
            v.done();
            User u = users.create(p, email, password, name, role == null ? Role.USER : role);
            ctx.status(201).header("Location", API + "/users/" + u.id()).json(user(u));
        }
    }

    private void listUsers(Context ctx) {
        Principal p = principal(ctx);
        int page = intParam(ctx, "page", 1, 1, 1_000_000);
        int size = intParam(ctx, "page_size", 20, 1, 100);
        var result = users.list(p, page, size);
        Instant now = clock.instant();
        ctx.json(new Dto.PageResponse(
                result.items().stream().map(u -> Dto.UserResponse.of(u, now)).toList(),
                result.page(),
                result.pageSize(),
                result.total()));
    }

    private void updateUser(Context ctx) {
        Principal p = principal(ctx);
        String id = id(ctx);
        Dto.UpdateUserRequest req = Json.read(ctx, Dto.UpdateUserRequest.class, config.maxRequestBytes());
        Validation v = new Validation();
        String email = v.email("email", req.email(), false);
        String name = v.text("full_name", req.fullName(), 200, false);
        Role role = v.role("role", req.role());
        v.done();
        ctx.json(user(users.update(p, id, new UserService.Changes(email, name, role))));
    }

    // --- request plumbing ----------------------------------------------------------------------

    /** The authenticated caller; 401 without a valid bearer token, 400 with more than one Authorization header. */
    private Principal principal(Context ctx) {
        Principal cached = ctx.attribute(PRINCIPAL);
        if (cached != null) {
            return cached;
        }
        String header = authorization(ctx);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            throw ApiException.unauthorized("missing-token", "A bearer access token is required");
        }
        Principal p = auth.authenticate(header.substring(7).trim());
        ctx.attribute(PRINCIPAL, p);
        RequestContext.current().ifPresent(r -> r.userId(p.userId()));
        return p;
    }

    /**
     * The request's one Authorization header, or null (for every route that reads a bearer token, the security feed's
     * upgrade included). A request carries one credential (RFC 9110 §11.6.2: the field
     * is a singleton): with two, the first was used silently, so a proxy and a client adding one each could
     * authenticate as either. Refused, neither is validated.
     */
    public static String authorization(Context ctx) {
        Enumeration<String> fields = ctx.req().getHeaders("Authorization");
        String first = fields != null && fields.hasMoreElements() ? fields.nextElement() : null;
        if (first != null && fields.hasMoreElements()) {
            throw ApiException.badRequest("bad-request", "The request has more than one Authorization header");
        }
        return first;
    }

    /**
     * The client's address as the plugin resolved it: behind a proxy listed in {@code TRUSTED_PROXIES}, the address
     * its {@code X-Forwarded-For} names; otherwise the TCP peer ({@code ctx.ip()}, which never reads the header).
     */
    private static String clientAddress(Context ctx) {
        return RequestContext.current().map(RequestContext::clientAddress).orElseGet(ctx::ip);
    }

    private static String id(Context ctx) {
        String id = ctx.pathParam("id");
        if (!UUID_PATTERN.matcher(id).matches()) {
            throw ApiException.notFound("No user with this id");
        }
        return id;
    }

    private static int intParam(Context ctx, String name, int dflt, int min, int max) {
        // A malformed escape (?page=%zz) or bytes that are not UTF-8 never get here: VigilJavalinPlugin refuses such a
        // query before any handler runs (a MalformedQueryException, answered as invalid-query-parameter); Javalin would
        // have dropped the parameter, and the first page been served.
        String raw = ctx.queryParam(name);
        if (raw == null) {
            return dflt;
        }
        // ASCII digits only: Integer.parseInt also reads the digits of other scripts (page=٣ was page 3), which no
        // client, proxy or log reader would take for the integer the API documents.
        if (raw.length() <= 9 && !raw.isEmpty() && raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            int v = Integer.parseInt(raw);
            if (v >= min && v <= max) {
                return v;
            }
        }
        throw ApiException.badRequest(
                "invalid-query-parameter", "Query parameter '" + name + "' must be an integer in " + min + "–" + max);
    }

    private Dto.UserResponse user(User u) {
        return Dto.UserResponse.of(u, clock.instant());
    }

    private Dto.TokenResponse tokens(AuthService.TokenPair p) {
        Instant now = clock.instant();
        return new Dto.TokenResponse(
                p.accessToken(),
                "Bearer",
                Math.max(0, Duration.between(now, p.accessExpiresAt()).toSeconds()),
                p.refreshToken(),
                Math.max(0, Duration.between(now, p.refreshExpiresAt()).toSeconds()));
    }

    // --- problems ------------------------------------------------------------------------------

    private void onApiException(ApiException e, Context ctx) {
        e.headers().forEach(ctx::header);
        problem(ctx, e.status(), e.type(), e.title(), e.detail(), e.errors());
    }

    private void onFrameworkException(HttpResponseException e, Context ctx, AllowedMethods resources) {
        int status = e.getStatus();
        if (status == 405) {
            // The path is a resource, only not for this method: its metrics and span name that resource, not
            // "unmatched" as for a path no route knows (DELETE on the login route was counted with 404 probes).
            RequestContext.current().ifPresent(r -> r.route(resources.resourceOf(ctx.path())));
            // Not Javalin's availableMethods: those are the methods of every pattern matching the path.
            onApiException(methodNotAllowed(ctx, resources.allow(ctx.path())), ctx);
            return;
        }
        String type = switch (status) {
            case 404 -> "not-found";
            case 413 -> "payload-too-large";
            case 415 -> "unsupported-media-type";
            default -> status >= 500 ? "internal-error" : "bad-request";
        };
        String detail = switch (status) {
            case 413 -> "The request body exceeds " + config.maxRequestBytes() + " bytes";
            case 404 -> "No such resource: " + ctx.path();
            default -> status >= 500 ? "An unexpected error occurred" : e.getMessage();
        };
        problem(ctx, status, type, statusTitle(status), detail, null);
    }

    private static String statusTitle(int status) {
        return switch (status) {
            case 404 -> "Not found";
            case 405 -> "Method not allowed";
            case 413 -> "Content too large";
            case 415 -> "Unsupported media type";
            default -> status >= 500 ? "Internal server error" : "Bad request";
        };
    }

    private static boolean isProblem(Context ctx) {
        String ct = ctx.res().getContentType();
        return ct != null && ct.startsWith(PROBLEM_JSON);
    }

    /** Writes an RFC 9457 problem document. */
    static void problem(
            Context ctx, int status, String type, String title, String detail, List<ApiException.FieldError> errors) {
        problem(ctx, status, type, title, detail, errors, Map.of());
    }

    /** A problem with extension members ({@code extensions}, RFC 9457 §3.2) after the standard ones. */
    static void problem(
            Context ctx,
            int status,
            String type,
            String title,
            String detail,
            List<ApiException.FieldError> errors,
            Map<String, Object> extensions) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "urn:vigil:problem:" + type);
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        body.put("instance", ctx.path());
        String requestId = MDC.get("request_id");
        if (requestId != null) {
            body.put("request_id", requestId);
        }
        if (errors != null && !errors.isEmpty()) {
            body.put("errors", errors);
        }
        body.putAll(extensions);
        // As bytes: Javalin encodes a String result in the content type's charset, and Jetty's default for
        // application/problem+json is ISO-8859-1, which turned any non-ASCII detail into '?' or invalid UTF-8.
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        ctx.status(status).contentType(PROBLEM_JSON).result(bytes);
        if (ctx.header("Sec-WebSocket-Version") != null && !ctx.res().isCommitted()) {
            // Javalin writes no result on the WebSocket upgrade path: a refused upgrade went out with an empty body.
            // The path is chosen by Sec-WebSocket-Version, not by Upgrade: "Upgrade: websocket, h2c" went out empty.
            try {
                ctx.res().setContentLength(bytes.length);
                ctx.res().getOutputStream().write(bytes);
                ctx.res().flushBuffer();
            } catch (IOException e) {
                log.debug("The refused upgrade's client is gone: {}", e.toString());
            }
        }
    }

    /**
     * Jetty's {@link GracefulHandler}, answering a request that arrives on an open connection after
     * the stop began with a problem document instead of Jetty's HTML error page.
     */
    private static final class DrainingHandler extends GracefulHandler {
        private static final byte[] BODY = ("{\"type\":\"urn:vigil:problem:shutting-down\",\"title\":\"Service"
                        + " unavailable\",\"status\":503,\"detail\":\"The service is shutting down\"}")
                .getBytes(StandardCharsets.UTF_8);

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            if (!isShutdown()) {
                return super.handle(request, response, callback);
            }
            response.setStatus(503);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, PROBLEM_JSON);
            response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SECONDS);
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            response.write(true, ByteBuffer.wrap(BODY), callback);
            return true;
        }
    }

    private static byte[] loadOpenApi() {
        try (InputStream in = HttpApi.class.getResourceAsStream("/io/vigil/identity/openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
