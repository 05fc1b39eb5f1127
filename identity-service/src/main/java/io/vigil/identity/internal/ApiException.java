package io.vigil.identity.internal;

import io.vigil.identity.telemetry.IdentityTelemetry;
import java.util.List;
import java.util.Map;

/**
 * A client error with everything its RFC 9457 problem document needs. Carries a bounded {@link
 * #failureReason()} for telemetry; never a stack trace to the client.
 */
public final class ApiException extends RuntimeException implements IdentityTelemetry.DomainFailure {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String title;
    private final transient List<FieldError> errors;
    private final transient Map<String, String> headers;

    /** One invalid field of a request body. */
    public record FieldError(String field, String message) {}

    public ApiException(int status, String type, String title, String detail) {
        this(status, type, title, detail, List.of(), Map.of());
    }

    public ApiException(
            int status,
            String type,
            String title,
            String detail,
            List<FieldError> errors,
            Map<String, String> headers) {
        super(detail, null, false, false); // no stack trace: this is control flow, not a fault
        this.status = status;
        this.type = type;
        this.title = title;
        this.errors = List.copyOf(errors);
        this.headers = Map.copyOf(headers);
    }

    public int status() {
        return status;
    }

    /** The problem type slug, e.g. {@code invalid-credentials}; also the telemetry failure reason. */
    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    public List<FieldError> errors() {
        return errors;
    }

    public Map<String, String> headers() {
        return headers;
    }

    @Override
    public String failureReason() {
        return type.replace('-', '_');
    }

    public static ApiException badRequest(String type, String detail) {
        return new ApiException(400, type, "Bad request", detail);
    }

    public static ApiException validation(List<FieldError> errors) {
        return new ApiException(
                422, "validation-failed", "Validation failed", "The request body is invalid", errors, Map.of());
    }

    /**
     * A 401 with its bearer challenge (RFC 6750 §3): {@code error="invalid_token"} for a token that was presented and
     * is bad, expired or revoked; the bare {@code Bearer} challenge when the request carried no credentials at all
     * ({@code missing-token}), for which §3.1 says the server should not include an error code.
     */
    public static ApiException unauthorized(String type, String detail) {
        return new ApiException(
                401,
                type,
                "Unauthorized",
                detail,
                List.of(),
                Map.of("WWW-Authenticate", "missing-token".equals(type) ? "Bearer" : "Bearer error=\"invalid_token\""));
    }

    public static ApiException invalidCredentials() {
        return new ApiException(401, "invalid-credentials", "Unauthorized", "Invalid email or password");
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(403, "forbidden", "Forbidden", detail);
    }

    public static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", "Not found", detail);
    }

    public static ApiException conflict(String type, String detail) {
        return new ApiException(409, type, "Conflict", detail);
    }

    public static ApiException tooManyRequests(long retryAfterSeconds) {
        return new ApiException(
                429,
                "rate-limited",
                "Too many requests",
                "Too many attempts from this address; retry after " + retryAfterSeconds + " s",
                List.of(),
                Map.of("Retry-After", Long.toString(retryAfterSeconds)));
    }
}
