package io.vigil.core.internal;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

/**
 * The service's name and version when none is configured, as OpenTelemetry's resource semantic
 * conventions say: {@code unknown_service:java}, unless the started application's jar names itself
 * with an {@code Implementation-Title} manifest attribute ({@code Implementation-Version} for the
 * version). Found once per process; never fails.
 */
public final class ApplicationManifest {
    /** OpenTelemetry's fallback: {@code unknown_service:} and the executable's name. */
    public static final String UNKNOWN_SERVICE = "unknown_service:java";

    private ApplicationManifest() {}

    /** The default service name of this process. */
    public static String serviceName() {
        return Holder.TITLE.orElse(UNKNOWN_SERVICE);
    }

    /** The started application's {@code Implementation-Version}, if it has one. */
    public static Optional<String> version() {
        return Holder.VERSION;
    }

    // Computed on first use, then constant: the started application does not change.
    private static final class Holder {
        static final Optional<Attributes> MAIN = attributes(
                System.getProperty("sun.java.command"), Thread.currentThread().getContextClassLoader());
        static final Optional<String> TITLE = MAIN.map(a -> a.getValue(Attributes.Name.IMPLEMENTATION_TITLE))
                .filter(ApplicationManifest::usable)
                .map(String::strip);
        static final Optional<String> VERSION = MAIN.map(a -> a.getValue(Attributes.Name.IMPLEMENTATION_VERSION))
                .filter(ApplicationManifest::usable)
                .map(String::strip);
    }

    /** The title in the manifest of the application {@code command} starts, if any (see {@link #attributes}). */
    static Optional<String> title(String command, ClassLoader loader) {
        return attributes(command, loader)
                .map(a -> a.getValue(Attributes.Name.IMPLEMENTATION_TITLE))
                .filter(ApplicationManifest::usable)
                .map(String::strip);
    }

    /**
     * The main manifest attributes of the application {@code command} started ({@code
     * sun.java.command}: a jar path, or a main class name, then the arguments): the jar's, or those
     * of the jar the main class was loaded from (the class path of the started application).
     */
    static Optional<Attributes> attributes(String command, ClassLoader loader) {
        if (command == null || command.isBlank()) {
            return Optional.empty();
        }
        String first = command.strip().split("\\s+", 2)[0];
        if (first.endsWith(".jar")) {
            return ofJar(first);
        }
        try {
            Class<?> main =
                    Class.forName(first, false, loader != null ? loader : ApplicationManifest.class.getClassLoader());
            var source = main.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null) {
                Path location = Path.of(source.getLocation().toURI());
                if (Files.isRegularFile(location)) {
                    return ofJar(location.toString());
                }
            }
        } catch (ClassNotFoundException
                | LinkageError
                | SecurityException
                | URISyntaxException
                | IllegalArgumentException e) { // also InvalidPathException
            // Not a class this loader sees (a module launch, a custom launcher): the OpenTelemetry default holds.
        }
        return Optional.empty();
    }

    private static Optional<Attributes> ofJar(String path) {
        try (JarFile jar = new JarFile(path, false)) {
            var manifest = jar.getManifest();
            return manifest == null ? Optional.empty() : Optional.of(manifest.getMainAttributes());
        } catch (IOException | SecurityException e) {
            // An unreadable jar names nothing: the OpenTelemetry default holds.
            return Optional.empty();
        }
    }

    private static boolean usable(String value) {
        return value != null && !value.isBlank();
    }
}
