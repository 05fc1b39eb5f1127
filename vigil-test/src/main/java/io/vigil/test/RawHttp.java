package io.vigil.test;

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

/**
 * Hand-written bytes over a socket, for requests no HTTP client would send (malformed, truncated),
 * and the final response read back (interim {@code 100 Continue} skipped): for tests of what a
 * server answers to hostile clients.
 */
public final class RawHttp {
    /** A parsed response. */
    public record Response(int status, Map<String, String> headers, String body) {
        /** A header's value (names compare case-insensitively), or {@code null}. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
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

    /**
     * Sends {@code request} and returns everything the server wrote until it closed the connection (every response,
     * as text); for tests that a server closes a connection after answering, and answers no request after that one.
     *
     * @throws SocketTimeoutException when the server neither closes nor writes for 15 s
     */
    public static String sendUntilClosed(URI base, String request) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
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

    /**
     * Sends a WebSocket handshake {@code request} and returns the response's head only (status line and headers): a
     * 101 is followed by frames, not a body. Then sends a masked close frame (1000), so the server sees the connection
     * end normally, and closes the socket.
     */
    public static String handshakeHead(URI base, String request) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
            }
            socket.getOutputStream()
                    .write(new byte[] {(byte) 0x88, (byte) 0x82, 1, 2, 3, 4, 0x03 ^ 1, (byte) 0xE8 ^ 2});
            socket.getOutputStream().flush();
            return head.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
