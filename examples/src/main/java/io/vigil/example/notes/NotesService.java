package io.vigil.example.notes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.vigil.core.MetricsServer;
import io.vigil.core.Vigil;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.TokenValidationTelemetry;
import io.vigil.http.TokenValidationTelemetry.InvalidToken;
import io.vigil.http.javalin.VigilJavalinPlugin;
import io.vigil.jdbc.VigilJdbc;
import io.vigil.logback.VigilLogging;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small notes service built on the Vigil libraries only: {@code POST /notes}, {@code GET
 * /notes/{id}}, {@code GET /notes}; metrics on {@code MANAGEMENT_PORT}. H2 in memory by default,
 * PostgreSQL with {@code DATABASE_URL=jdbc:postgresql://…} (and {@code DATABASE_USER}, {@code
 * DATABASE_PASSWORD}). Writes need {@code Authorization: Bearer <NOTES_API_TOKEN>}, validated
 * through {@link TokenValidationTelemetry} ({@code token_validation_total{status}}, a {@code
 * token.validate} span, a security event per refusal).
 */
public final class NotesService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NotesService.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The write token when {@code NOTES_API_TOKEN} is unset (development only). */
    static final String DEV_TOKEN = "notes-dev-token";

    /** One stored note. */
    public record Note(long id, String text) {}

    private final HikariDataSource pool;
    private final DataSource db;
    private final Vigil vigil;
    private final MetricsServer metrics;
    private final Javalin app;
    private final TokenValidationTelemetry tokens;
    private final byte[] apiToken;

    private NotesService(Vigil vigil, Map<String, String> env) {
        this.vigil = vigil;
        this.tokens = TokenValidationTelemetry.create(vigil);
        String token = env.get("NOTES_API_TOKEN");
        if (token == null || token.isBlank()) {
            token = DEV_TOKEN;
            log.warn("NOTES_API_TOKEN is not set: writes accept the development token");
        }
        this.apiToken = token.getBytes(StandardCharsets.UTF_8);
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(env.getOrDefault("DATABASE_URL", "jdbc:h2:mem:notes;DB_CLOSE_DELAY=-1"));
        Optional.ofNullable(env.get("DATABASE_USER")).ifPresent(hc::setUsername);
        Optional.ofNullable(env.get("DATABASE_PASSWORD")).ifPresent(hc::setPassword);
        hc.setPoolName("notes");
        hc.setMaximumPoolSize(5);
        pool = new HikariDataSource(hc);
        // The schema, on the bare pool: start-up DDL is no traffic worth a span or a metric.
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS notes"
                    + " (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, text VARCHAR(1000) NOT NULL)");
        } catch (SQLException e) {
            pool.close();
            throw new IllegalStateException("creating the schema: " + e.getMessage(), e);
        }
        db = VigilJdbc.create(vigil).wrap(pool); // spans, database_operation*, db_connections_*{pool="notes"}
        metrics = vigil.startMetricsServer("0.0.0.0", Integer.parseInt(env.getOrDefault("MANAGEMENT_PORT", "9464")));
        app = Javalin.create(cfg -> {
                    cfg.startup.showJavalinBanner = false;
                    cfg.jetty.port = Integer.parseInt(env.getOrDefault("PORT", "8080"));
                    cfg.registerPlugin(new VigilJavalinPlugin(HttpServerTelemetry.create(vigil)));
                    cfg.routes.post("/notes", this::create);
                    cfg.routes.get("/notes/{id}", this::get);
                    cfg.routes.get("/notes", this::list);
                })
                .start();
        log.info("notes-service listening on port {}, metrics on port {}", app.port(), metrics.port());
    }

    /** Starts the service on {@code vigil}, configured by {@code env} ({@code PORT}, {@code DATABASE_URL}, …). */
    public static NotesService start(Vigil vigil, Map<String, String> env) {
        return new NotesService(vigil, env);
    }

    /** The bearer token of a write request, checked in constant time; false (answered 401) when refused. */
    private boolean authorized(Context ctx) throws Exception {
        try {
            tokens.validate(() -> {
                String header = ctx.header("Authorization");
                if (header == null || header.isBlank()) {
                    throw new InvalidToken(TokenValidationTelemetry.MISSING);
                }
                if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
                    throw new InvalidToken(TokenValidationTelemetry.MALFORMED);
                }
                byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
                if (!MessageDigest.isEqual(given, apiToken)) {
                    throw new InvalidToken(TokenValidationTelemetry.INVALID);
                }
                return null;
            });
            return true;
        } catch (InvalidToken e) {
            ctx.header("WWW-Authenticate", "Bearer");
            problem(ctx, 401, "unauthorized", "A valid bearer token is needed to write notes");
            return false;
        }
    }

    private void create(Context ctx) throws Exception {
        if (!authorized(ctx)) {
            return;
        }
        JsonNode text = JSON.readTree(ctx.body()).path("text");
        Note note = vigil.operations().observe(NoteOperation.CREATE, op -> {
            if (!text.isTextual() || text.asText().isBlank()) {
                op.failure("invalid_text");
                return null;
            }
            return sql(c -> {
                try (PreparedStatement ps =
                        c.prepareStatement("INSERT INTO notes (text) VALUES (?)", new String[] {"id"})) {
                    ps.setString(1, text.asText());
                    ps.executeUpdate();
                    try (ResultSet keys = ps.getGeneratedKeys()) {
                        keys.next();
                        return new Note(keys.getLong(1), text.asText());
                    }
                }
            });
        });
        if (note == null) {
            problem(ctx, 422, "invalid-text", "The note needs a non-empty \"text\"");
        } else {
            ctx.status(201).contentType("application/json").result(JSON.writeValueAsString(note));
        }
    }

    private void get(Context ctx) throws Exception {
        long id = Long.parseLong(ctx.pathParam("id"));
        Optional<Note> note = vigil.operations().observe(NoteOperation.GET, op -> {
            Optional<Note> found = sql(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT id, text FROM notes WHERE id = ?")) {
                    ps.setLong(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() ? Optional.of(new Note(rs.getLong(1), rs.getString(2))) : Optional.empty();
                    }
                }
            });
            if (found.isEmpty()) {
                op.failure("not_found");
            }
            return found;
        });
        if (note.isPresent()) {
            ctx.contentType("application/json").result(JSON.writeValueAsString(note.get()));
        } else {
            problem(ctx, 404, "not-found", "No note " + id);
        }
    }

    private void list(Context ctx) throws Exception {
        List<Note> notes = vigil.operations()
                .observe(
                        NoteOperation.LIST,
                        op -> sql(c -> {
                            try (Statement s = c.createStatement();
                                    ResultSet rs =
                                            s.executeQuery("SELECT id, text FROM notes ORDER BY id DESC LIMIT 50")) {
                                List<Note> out = new ArrayList<>();
                                while (rs.next()) {
                                    out.add(new Note(rs.getLong(1), rs.getString(2)));
                                }
                                return out;
                            }
                        }));
        ctx.contentType("application/json").result(JSON.writeValueAsString(notes));
    }

    private static void problem(Context ctx, int status, String type, String detail) throws Exception {
        // RFC 9457: the standard members in their order, with a title; bytes, because a String result is encoded
        // in Jetty's default charset for this media type (ISO-8859-1), not UTF-8.
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "urn:notes:problem:" + type);
        body.put("title", HttpStatus.forStatus(status).getMessage());
        body.put("status", status);
        body.put("detail", detail);
        ctx.status(status).contentType("application/problem+json").result(JSON.writeValueAsBytes(body));
    }

    @FunctionalInterface
    private interface Sql<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T sql(Sql<T> work) {
        try (Connection c = db.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new IllegalStateException("database: " + e.getMessage(), e);
        }
    }

    /** The API port. */
    public int port() {
        return app.port();
    }

    /** The port of {@code /metrics}. */
    public int managementPort() {
        return metrics.port();
    }

    /** Stops the HTTP servers and closes the pool. */
    @Override
    public void close() {
        app.stop();
        metrics.close();
        pool.close();
    }

    /** Runs the service until SIGTERM. */
    public static void main(String[] args) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putIfAbsent("SERVICE_NAME", "notes-service");
        Vigil vigil = Vigil.builder().environment(env).build();
        VigilLogging logging = VigilLogging.install(vigil); // JSON lines with trace ids on stdout
        NotesService service = start(vigil, env);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            logging.close();
            vigil.close();
        }));
    }
}
