package io.vigil.http.javalin;

import io.javalin.http.BadRequestResponse;

/**
 * A request whose query string does not decode: a {@code %} that starts no {@code %XX} escape, or a name or value whose
 * bytes are not UTF-8. {@link VigilJavalinPlugin} throws it from a {@code before} handler of its own, so before any
 * other handler reads a parameter (Javalin drops one it cannot decode, and reads bytes that are not UTF-8 as U+FFFD);
 * the plugin's exception handler answers it 400 {@code application/problem+json} with {@link #getMessage()} as the
 * detail. An application that words its problems itself registers its own handler for this class, after registering
 * the plugin (the later registration for a class wins).
 */
public final class MalformedQueryException extends BadRequestResponse {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal whose {@code detail} names the problem and, when its name is short and printable, the parameter, e.g.
     * {@code Query parameter 'page' is not valid percent-encoding (a % must start %XX)}; never the raw query.
     */
    public MalformedQueryException(String detail) {
        super(detail);
    }
}
