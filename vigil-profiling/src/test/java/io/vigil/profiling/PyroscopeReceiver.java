package io.vigil.profiling;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * A test stand-in for a Pyroscope server: answers {@code POST /ingest} as Pyroscope does (the
 * application name with its labels, {@code from}/{@code until}, {@code format}, and for JFR a
 * multipart body with a {@code jfr} part and an optional {@code labels} part) and keeps every
 * request for assertions.
 */
final class PyroscopeReceiver implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("([^{]+)\\{(.*)}");

    private final HttpServer server;
    private final List<Ingest> ingests = new CopyOnWriteArrayList<>();

    private PyroscopeReceiver(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/ingest", exchange -> {
            try (exchange) {
                if (!"POST".equals(exchange.getRequestMethod())) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] body = exchange.getRequestBody().readAllBytes();
                ingests.add(new Ingest(
                        query(exchange.getRequestURI().getRawQuery()),
                        multipart(exchange.getRequestHeaders().getFirst("Content-Type"), body)));
                exchange.sendResponseHeaders(200, -1);
            }
        });
        server.start();
    }

    static PyroscopeReceiver start() {
        return start(0);
    }

    /** A receiver on this port (0: any free one). */
    static PyroscopeReceiver start(int port) {
        try {
            return new PyroscopeReceiver(port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    List<Ingest> ingests() {
        return List.copyOf(ingests);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** One {@code /ingest} request. */
    record Ingest(Map<String, String> query, Map<String, byte[]> parts) {
        /** The application name, without labels. */
        String application() {
            Matcher m = NAME.matcher(query.get("name"));
            return m.matches() ? m.group(1) : query.get("name");
        }

        /** The static labels in the name, {@code app{k=v,k=v}}. */
        Map<String, String> labels() {
            Map<String, String> labels = new LinkedHashMap<>();
            Matcher m = NAME.matcher(query.get("name"));
            if (m.matches() && !m.group(2).isEmpty()) {
                for (String pair : m.group(2).split(",")) {
                    String[] kv = pair.split("=", 2);
                    labels.put(kv[0], kv[1]);
                }
            }
            return labels;
        }

        /** A part, gunzipped when the agent compressed it. */
        byte[] part(String name) {
            byte[] raw = parts.get(name);
            if (raw == null || raw.length < 2 || (raw[0] & 0xff) != 0x1f || (raw[1] & 0xff) != 0x8b) {
                return raw;
            }
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Whether the dynamic labels (span profiles) mention {@code text}, e.g. a span id. */
        boolean labelsMention(String text) {
            byte[] labels = part("labels");
            return labels != null && new String(labels, StandardCharsets.ISO_8859_1).contains(text);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            String[] kv = pair.split("=", 2);
            q.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
        }
        return q;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** Splits a {@code multipart/form-data} body into its parts by their form names. */
    private static Map<String, byte[]> multipart(String contentType, byte[] body) {
        Map<String, byte[]> parts = new LinkedHashMap<>();
        if (contentType == null || !contentType.startsWith("multipart/")) {
            parts.put("body", body);
            return parts;
        }
        String boundary = contentType.substring(contentType.indexOf("boundary=") + 9);
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int pos = indexOf(body, delimiter, 0);
        while (pos >= 0) {
            int start = pos + delimiter.length;
            if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
                break; // closing delimiter
            }
            int next = indexOf(body, delimiter, start);
            if (next < 0) {
                break;
            }
            byte[] part = Arrays.copyOfRange(body, start + 2, next - 2); // CRLF after delimiter, before next
            int headersEnd = indexOf(part, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
            String headers = new String(part, 0, headersEnd, StandardCharsets.ISO_8859_1);
            Matcher name = Pattern.compile("name=\"([^\"]*)\"").matcher(headers);
            parts.put(name.find() ? name.group(1) : "?", Arrays.copyOfRange(part, headersEnd + 4, part.length));
            pos = next;
        }
        return parts;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
