package io.vigil.logback.internal;

import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import io.vigil.core.Scrubber;

/**
 * Renders a stack trace in Logback's layout ({@code Caused by:}, {@code Suppressed:}, {@code ...
 * n common frames omitted}), scrubbing the exception messages — the only user data in it. Frames
 * are class, method and file names from code, so running the privacy patterns over them would cost
 * hundreds of microseconds per error line for nothing.
 */
final class StackTraces {
    private static final int MAX_DEPTH = 32;

    private StackTraces() {}

    static String render(IThrowableProxy tp, String scrubbedMessage, Scrubber scrubber) {
        StringBuilder sb = new StringBuilder(2048);
        append(sb, tp, "", 0, scrubbedMessage, scrubber, 0);
        return sb.toString();
    }

    private static void append(
            StringBuilder sb,
            IThrowableProxy tp,
            String prefix,
            int indent,
            String scrubbedMessage,
            Scrubber scrubber,
            int depth) {
        indent(sb, indent);
        sb.append(prefix);
        if (tp.isCyclic()) {
            sb.append("[CIRCULAR REFERENCE: ").append(tp.getClassName()).append("]\n");
            return;
        }
        sb.append(tp.getClassName());
        String message = scrubbedMessage != null ? scrubbedMessage : scrubber.scrubText(tp.getMessage());
        if (message != null) {
            sb.append(": ").append(message);
        }
        sb.append('\n');
        StackTraceElementProxy[] frames = tp.getStackTraceElementProxyArray();
        int common = tp.getCommonFrames();
        int shown = frames == null ? 0 : frames.length - common;
        for (int i = 0; i < shown; i++) {
            indent(sb, indent + 1);
            sb.append(frames[i].getSTEAsString()).append('\n');
        }
        if (common > 0) {
            indent(sb, indent + 1);
            sb.append("... ").append(common).append(" common frames omitted\n");
        }
        if (depth >= MAX_DEPTH) {
            return;
        }
        IThrowableProxy[] suppressed = tp.getSuppressed();
        if (suppressed != null) {
            for (IThrowableProxy s : suppressed) {
                append(sb, s, "Suppressed: ", indent + 1, null, scrubber, depth + 1);
            }
        }
        IThrowableProxy cause = tp.getCause();
        if (cause != null) {
            append(sb, cause, "Caused by: ", indent, null, scrubber, depth + 1);
        }
    }

    private static void indent(StringBuilder sb, int n) {
        for (int i = 0; i < n; i++) {
            sb.append('\t');
        }
    }
}
