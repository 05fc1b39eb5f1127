package io.vigil.http.websocket;

/**
 * Reads a received text message's type and, when the protocol carries it, its trace context — e.g.
 * from a JSON message {@code {"type":"subscribe","traceparent":"00-…-01", …}}. Runs on every
 * message before its handler, so it must be cheap and must not throw (an exception counts the
 * message as {@code other}, without trace context).
 */
@FunctionalInterface
public interface MessageClassifier {
    /** The message's type and trace context; never {@code null}. */
    MessageInfo classify(String text);
}
