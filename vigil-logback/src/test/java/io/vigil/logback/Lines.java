package io.vigil.logback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** Parses JSON lines strictly: every line one object, no duplicate keys. */
final class Lines {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Lines() {}

    static List<ObjectNode> parse(ByteArrayOutputStream out) {
        return parse(out.toString(StandardCharsets.UTF_8));
    }

    static List<ObjectNode> parse(String text) {
        List<ObjectNode> lines = new ArrayList<>();
        if (text.isEmpty()) {
            return lines;
        }
        if (!text.endsWith("\n")) {
            throw new AssertionError("output does not end with a newline: " + text);
        }
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            lines.add(parseLine(line));
        }
        return lines;
    }

    static ObjectNode parseLine(String line) {
        try {
            JsonNode node = JSON.readTree(line);
            if (!(node instanceof ObjectNode o)) {
                throw new AssertionError("not a JSON object: " + line);
            }
            return o;
        } catch (IOException e) {
            throw new UncheckedIOException("not valid JSON: " + line, e);
        }
    }

    static Set<String> keys(ObjectNode node) {
        Set<String> keys = new HashSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        return keys;
    }
}
