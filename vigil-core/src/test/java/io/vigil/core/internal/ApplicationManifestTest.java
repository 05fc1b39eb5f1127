package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApplicationManifestTest {
    @TempDir
    Path dir;

    private Path jar(String title, String mainClassBytesFrom) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (title != null) {
            m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_TITLE, title);
            m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "3.1.4");
        }
        Path jar = dir.resolve("app.jar");
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(out, m)) {
            if (mainClassBytesFrom != null) {
                String entry = mainClassBytesFrom.replace('.', '/') + ".class";
                j.putNextEntry(new JarEntry(entry));
                try (var in = ApplicationManifestTest.class.getClassLoader().getResourceAsStream(entry)) {
                    in.transferTo(j);
                }
                j.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void theTitleOfTheJarStartedWithDashJar() throws IOException {
        Path jar = jar("orders-service", null);
        assertThat(ApplicationManifest.title(jar + " --port 8080", null)).contains("orders-service");
    }

    @Test
    void theTitleOfTheJarTheMainClassComesFrom() throws IOException {
        String main = Sample.class.getName();
        Path jar = jar("billing", main);
        // A loader that does not delegate to the test's class path, so the class is the jar's.
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertThat(ApplicationManifest.title(main + " arg", loader)).contains("billing");
            assertThat(ApplicationManifest.attributes(main, loader)
                            .map(a -> a.getValue(Attributes.Name.IMPLEMENTATION_VERSION)))
                    .contains("3.1.4");
        }
    }

    @Test
    void nothingWhenThereIsNoTitleOrNoReadableApplication() throws IOException {
        assertThat(ApplicationManifest.title(jar(null, null).toString(), null)).isEmpty();
        assertThat(ApplicationManifest.title(dir.resolve("missing.jar").toString(), null))
                .isEmpty();
        assertThat(ApplicationManifest.title("no.such.Main", null)).isEmpty();
        assertThat(ApplicationManifest.title(Sample.class.getName(), getClass().getClassLoader()))
                .isEmpty(); // a class directory, not a jar
        assertThat(ApplicationManifest.title(null, null)).isEmpty();
        assertThat(ApplicationManifest.title("  ", null)).isEmpty();
    }

    @Test
    void theDefaultInTestsIsOpenTelemetrysUnknownService() {
        assertThat(ApplicationManifest.serviceName()).isEqualTo("unknown_service:java");
    }

    /** A class to put into a jar. */
    public static final class Sample {}
}
