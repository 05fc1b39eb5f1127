package io.vigil.http.internal;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code detail} of a problem document for a request Jetty refuses itself, from a fixed mapping of the reasons
 * its parser and URI checks give (Jetty 12.1's {@code HttpParser}, {@code HttpURI}, {@code UriCompliance}, {@code
 * HttpCompliance}, {@code HostPort}). Only what is in the mapping is said: a reason Jetty builds from request bytes, or
 * one it adds later, gives no detail rather than an echo of the request. No Jetty types here, so the mapping is plain
 * text in, text out.
 */
public final class JettyRefusals {
    /** Where the refused bytes were: in the request line, or in the header section (or the body's framing). */
    public enum Part {
        /** Jetty refused the request line (method, target or version), before it had a request to speak of. */
        REQUEST_LINE,
        /** The request line was read; a header field or the framing was refused. */
        HEADERS
    }

    private static final String BAD_ESCAPE = "The request target has a malformed percent-escape (a % must start %XX)";
    private static final String BAD_TARGET = "The request target is not a valid URI path";
    private static final String BAD_HOST = "The Host header is not a valid host and optional port";
    private static final String NOT_UTF8 = "The request target's path is not UTF-8 once percent-decoded";
    private static final String AMBIGUOUS_PREFIX = "Ambiguous URI encoding";
    private static final String AMBIGUOUS =
            "The request target's path is ambiguous once decoded (an encoded /, %, dot segment or ;parameter)";

    // Jetty's reason → what the client is told. The reasons are Jetty's own constant phrases (most of them the
    // descriptions of its compliance violations); the details say which part of the request is wrong.
    private static final Map<String, String> REASONS = Map.ofEntries(
            // HttpParser, request line
            Map.entry("No URI", "The request line has no request target"),
            // HttpParser, header section
            Map.entry("No Host", "An HTTP/1.1 request must have a Host header"),
            Map.entry("Duplicate Host Header", "The request has more than one Host header"),
            Map.entry("Bad EOL", "A line of the request head does not end with CRLF"),
            Map.entry("LF line terminator in header", "A line of the request head ends with a bare LF, not CRLF"),
            Map.entry("LF line terminator in chunk", "A chunk line ends with a bare LF, not CRLF"),
            Map.entry("Line Folding not supported", "A header field is folded onto a further line (obs-fold)"),
            Map.entry("Fields must have a Colon", "A header line has no colon"),
            Map.entry("Whitespace not allowed after field name", "A header field name is followed by whitespace"),
            Map.entry("No Bad Whitespace allowed in parameters", "A header field parameter has whitespace around '='"),
            Map.entry("Bad Quotes in Token", "A header field has a quote inside a token"),
            Map.entry("Invalid Content-Length Value", "The Content-Length is not a decimal number of bytes"),
            Map.entry("Multiple Content-Lengths", "The request has Content-Length values that differ"),
            Map.entry(
                    "Transfer-Encoding and Content-Length",
                    "The request has both Transfer-Encoding and Content-Length, so its length is ambiguous"),
            Map.entry("Bad Transfer-Encoding, chunked not last", "Transfer-Encoding must end with chunked"),
            Map.entry("Bad Transfer-Encoding, multiple chunked tokens", "Transfer-Encoding names chunked twice"),
            Map.entry("Early EOF", "The connection ended before the request was complete"),
            // Host and authority (HostPort, HttpChannelState)
            Map.entry("Bad HostPort", BAD_HOST),
            Map.entry("Bad Authority", BAD_HOST),
            Map.entry("Invalid Authority", BAD_HOST),
            Map.entry("Authority!=Host", "The request target's authority differs from the Host header"),
            Map.entry("Mismatched Authority", "The request target's authority differs from the Host header"),
            // The request target (HttpURI, UriCompliance)
            Map.entry("Bad URI", BAD_TARGET),
            Map.entry("Bad URI path", BAD_TARGET),
            Map.entry("Bad query", "The request target's query is malformed"),
            Map.entry("Bad percent encoding", BAD_ESCAPE),
            Map.entry("Bad UTF-8 encoding", NOT_UTF8),
            Map.entry("Truncated UTF-8 encoding", NOT_UTF8),
            Map.entry("UTF-16 encoding", "The request target has a %u escape; only %XX escapes are allowed"),
            Map.entry("Illegal Path Character", "The request target's path has a character that must be %-encoded"),
            Map.entry("Suspicious Path Character", "The request target's path has a control or backslash character"),
            Map.entry("Ambiguous URI empty segment", "The request target's path has an empty segment (//)"),
            Map.entry("Ambiguous URI path encoding", "The request target's path has an ambiguous escape (e.g. %25)"),
            Map.entry("Ambiguous URI path parameter", "The request target's path has an ambiguous ;parameter"),
            Map.entry("Ambiguous URI path segment", "The request target's path has an encoded dot segment (%2e)"),
            Map.entry("Ambiguous URI path separator", "The request target's path has an encoded slash (%2F)"),
            Map.entry("Fragment", "The request target has a #fragment, which a client must not send"),
            Map.entry("Deprecated User Info", "The request target has user information (user@host)"));

    // HttpParser.IllegalCharacterException: "Illegal character " + the token: TYPE='c' for a visible character,
    // TYPE=0xNN for the others, CR=\r and LF=\n.
    private static final Pattern ILLEGAL_CHARACTER =
            Pattern.compile("Illegal character ([A-Z]{2,5})=(?:'([\\x20-\\x7e])'|0x([0-9a-f]{1,2})|\\\\[rn])");

    private JettyRefusals() {}

    /**
     * The detail for a 4xx Jetty answered with {@code reason} (its HTTP exception's reason; the status's own phrase
     * when it gave none) and {@code cause} (the exception, whose causes tell a request line Jetty could not decode),
     * or {@code null} when the mapping has nothing to say.
     */
    public static String detail(int status, String reason, Throwable cause, Part part) {
        if (status == 417) {
            return "The only expectation this server meets is Expect: 100-continue";
        }
        if (reason != null) {
            String known = REASONS.get(reason);
            if (known != null) {
                return known;
            }
            Matcher m = ILLEGAL_CHARACTER.matcher(reason);
            if (m.matches()) {
                return illegalCharacter(m, part);
            }
            if (reason.startsWith(AMBIGUOUS_PREFIX)) {
                return AMBIGUOUS; // the ee10 servlet layer's, followed by the names of the violations
            }
        }
        // Jetty's "Bad Request" around a failure of decoding the request line's target: the cause says which.
        for (Throwable t = cause; t != null && t.getCause() != t; t = t.getCause()) {
            String message = t.getMessage();
            if (t instanceof NumberFormatException && message != null && message.startsWith("!hex")) {
                return BAD_ESCAPE; // TypeUtil.convertHexDigit on a '%' not followed by two hex digits
            }
            if (t instanceof IllegalArgumentException && message != null && message.startsWith(AMBIGUOUS_PREFIX)) {
                return AMBIGUOUS;
            }
            if (t instanceof ArithmeticException) {
                return "The Content-Length is too large"; // HttpParser.convertContentLength's overflow
            }
            if (t instanceof IllegalArgumentException && message != null && part == Part.REQUEST_LINE) {
                switch (message) {
                    case "Bad URI % encoding", "Bad URI %u encoding" -> {
                        return BAD_ESCAPE;
                    }
                    case "Illegal character in path" -> {
                        return "The request target's path has a control character, sent as is or %-encoded";
                    }
                    case "Bad URI" -> {
                        return BAD_TARGET;
                    }
                    default -> {
                        // not a decoding failure of the mapping
                    }
                }
            }
        }
        return null;
    }

    /** The detail of a request line longer than the request head's bound of {@code bound} bytes. */
    public static String requestLineTooLong(int bound) {
        return "The request line's method or HTTP version is too long: the request line and header fields together may"
                + " have at most " + bound + " bytes";
    }

    private static String illegalCharacter(Matcher m, Part part) {
        String type = m.group(1);
        String where = part == Part.REQUEST_LINE ? "the request line" : "a header field";
        String what = switch (type) {
            case "SPACE" ->
                part == Part.REQUEST_LINE ? "a space (a space in the request target must be sent as %20)" : "a space";
            case "HTAB" -> "a tab";
            case "CR", "LF", "EOL" -> "a line break";
            case "CNTL" -> "control character 0x" + hex(m.group(3));
            case "OTEXT" -> "non-ASCII byte 0x" + hex(m.group(3));
            default -> m.group(2) != null ? "'" + m.group(2) + "'" : "a character that is not allowed there";
        };
        return "Illegal character in " + where + ": " + what;
    }

    private static String hex(String digits) {
        if (digits == null) {
            return "??";
        }
        String upper = digits.toUpperCase(Locale.ROOT);
        return upper.length() == 1 ? "0" + upper : upper;
    }
}
