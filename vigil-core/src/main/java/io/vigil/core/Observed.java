package io.vigil.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an interface method as one domain operation. {@link Operations#instrument(Class, Object)}
 * returns a proxy of the interface that observes each marked call: span, metrics and log event.
 *
 * <pre>{@code
 * interface AuthService {
 *     @Observed(kind = "authentication", values = "login")
 *     User authenticateUser(String email, String password);
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Observed {
    /**
     * The {@link OperationKind#name()} of a kind known to the {@link Operations} instance: registered
     * with {@link Operations#register(OperationKind)} (or already run) before {@link
     * Operations#instrument(Class, Object)} is called.
     */
    String kind();

    /** The kind's dimension values, in the kind's declared order (e.g. {@code "login"}). */
    String[] values() default {};

    /** The operation name; defaults to the method name in snake_case. */
    String name() default "";
}
