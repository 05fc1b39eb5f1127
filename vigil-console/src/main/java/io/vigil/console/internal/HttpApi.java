package io.vigil.console.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.Status;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.vigil.console.PortInUseException;
import io.vigil.console.internal.Queries.LogQuery;
import io.vigil.console.internal.Queries.SeriesQuery;
import io.vigil.console.internal.Queries.TraceQuery;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP port: OTLP/HTTP receivers (protobuf and JSON), the JSON query API under {@code /api/}, and the web UI. The
 * receivers take no token (SDKs send none; the port binds to loopback by default); the UI and the API do.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
    /**
     * The session cookie's name, with the port appended: a browser keeps cookies by host, not by port, so consoles on
     * one machine (a service's embedded one, a standalone one) would each overwrite the other's token under one name.
     */
    static final String COOKIE = "vigil_console_token";

    private static final String PROTOBUF = "application/x-protobuf";
    private static final String JSON = "application/json";
    private static final String UI = "/io/vigil/console/ui/";

    private final Ingest ingest;
    private final Queries queries;
    private final String token;
    private final Supplier<Map<String, Object>> stats;
    private final ObjectMapper mapper = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private final Map<String, byte[]> assets = new LinkedHashMap<>();
    private final AllowedMethods routes = new AllowedMethods();
    private final Javalin app;

    /**
     * @param bodyIdleTimeout how long a request may send nothing of its body, or read nothing of its answer, before it
     *     is answered 408 (a stalled body) or its connection is closed
     */
    public HttpApi(
            String host,
            int port,
            Ingest ingest,
            Queries queries,
            String token,
            Supplier<Map<String, Object>> stats,
            Duration bodyIdleTimeout) {
        this.ingest = ingest;
        this.queries = queries;
        this.token = token;
        this.stats = stats;
        for (String name : List.of("index.html", "app.js", "app.css")) {
            assets.put(name, resource(name));
        }
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = MAX_BODY_BYTES;
            // A wrong method on a path that exists (GET /v1/traces, DELETE /api/traces) is 405, not "no resource".
            config.http.prefer405over404 = true;
            config.jetty.host = host;
            config.jetty.port = port;
            // Named, so the console's CPU share is measured (ConsoleCpu) apart from its host's own threads.
            QueuedThreadPool pool = new QueuedThreadPool(64, 2, 60_000);
            pool.setName(ConsoleCpu.THREAD_PREFIX + "http");
            config.jetty.threadPool = pool;
            // Slowloris: a client that sends its headers and then stalls in its body. The receivers' bodies are read
            // without a thread (EagerBodies) before the route runs, so stalled clients hold connections, not the 64
            // threads; a request's I/O idle for bodyIdleTimeout is answered 408 (a body) or closed (an answer not
            // read).
            // Headers that stall hold no thread either (Jetty parses them as they come); the connector's idle timeout
            // (Jetty's 30 s) closes those connections.
            config.jetty.modifyHttpConfiguration(http -> http.setIdleTimeout(bodyIdleTimeout.toMillis()));
            ProblemErrorHandler errors = new ProblemErrorHandler();
            config.jetty.modifyServer(server -> {
                server.setErrorHandler(errors);
                server.insertHandler(EagerBodies.handler(MAX_BODY_BYTES));
            });
            config.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(errors));
            if (loopback(host)) {
                config.routes.before(this::requireLocalHost);
            }
            // Every route through `routes`: a GET route serves HEAD too, and each 405 names the resource's methods.
            routes.post(config, "/v1/traces", ctx -> receive(ctx, Signal.TRACES))
                    .post(config, "/v1/logs", ctx -> receive(ctx, Signal.LOGS))
                    .post(config, "/v1/metrics", ctx -> receive(ctx, Signal.METRICS));

            config.routes.before("/api/*", this::requireToken);
            config.routes.before("/api/*", this::requireWellFormedQuery);
            routes.get(config, "/api/traces", this::traces)
                    .get(config, "/api/traces/{id}", this::trace)
                    .get(config, "/api/logs", this::logs)
                    .get(config, "/api/metrics", this::metrics)
                    .get(config, "/api/metrics/{name}/series", this::series)
                    .get(config, "/api/metrics/{name}/points", this::points)
                    .get(config, "/api/metrics/{name}/heatmap", this::heatmap)
                    .get(config, "/api/stats", ctx -> json(ctx, this.stats.get()))
                    .get(
                            config,
                            "/api/services",
                            ctx -> json(ctx, queries.services(millisToNanos(ctx, "start"), millisToNanos(ctx, "end"))));

            routes.get(config, "/", this::index)
                    .get(config, "/app.js", ctx -> asset(ctx, "app.js", "text/javascript; charset=utf-8"))
                    .get(config, "/app.css", ctx -> asset(ctx, "app.css", "text/css; charset=utf-8"));

            config.routes.exception(BadRequest.class, (e, ctx) -> problem(ctx, 400, e.getMessage()));
            config.routes.exception(Queries.NotAHistogram.class, (e, ctx) -> problem(ctx, 400, e.getMessage()));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> {
                problem(ctx, e.getStatus(), e.getMessage());
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.warn("Request {} {} failed", ctx.method(), ctx.path(), e);
                problem(ctx, 500, "The console could not answer this request.");
            });
            config.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    problem(ctx, 404, "No resource at " + ctx.path());
                }
            });
            // Javalin's own 405 carries a plain-text body and no Allow: replaced, as only routes answer 405 here.
            // Allow is required on a 405 (RFC 9110 §15.5.6); Javalin answers 405 only where a route matches the
            // path, so `routes` always has the resource.
            config.routes.error(405, ctx -> {
                String allow = routes.allow(ctx.path());
                if (allow != null) {
                    ctx.header("Allow", allow);
                }
                problem(ctx, 405, ctx.method().name() + " is not allowed on " + ctx.path());
            });
        });
        try {
            app.start();
        } catch (io.javalin.util.JavalinBindException e) {
            // Its thread pool and whatever else started with it: the caller may bind another port in this process.
            app.stop();
            throw new PortInUseException(false, host, port, e);
        }
    }

    public int port() {
        return app.port();
    }

    private static byte[] resource(String name) {
        try (InputStream in = HttpApi.class.getResourceAsStream(UI + name)) {
            if (in == null) {
                throw new IllegalStateException("missing UI resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Signals a query-parameter error: answered 400 with a problem document. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    // ---- OTLP/HTTP ----

    private static String contentType(Context ctx) {
        return ctx.contentType() == null
                ? ""
                : ctx.contentType().split(";")[0].trim().toLowerCase(Locale.ROOT);
    }

    private void receive(Context ctx, Signal signal) {
        String contentType = contentType(ctx);
        boolean json = contentType.equals(JSON);
        if (!json && !contentType.equals(PROTOBUF)) {
            otlpError(ctx, 415, false, "Content-Type must be application/x-protobuf or application/json");
            return;
        }
        String encoding = String.join(", ", Collections.list(ctx.req().getHeaders("Content-Encoding")));
        Boolean gzip = gzip(encoding);
        if (gzip == null) {
            // 415 names a content coding the server cannot decode (RFC 9110 §15.5.16), and Accept-Encoding on it
            // the codings it can (§12.5.3); 400 would tell an exporter its payload is malformed.
            ctx.header("Accept-Encoding", "gzip, identity");
            otlpError(
                    ctx,
                    415,
                    json,
                    "Content-Encoding " + shorten(encoding) + " is not supported; send gzip or identity");
            return;
        }
        if (ctx.req().getContentLengthLong() > MAX_BODY_BYTES) {
            otlpError(ctx, 413, json, "Request body exceeds " + MAX_BODY_BYTES + " bytes; send smaller batches");
            return;
        }
        byte[] body;
        try {
            body = body(ctx, gzip);
        } catch (TooLarge e) {
            otlpError(ctx, 413, json, e.getMessage() + "; send smaller batches");
            return;
        } catch (IOException e) {
            otlpError(ctx, 400, json, "Unreadable body: " + e.getMessage());
            return;
        }
        Ingest.Decoded request;
        try {
            request = json
                    ? ingest.decode(signal, DecodedSize.json(body), () -> OtlpJson.parse(mapper, signal, body))
                    : ingest.decode(signal, body);
        } catch (InvalidProtocolBufferException e) {
            otlpError(
                    ctx,
                    400,
                    json,
                    "Malformed OTLP " + signal.name().toLowerCase(Locale.ROOT) + " request: " + e.getMessage());
            return;
        } catch (Ingest.Refused e) {
            if (e.retryable()) {
                ctx.header("Retry-After", "1");
                otlpError(ctx, 503, json, e.getMessage());
            } else {
                otlpError(ctx, 413, json, e.getMessage() + "; send smaller batches");
            }
            return;
        }
        ingest.offer(request);
        // An empty Export*ServiceResponse when all is accepted; else OTLP's partial success, still 200.
        Message response = OtlpConverter.response(signal, request.request());
        ctx.status(200);
        if (json) {
            try {
                ctx.contentType(JSON).result(OtlpJson.print(response));
            } catch (InvalidProtocolBufferException e) {
                ctx.contentType(JSON).result("{}");
            }
        } else {
            ctx.contentType(PROTOBUF).result(response.toByteArray());
        }
    }

    /** A body (sent, or once decompressed) over the limit: answered 413. */
    private static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    /**
     * Whether a request's {@code Content-Encoding} (its header lines joined) is gzip ({@code true}) or identity ({@code
     * false}, also when absent); {@code null} for any other coding, and for gzip applied more than once, which the
     * receivers do not undo. {@code x-gzip} is gzip: a recipient SHOULD consider them equivalent (RFC 9110 §8.4.1.3).
     */
    private static Boolean gzip(String contentEncoding) {
        int gzips = 0;
        for (String coding : contentEncoding.split(",")) {
            String c = coding.trim();
            if (c.isEmpty() || c.equalsIgnoreCase("identity")) {
                continue; // identity is no coding at all (RFC 9110 §8.4.1)
            }
            if (!(c.equalsIgnoreCase("gzip") || c.equalsIgnoreCase("x-gzip")) || ++gzips > 1) {
                return null;
            }
        }
        return gzips == 1;
    }

    /** Text a client sent, cut for an error message. */
    private static String shorten(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "…";
    }

    private static byte[] body(Context ctx, boolean gzip) throws IOException {
        // Read here, bounded, rather than through Javalin's size check: a body without a length (chunked) must not
        // grow without limit either, and the answer must be OTLP's (a google.rpc.Status), not the server's own.
        byte[] raw;
        try (InputStream in = ctx.req().getInputStream()) {
            raw = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (raw.length > MAX_BODY_BYTES) {
            throw new TooLarge("Request body exceeds " + MAX_BODY_BYTES + " bytes");
        }
        if (!gzip) {
            return raw;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
            // Bounded: a small compressed body must not inflate into the heap without limit.
            byte[] out = in.readNBytes(MAX_BODY_BYTES + 1);
            if (out.length > MAX_BODY_BYTES) {
                throw new TooLarge("Decompressed body exceeds " + MAX_BODY_BYTES + " bytes");
            }
            return out;
        }
    }

    /** The google.rpc.Code matching an HTTP status, for the Status body OTLP/HTTP answers errors with. */
    private static int grpcCode(int httpStatus) {
        return switch (httpStatus) {
            case 503 -> 14; // UNAVAILABLE
            case 413 -> 8; // RESOURCE_EXHAUSTED
            default -> 3; // INVALID_ARGUMENT
        };
    }

    private static void otlpError(Context ctx, int status, boolean json, String message) {
        Status body = Status.newBuilder()
                .setCode(grpcCode(status))
                .setMessage(message)
                .build();
        ctx.status(status);
        if (json) {
            try {
                ctx.contentType(JSON).result(OtlpJson.print(body));
            } catch (InvalidProtocolBufferException e) {
                ctx.contentType(JSON).result("{}");
            }
        } else {
            ctx.contentType(PROTOBUF).result(body.toByteArray());
        }
    }

    // ---- auth ----

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * DNS rebinding: a web page whose name the attacker re-points at 127.0.0.1 is, to the browser, the same origin as
     * this port, so it could post telemetry to the receivers (which take no token) and fill the store. Such a request
     * names the attacker's host; one meant for a loopback-only console names localhost or an address.
     */
    private void requireLocalHost(Context ctx) {
        String name = hostName(ctx.header("Host"));
        if (name == null
                || name.equals("localhost")
                || name.endsWith(".localhost")
                || name.startsWith("[")
                || IPV4.matcher(name).matches()) {
            return;
        }
        String detail = "This console listens on a loopback address: address it as localhost or by IP, not as "
                + (name.length() <= 64 ? name : name.substring(0, 64) + "…");
        if (ctx.path().startsWith("/v1/")) {
            otlpError(ctx, 403, JSON.equals(contentType(ctx)), detail);
        } else {
            problem(ctx, 403, detail);
        }
        ctx.skipRemainingHandlers();
    }

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** The host name of a Host header, lower-case and without the port (an IPv6 literal keeps its brackets). */
    private static String hostName(String header) {
        if (header == null || header.isBlank()) {
            return null; // HTTP/1.0 sends none: no browser does that
        }
        String h = header.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        h = colon < 0 ? h : h.substring(0, colon);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private boolean authorized(Context ctx) {
        if (token == null) {
            return true;
        }
        String auth = ctx.header("Authorization");
        if (auth != null
                && auth.regionMatches(true, 0, "Bearer ", 0, 7)
                && same(auth.substring(7).trim())) {
            return true;
        }
        String cookie = ctx.cookie(cookieName());
        if (cookie != null && same(cookie)) {
            return true;
        }
        String query = ctx.queryParam("token");
        return query != null && same(query);
    }

    private String cookieName() {
        return COOKIE + "_" + app.port();
    }

    private boolean same(String presented) {
        return MessageDigest.isEqual(
                presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private void requireToken(Context ctx) {
        if (!authorized(ctx)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"vigil-console\"");
            problem(
                    ctx,
                    401,
                    "Token required: use the URL printed at start-up, or send Authorization: Bearer <token>.");
            ctx.skipRemainingHandlers();
        }
    }

    /**
     * Refuses, once for every API request a route serves, a query with a malformed percent-escape ({@code limit=%zz},
     * {@code limit=1%}) or escapes that are not UTF-8 ({@code service=caf%e9}): Javalin decodes the query lazily and
     * drops a parameter it cannot decode (and turns bytes that are not UTF-8 into U+FFFD), so {@code limit=%zz} was
     * answered as if no limit had been sent. Jetty refuses the same in the path with 400; this is its query's
     * counterpart. After the token check, so that an unauthenticated request learns nothing of its query.
     */
    private void requireWellFormedQuery(Context ctx) {
        String detail = malformedQuery(ctx.queryString());
        // A path no route serves with this method stays 404 or 405, whatever its query.
        if (detail != null && routes.serves(ctx.method(), ctx.path())) {
            problem(ctx, 400, detail);
            ctx.skipRemainingHandlers();
        }
    }

    /** What is wrong with the percent-encoding of a raw query string, naming the parameter; null when nothing is. */
    private static String malformedQuery(String query) {
        if (query == null || query.indexOf('%') < 0) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String nameError = escapeError(name);
            String error = nameError != null ? nameError : eq < 0 ? null : escapeError(pair.substring(eq + 1));
            if (error != null) {
                String shown = nameError != null ? name : URLDecoder.decode(name, StandardCharsets.UTF_8);
                return "Query parameter '" + shorten(shown) + "' " + error;
            }
        }
        return null;
    }

    /** What is wrong with the percent-escapes of one name or value of a query, or null. */
    private static String escapeError(String s) {
        int i = s.indexOf('%');
        while (i >= 0) {
            // A run of escapes is decoded as one byte sequence, as URLDecoder (Javalin's) decodes it.
            int start = i;
            ByteBuffer bytes = ByteBuffer.allocate((s.length() - i) / 3 + 1);
            while (i < s.length() && s.charAt(i) == '%') {
                int hi = i + 1 < s.length() ? hex(s.charAt(i + 1)) : -1;
                int lo = i + 2 < s.length() ? hex(s.charAt(i + 2)) : -1;
                if (hi < 0 || lo < 0) {
                    return "has a malformed percent-escape " + s.substring(i, Math.min(i + 3, s.length()))
                            + ": a % must be followed by two hex digits";
                }
                bytes.put((byte) (hi << 4 | lo));
                i += 3;
            }
            try {
                StandardCharsets.UTF_8.newDecoder().decode(bytes.flip());
            } catch (CharacterCodingException e) {
                return "has percent-escapes that are not UTF-8: " + shorten(s.substring(start, i));
            }
            i = s.indexOf('%', i);
        }
        return null;
    }

    /** An ASCII hex digit's value, else -1: not Character.digit, which takes the digits of other scripts too. */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        char lower = (char) (c | 0x20);
        return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
    }

    private void index(Context ctx) {
        if (!authorized(ctx)) {
            ctx.status(401)
                    .contentType("text/html; charset=utf-8")
                    .result(
                            "<!doctype html><title>Vigil console</title><h1>Token required</h1>"
                                    + "<p>Open the URL the console printed at start-up (it carries <code>?token=…</code>).</p>");
            return;
        }
        if (token != null && ctx.queryParam("token") != null) {
            // Trade the token in the URL for an HttpOnly cookie, so it leaves the address bar and history.
            ctx.header("Set-Cookie", cookieName() + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
            ctx.redirect("/");
            return;
        }
        asset(ctx, "index.html", "text/html; charset=utf-8");
    }

    private void asset(Context ctx, String name, String type) {
        if (!authorized(ctx)) {
            problem(ctx, 401, "Token required: open the URL printed at start-up.");
            return;
        }
        ctx.header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(type).result(assets.get(name));
    }

    // ---- query API ----

    private void traces(Context ctx) {
        Long min = millisToNanos(ctx, "minDurationMs");
        Long max = millisToNanos(ctx, "maxDurationMs");
        Integer status = null;
        String s = ctx.queryParam("status");
        if (s != null && !s.isEmpty()) {
            status = Queries.parseStatus(s);
            if (status == null) {
                throw new BadRequest("status must be ok, error or unset");
            }
        }
        String sort = blankToNull(ctx.queryParam("sort"));
        if (sort != null && !sort.equals("start") && !sort.equals("duration")) {
            throw new BadRequest("sort must be start or duration");
        }
        String cursor = blankToNull(ctx.queryParam("cursor"));
        if (cursor != null) {
            try {
                Queries.parseCursor(cursor);
            } catch (IllegalArgumentException e) {
                throw new BadRequest("cursor must be the nextCursor of a previous answer");
            }
        }
        TraceQuery q = new TraceQuery(
                blankToNull(ctx.queryParam("service")),
                blankToNull(ctx.queryParam("name")),
                min,
                max,
                status,
                prefixed(ctx, "attr."),
                millisToNanos(ctx, "start"),
                millisToNanos(ctx, "end"),
                limit(ctx, 50),
                blankToNull(ctx.queryParam("rootName")),
                "duration".equals(sort) ? Queries.TraceSort.DURATION : Queries.TraceSort.START,
                cursor);
        Queries.TracePage page = queries.tracePage(q);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("traces", page.traces());
        body.put("nextCursor", page.nextCursor());
        json(ctx, body);
    }

    private void trace(Context ctx) {
        String id = ctx.pathParam("id").toLowerCase(Locale.ROOT);
        if (!id.matches("[0-9a-f]{32}")) {
            throw new BadRequest("a trace id is 32 hex characters");
        }
        Map<String, Object> trace = queries.trace(id);
        if (trace == null) {
            problem(ctx, 404, "No trace " + id + " is stored (it may have been evicted).");
            return;
        }
        json(ctx, trace);
    }

    private void logs(Context ctx) {
        String level = blankToNull(ctx.queryParam("level"));
        String minLevel = blankToNull(ctx.queryParam("minLevel"));
        for (String l : Arrays.asList(level, minLevel)) {
            if (l != null && !Queries.isLevel(l)) {
                throw new BadRequest("level must be one of trace, debug, info, warn, error, fatal");
            }
        }
        long afterSeq = 0;
        String after = ctx.queryParam("afterSeq");
        if (after != null && !after.isEmpty()) {
            try {
                afterSeq = Long.parseLong(after);
            } catch (NumberFormatException e) {
                throw new BadRequest("afterSeq must be an integer");
            }
        }
        String cursor = blankToNull(ctx.queryParam("cursor"));
        if (cursor != null) {
            try {
                Queries.checkLogCursor(cursor);
            } catch (IllegalArgumentException e) {
                throw new BadRequest("cursor must be the nextCursor of a previous answer");
            }
        }
        LogQuery q = new LogQuery(
                blankToNull(ctx.queryParam("service")),
                level,
                minLevel,
                blankToNull(ctx.queryParam("q")),
                prefixed(ctx, "attr."),
                lowerOrNull(ctx.queryParam("traceId")),
                lowerOrNull(ctx.queryParam("spanId")),
                afterSeq,
                limit(ctx, 200),
                cursor);
        json(ctx, queries.logs(q));
    }

    private void metrics(Context ctx) {
        String filter = blankToNull(ctx.queryParam("q"));
        String service = blankToNull(ctx.queryParam("service"));
        List<Map<String, Object>> list = queries.metricList().stream()
                .filter(m -> filter == null || Queries.containsIgnoreCase((String) m.get("name"), filter))
                .filter(m -> service == null || ((List<?>) m.get("services")).contains(service))
                .toList();
        json(ctx, Map.of("metrics", list));
    }

    private void series(Context ctx) {
        SeriesQuery q = seriesQuery(ctx);
        Map<String, Object> series = queries.series(q);
        if (series == null) {
            problem(ctx, 404, "No points of metric " + q.metric() + " are stored.");
            return;
        }
        json(ctx, series);
    }

    private void points(Context ctx) {
        SeriesQuery q = seriesQuery(ctx);
        Map<String, Object> points = queries.points(q, limit(ctx, 1000));
        if (points == null) {
            problem(ctx, 404, "No points of metric " + q.metric() + " are stored.");
            return;
        }
        json(ctx, points);
    }

    private void heatmap(Context ctx) {
        SeriesQuery q = seriesQuery(ctx);
        Map<String, Object> heatmap = queries.heatmap(q, limit(ctx, 300));
        if (heatmap == null) {
            problem(ctx, 404, "No points of metric " + q.metric() + " are stored.");
            return;
        }
        json(ctx, heatmap);
    }

    private static SeriesQuery seriesQuery(Context ctx) {
        double[] quantiles = {0.5, 0.9, 0.99};
        String qs = ctx.queryParam("quantiles");
        if (qs != null && !qs.isBlank()) {
            try {
                quantiles = Arrays.stream(qs.split(","))
                        .mapToDouble(x -> Double.parseDouble(x.trim()))
                        .toArray();
            } catch (NumberFormatException e) {
                throw new BadRequest("quantiles must be numbers between 0 and 1, comma-separated");
            }
            for (double q : quantiles) {
                if (!(q >= 0 && q <= 1)) {
                    throw new BadRequest("quantiles must be numbers between 0 and 1, comma-separated");
                }
            }
        }
        List<String> stats = list(ctx.queryParam("stats"));
        if (stats != null && !Queries.STATS.containsAll(stats)) {
            throw new BadRequest("stats must be a comma-separated list of " + String.join(", ", Queries.STATS));
        }
        return new SeriesQuery(
                ctx.pathParam("name"),
                blankToNull(ctx.queryParam("service")),
                prefixed(ctx, "label."),
                millisToNanos(ctx, "start"),
                millisToNanos(ctx, "end"),
                quantiles,
                stats,
                list(ctx.queryParam("groupBy")));
    }

    private static List<String> list(String csv) {
        if (csv == null || csv.isBlank()) {
            return null;
        }
        return Arrays.stream(csv.split(","))
                .map(String::trim)
                .filter(x -> !x.isEmpty())
                .toList();
    }

    private static Map<String, String> prefixed(Context ctx, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : ctx.queryParamMap().entrySet()) {
            if (e.getKey().startsWith(prefix)
                    && e.getKey().length() > prefix.length()
                    && !e.getValue().isEmpty()) {
                out.put(e.getKey().substring(prefix.length()), e.getValue().get(0));
            }
        }
        return out;
    }

    /** The largest number of milliseconds whose nanoseconds fit a long (the year 2262, as an epoch time). */
    static final long MAX_MILLIS = Long.MAX_VALUE / 1_000_000 - 1;

    private static Long millisToNanos(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            double ms = Double.parseDouble(v);
            // Past MAX_MILLIS the nanoseconds overflow a long: 1e300 wrapped round, and the filter matched everything.
            if (!Double.isFinite(ms) || ms < 0 || ms > MAX_MILLIS) {
                throw new NumberFormatException();
            }
            double whole = Math.floor(ms); // exact for whole milliseconds, which ms * 1e6 is not at today's magnitudes
            return (long) whole * 1_000_000 + Math.round((ms - whole) * 1e6);
        } catch (NumberFormatException e) {
            throw new BadRequest(name + " must be a number of milliseconds from 0 to " + MAX_MILLIS);
        }
    }

    private static int limit(Context ctx, int fallback) {
        String v = ctx.queryParam("limit");
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 1 || n > 1000) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadRequest("limit must be an integer from 1 to 1000");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String lowerOrNull(String s) {
        return s == null || s.isBlank() ? null : s.toLowerCase(Locale.ROOT);
    }

    private void json(Context ctx, Object body) {
        try {
            ctx.contentType(JSON).result(mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void problem(Context ctx, int status, String detail) {
        // Bytes: a String result would be encoded in Jetty's default for this media type, ISO-8859-1.
        byte[] body = ProblemErrorHandler.body(status, detail, ctx.path());
        ctx.status(status).contentType(ProblemErrorHandler.CONTENT_TYPE).result(body);
    }

    @Override
    public void close() {
        app.stop();
    }
}
