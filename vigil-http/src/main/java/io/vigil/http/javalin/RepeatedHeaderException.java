package io.vigil.http.javalin;

import io.javalin.http.BadRequestResponse;

/**
 * A request that repeats, with different values, a header field allowed once ({@code Content-Type}, {@code
 * Authorization}): the application would read the first while a proxy in front may have read another. {@link
 * VigilJavalinPlugin} throws it from its own {@code before} handler, before any other handler reads the field, and
 * answers it 400 {@code application/problem+json} with {@link #getMessage()} as the detail. An application that words
 * its problems itself registers its own handler for this class, after registering the plugin.
 */
public final class RepeatedHeaderException extends BadRequestResponse {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal whose {@code detail} names the field and how often it came, e.g. {@code The request has 2 Content-Type
     * header fields with different values: a request may have one (RFC 9110, section 8.3)}; never the values.
     */
    public RepeatedHeaderException(String detail) {
        super(detail);
    }
}
