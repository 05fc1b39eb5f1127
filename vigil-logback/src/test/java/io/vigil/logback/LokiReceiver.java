package io.vigil.logback;

import com.github.loki4j.pkg.loki.protobuf.Push;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xerial.snappy.Snappy;

/**
 * A test HTTP receiver speaking Loki's push API ({@code POST /loki/api/v1/push}, protobuf +
 * snappy): decodes every body back into stream labels and entries. It can go down (socket closed:
 * connection refused) and come back on the same port. Public in the test jar: the shipped-jar
 * tests (dist-test) point the packaged service at it.
 */
public final class LokiReceiver implements AutoCloseable {
    /** One received entry. */
    public record Entry(Map<String, String> labels, long epochNanos, String line) {}

    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final List<Entry> entries = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();
    private final AtomicInteger pushes = new AtomicInteger();
    private volatile int refusal; // 0: accept; else the status every push gets, its entries not kept
    private final int port;
    private HttpServer server;

    public LokiReceiver() throws IOException {
        server = start(0);
        port = server.getAddress().getPort();
    }

    private HttpServer start(int bindPort) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), bindPort), 0);
        s.createContext("/loki/api/v1/push", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                byte[] body = in.readAllBytes();
                int refuse = refusal;
                if (refuse != 0) {
                    pushes.incrementAndGet();
                    exchange.sendResponseHeaders(refuse, -1);
                    return;
                }
                contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
                Push.PushRequest request = Push.PushRequest.parseFrom(Snappy.uncompress(body));
                List<Entry> batch = new ArrayList<>();
                for (Push.StreamAdapter stream : request.getStreamsList()) {
                    Map<String, String> labels = parseLabels(stream.getLabels());
                    for (Push.EntryAdapter e : stream.getEntriesList()) {
                        long nanos = e.getTimestamp().getSeconds() * 1_000_000_000L
                                + e.getTimestamp().getNanos();
                        batch.add(new Entry(labels, nanos, e.getLine()));
                    }
                }
                entries.addAll(batch);
                pushes.incrementAndGet();
                exchange.sendResponseHeaders(204, -1);
            } catch (Exception e) {
                exchange.sendResponseHeaders(400, -1);
            } finally {
                exchange.close();
            }
        });
        s.start();
        return s;
    }

    static Map<String, String> parseLabels(String labels) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = LABEL.matcher(labels);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Goes down: the port refuses connections until {@link #up()}. */
    synchronized void down() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    synchronized void up() throws IOException {
        if (server == null) {
            server = start(port);
        }
    }

    /** Answers every push with {@code status} (keeping nothing) from now on; {@code 0}: accepts them again. */
    void refuseWith(int status) {
        refusal = status;
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    public List<String> contentTypes() {
        return List.copyOf(contentTypes);
    }

    int pushes() {
        return pushes.get();
    }

    @Override
    public void close() {
        down();
    }
}
