package io.vigil.identity.internal.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.javalin.http.Context;
import io.vigil.identity.internal.ApiException;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * The service's JSON: snake_case fields, strict reading (unknown fields, wrong types, trailing
 * content, a repeated member and coercions such as {@code 123 → "123"} are refused) and every failure mapped to a
 * precise 4xx problem.
 */
public final class Json {
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // {"email":"a@x","email":"b@y"} was read as its last member: a proxy, WAF or log reading the first saw
            // another login, sign-up or role change than the one made. RFC 8259 leaves such a body's meaning open.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(
                    LogicalType.Textual,
                    c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .changeDefaultPropertyInclusion(i -> i.withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();

    /** How Jackson's {@link StreamReadFeature#STRICT_DUPLICATE_DETECTION} failure begins. */
    private static final String DUPLICATE = "Duplicate Object property";

    private Json() {}

    /** Reads the request body as {@code type}, or throws the matching 4xx problem. */
    public static <T> T read(Context ctx, Class<T> type, long maxBytes) {
        String contentType = ctx.contentType();
        if (contentType == null || !isJson(contentType)) {
            throw new ApiException(
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "The request body must be application/json");
        }
        refuseBeforeContinue(ctx, maxBytes);
        byte[] body = ctx.bodyAsBytes();
        if (body.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        if (body.length == 0) {
            throw ApiException.badRequest("missing-body", "A JSON request body is required");
        }
        T value;
        try {
            value = MAPPER.readValue(body, type);
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("unknown-field", "Unknown field '" + e.getPropertyName() + "'");
        } catch (MismatchedInputException e) {
            if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Trailing token")) {
                throw ApiException.badRequest("malformed-json", "Unexpected content after the JSON value");
            }
            String field = path(e);
            throw ApiException.badRequest(
                    "invalid-type",
                    field.isEmpty() ? "The body must be a JSON object" : "Field '" + field + "' has the wrong type");
        } catch (StreamReadException e) {
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith(DUPLICATE)) {
                throw ApiException.badRequest("duplicate-field", duplicateDetail(message));
            }
            throw ApiException.badRequest("malformed-json", "The request body is not valid JSON");
        } catch (JacksonException e) {
            throw ApiException.badRequest("malformed-json", "The request body is not valid JSON");
        }
        if (value == null) {
            throw ApiException.badRequest("invalid-type", "The body must be a JSON object");
        }
        return value;
    }

    /**
     * Answers 413 at once a client that waits for {@code 100 Continue} before sending a body it declares over {@code
     * maxBytes} (RFC 9110 §10.1.1: a server may answer the final status instead). Reading the body first would have
     * Jetty send the 100 and the client upload all of it (99 MB) to be refused; it has sent none yet, so answering
     * now cuts nothing off. Without {@code Expect} the body is read whole first, as before.
     */
    public static void refuseBeforeContinue(Context ctx, long maxBytes) {
        if (ctx.req().getContentLengthLong() > maxBytes && "100-continue".equalsIgnoreCase(ctx.header("Expect"))) {
            throw tooLarge(maxBytes);
        }
    }

    /** The 413 problem. */
    public static ApiException tooLarge(long maxBytes) {
        return new ApiException(
                413, "payload-too-large", "Content too large", "The request body exceeds " + maxBytes + " bytes");
    }

    /** Whether a request has a body at all (for endpoints where it is optional). */
    public static boolean hasBody(Context ctx) {
        String length = ctx.header("Content-Length");
        return (length != null && !"0".equals(length.trim())) || ctx.header("Transfer-Encoding") != null;
    }

    public static String write(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    private static boolean isJson(String contentType) {
        String base = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
        return base.equals("application/json") || (base.startsWith("application/") && base.endsWith("+json"));
    }

    /** "Field 'email' appears more than once", the name read from Jackson's message (bounded: it is the client's). */
    private static String duplicateDetail(String message) {
        int open = message.indexOf('"');
        int close = message.lastIndexOf('"');
        if (open < 0 || close <= open + 1) {
            return "A field appears more than once";
        }
        String field = message.substring(open + 1, close);
        return "Field '" + (field.length() <= 64 ? field : field.substring(0, 64) + "…") + "' appears more than once";
    }

    private static String path(JacksonException e) {
        return e.getPath().stream()
                .map(r -> r.getPropertyName() != null ? r.getPropertyName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
