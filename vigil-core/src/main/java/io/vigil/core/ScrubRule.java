package io.vigil.core;

/**
 * One privacy rule over free text, such as a log message or an exception message.
 *
 * <p>Rules run on hot paths: a rule should reject text it cannot match with a cheap check before
 * running a regular expression, and return the very same instance when nothing changed.
 */
@FunctionalInterface
public interface ScrubRule {
    /** Returns {@code text} with every sensitive part replaced, or {@code text} itself if none. */
    String apply(String text);
}
