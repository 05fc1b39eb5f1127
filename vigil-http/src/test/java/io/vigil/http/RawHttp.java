package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hand-written bytes over a socket, for requests no HTTP client would send (malformed, truncated),
 * and the final response read back (interim {@code 100 Continue} skipped).
 */
public final class RawHttp {
    /** What {@code ProblemJsonErrorHandler} and the adapters write: the RFC 9457 members, in order. */
    private static final Pattern PROBLEM = Pattern.compile("\\{\"type\":\"about:blank\",\"title\":\"[A-Za-z -]+\","
            + "\"status\":(\\d{3})(?:,\"detail\":\"(?:[^\"\\\\\\p{Cntrl}]|\\\\[\"\\\\/bfnrtu])*\")?"
            + "(?:,\"request_id\":\"([A-Za-z0-9._-]{1,64})\")?}");

    /** A parsed response. */
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /**
         * Asserts an {@code application/problem+json} answer with this status whose body is a
         * problem document for it; returns its {@code request_id} or {@code null}.
         */
        public String assertProblem(int expectedStatus) {
            assertThat(status).as("status of %s", this).isEqualTo(expectedStatus);
            assertThat(header("Content-Type")).as("content type of %s", this).startsWith("application/problem+json");
            Matcher m = PROBLEM.matcher(body);
            assertThat(m.matches()).as("problem+json body: %s", body).isTrue();
            assertThat(Integer.parseInt(m.group(1))).isEqualTo(expectedStatus);
            return m.group(2);
        }
    }

    private RawHttp() {}

    /** Sends {@code request}; with {@code endBody} the client then half-closes (no more bytes will come). */
    public static Response send(URI base, String request, boolean endBody) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            if (endBody) {
                socket.shutdownOutput();
            }
            return parse(readAll(socket.getInputStream()));
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                String text = out.toString(StandardCharsets.UTF_8);
                if (complete(text)) {
                    break;
                }
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // whatever arrived is the answer
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean complete(String text) {
        try {
            Response r = parse(text);
            String length = r.header("Content-Length");
            return length != null && r.body().getBytes(StandardCharsets.UTF_8).length >= Integer.parseInt(length);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static Response parse(String text) {
        String rest = text;
        while (true) {
            int end = rest.indexOf("\r\n\r\n");
            if (!rest.startsWith("HTTP/1.1 ") || end < 0) {
                throw new IllegalArgumentException("no HTTP response: " + text);
            }
            int status = Integer.parseInt(rest.substring(9, 12));
            if (status >= 200 || status < 100) {
                Map<String, String> headers = new LinkedHashMap<>();
                String[] lines = rest.substring(0, end).split("\r\n");
                for (int i = 1; i < lines.length; i++) {
                    int colon = lines[i].indexOf(':');
                    headers.put(
                            lines[i].substring(0, colon).toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).strip());
                }
                return new Response(status, headers, rest.substring(end + 4));
            }
            rest = rest.substring(end + 4); // an interim 1xx
        }
    }
}
