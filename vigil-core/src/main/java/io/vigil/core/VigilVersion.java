package io.vigil.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of Vigil itself, filtered into a resource at build time. */
public final class VigilVersion {
    /** Vigil's version, e.g. {@code 1.4.0}; {@code unknown} in an unfiltered (IDE) build. */
    public static final String VERSION = load();

    private VigilVersion() {}

    private static String load() {
        try (InputStream in = VigilVersion.class.getResourceAsStream("vigil-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            // An unfiltered resource (IDE build) still carries the placeholder.
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
