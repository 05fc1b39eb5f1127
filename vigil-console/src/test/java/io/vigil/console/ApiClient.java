package io.vigil.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A small client for the console's query API in tests. */
final class ApiClient {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final VigilConsole console;

    ApiClient(VigilConsole console) {
        this.console = console;
    }

    /** GETs an API path with the console's token and returns the JSON body; fails on a non-200 status. */
    JsonNode get(String pathAndQuery) {
        HttpResponse<String> r = send(pathAndQuery, true);
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + pathAndQuery + " -> " + r.statusCode() + ": " + r.body());
        }
        return json(r.body());
    }

    HttpResponse<String> send(String pathAndQuery, boolean withToken) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(console.httpEndpoint() + pathAndQuery));
        if (withToken && console.token() != null) {
            b.header("Authorization", "Bearer " + console.token());
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<byte[]> post(String url, String contentType, byte[] body, String encoding) {
        return post(url, contentType, body, encoding, false);
    }

    /**
     * With {@code expectContinue}, the body is sent only once the server asks for it: a server that refuses a
     * declared length at once (413) answers before the body is on the wire, so the client reliably reads the
     * answer instead of racing the server's close of a connection it is still writing to.
     */
    static HttpResponse<byte[]> post(
            String url, String contentType, byte[] body, String encoding, boolean expectContinue) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .expectContinue(expectContinue)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (encoding != null) {
            b.header("Content-Encoding", encoding);
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String body) {
        try {
            return MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
