package io.vigil.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * vigil-bom, the pom users import, against the reactor it describes: it has no parent (on purpose,
 * see its pom), so nothing but this test keeps it in step with the root pom. It lives in dist-test
 * because dist-test is the module that checks what is shipped, and a pom-packaged BOM has no test
 * sources of its own.
 */
class BomTest {
    private static final String OTEL_BOM = "io.opentelemetry.instrumentation:opentelemetry-instrumentation-bom-alpha";

    /** The repository root: surefire runs in dist-test's directory. */
    static final Path ROOT =
            Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();

    @Test
    void managesEveryPublishedVigilModuleOfTheReactor() throws Exception {
        Pom root = Pom.read(ROOT.resolve("pom.xml"));
        Pom bom = Pom.read(ROOT.resolve("vigil-bom/pom.xml"));

        List<String> libraries = new ArrayList<>(libraryModules().values());

        assertThat(libraries).as("the reactor's library modules").contains("vigil-core", "vigil-http");
        Map<String, String> managed = bom.managed();
        for (String library : libraries) {
            assertThat(managed)
                    .as("vigil-bom/pom.xml manages io.vigil:%s", library)
                    .containsEntry("io.vigil:" + library, text(root.project, "version"));
        }
        assertThat(text(bom.project, "version")).as("vigil-bom's version").isEqualTo(text(root.project, "version"));
    }

    /**
     * The reactor's library modules, directory to artifactId: every {@code vigil-*} module Maven publishes except
     * the BOM itself. A module Maven does not publish (dist-test, bench) cannot be imported, so it is not one.
     */
    static Map<Path, String> libraryModules() throws Exception {
        Pom root = Pom.read(ROOT.resolve("pom.xml"));
        Map<Path, String> libraries = new TreeMap<>();
        for (Element module : children(child(root.project, "modules"), "module")) {
            Path dir = ROOT.resolve(module.getTextContent().trim());
            Pom pom = Pom.read(dir.resolve("pom.xml"));
            String artifactId = text(pom.project, "artifactId");
            if (artifactId.startsWith("vigil-")
                    && !artifactId.equals("vigil-bom")
                    && !"true".equals(pom.properties.get("maven.deploy.skip"))) {
                libraries.put(dir, artifactId);
            }
        }
        return libraries;
    }

    @Test
    void importsTheOpenTelemetryVersionsTheBuildUses() throws Exception {
        Map<String, String> root = Pom.read(ROOT.resolve("pom.xml")).managed();
        Map<String, String> bom = Pom.read(ROOT.resolve("vigil-bom/pom.xml")).managed();

        assertThat(root).containsKey(OTEL_BOM);
        assertThat(bom.get(OTEL_BOM))
                .as("vigil-bom's %s (its otel-instrumentation.version)", OTEL_BOM)
                .isEqualTo(root.get(OTEL_BOM));
    }

    /**
     * The root pom's settlements of conflicts among the libraries' runtime dependencies. A dependency's parent pom only
     * sets its direct dependencies' versions: without these, a project importing only vigil-bom and vigil-core resolved
     * protobuf-java 4.35.0 (its runtime calls sun.misc.Unsafe: a warning on JDK 24+) and kotlin-stdlib 2.1.21, not the
     * versions the tests ran with.
     */
    @Test
    void pinsTheTransitiveVersionsTheRootPomSettles() throws Exception {
        Map<String, String> root = Pom.read(ROOT.resolve("pom.xml")).managed();
        Map<String, String> bom = Pom.read(ROOT.resolve("vigil-bom/pom.xml")).managed();
        for (String settled : List.of(
                "com.google.protobuf:protobuf-bom",
                "org.jetbrains.kotlin:kotlin-stdlib",
                "com.google.code.gson:gson",
                "com.google.errorprone:error_prone_annotations")) {
            assertThat(root).containsKey(settled);
            assertThat(bom.get(settled)).as("vigil-bom's %s", settled).isEqualTo(root.get(settled));
        }
    }

    /**
     * Libraries a framework's dependency management pins at versions Vigil does not run on. Under
     * spring-boot-starter-parent 3.5.16 a service importing vigil-bom resolved the Prometheus client at 1.3.10 — every
     * scrape then failed with {@code NoSuchMethodError: MetricMetadata.builder()} in OpenTelemetry's exporter and the
     * scraper got an empty reply — and kafka-clients at 3.9.2 under vigil-kafka. Managed in the BOM, they win.
     */
    @Test
    void pinsThePrometheusClientAndKafkaOverAFrameworksOwnVersions() throws Exception {
        Map<String, String> root = Pom.read(ROOT.resolve("pom.xml")).managed();
        Map<String, String> bom = Pom.read(ROOT.resolve("vigil-bom/pom.xml")).managed();
        String prometheus = root.get("io.prometheus:prometheus-metrics-exposition-formats-no-protobuf");
        assertThat(prometheus).as("the root pom's Prometheus client").isNotNull();
        for (String artifact : List.of(
                "prometheus-metrics-model",
                "prometheus-metrics-config",
                "prometheus-metrics-exposition-textformats",
                "prometheus-metrics-exposition-formats-no-protobuf",
                "prometheus-metrics-exporter-common",
                "prometheus-metrics-exporter-httpserver")) {
            assertThat(bom.get("io.prometheus:" + artifact))
                    .as("vigil-bom's io.prometheus:%s", artifact)
                    .isEqualTo(prometheus);
        }
        for (String artifact :
                List.of("kafka-clients", "kafka_2.13", "kafka-metadata", "kafka-server-common", "kafka-server")) {
            String key = "org.apache.kafka:" + artifact;
            assertThat(root).containsKey(key);
            assertThat(bom.get(key)).as("vigil-bom's %s", key).isEqualTo(root.get(key));
        }
    }

    /**
     * The Jetty vigil-http is tested on. Javalin 7.2.3 depends on Jetty 12.1.12: a service importing only vigil-bom, as
     * the README says, resolved that one, not the 12.1.14 of every Vigil test (and of its HTTP hardening on Jetty's
     * internals); offline its build failed on the missing 12.1.12 jars.
     */
    @Test
    void importsTheJettyTheBuildRunsOn() throws Exception {
        Map<String, String> root = Pom.read(ROOT.resolve("pom.xml")).managed();
        Map<String, String> bom = Pom.read(ROOT.resolve("vigil-bom/pom.xml")).managed();
        for (String jettyBom : List.of("org.eclipse.jetty:jetty-bom", "org.eclipse.jetty.ee10:jetty-ee10-bom")) {
            assertThat(root).containsKey(jettyBom);
            assertThat(bom.get(jettyBom)).as("vigil-bom's %s", jettyBom).isEqualTo(root.get(jettyBom));
        }
    }

    /** dist-test packages no jar: installing it failed {@code ./mvnw install}, the last module of the build. */
    @Test
    void distTestIsNeitherInstalledNorDeployed() throws Exception {
        Map<String, String> properties =
                Pom.read(ROOT.resolve("dist-test/pom.xml")).properties();
        assertThat(properties).containsEntry("maven.install.skip", "true").containsEntry("maven.deploy.skip", "true");
    }

    @Test
    void pinsItsLifecyclePluginsAtTheRootPomsVersions() throws Exception {
        Map<String, String> root = Pom.read(ROOT.resolve("pom.xml")).plugins();
        Map<String, String> bom = Pom.read(ROOT.resolve("vigil-bom/pom.xml")).plugins();

        assertThat(bom).as("vigil-bom's pluginManagement").isNotEmpty();
        bom.forEach((plugin, version) ->
                assertThat(root).as("the root pom's version of %s", plugin).containsEntry(plugin, version));
    }

    /** A pom's project element and its properties (with project.version), enough to interpolate versions. */
    private record Pom(Element project, Map<String, String> properties) {
        private static final Pattern PROPERTY = Pattern.compile("\\$\\{([^}]+)}");

        static Pom read(Path file) throws Exception {
            assertThat(file).isRegularFile();
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(false);
            Document doc = factory.newDocumentBuilder().parse(file.toFile());
            Element project = doc.getDocumentElement();
            Map<String, String> properties = new TreeMap<>();
            Element props = child(project, "properties");
            if (props != null) {
                for (Node n = props.getFirstChild(); n != null; n = n.getNextSibling()) {
                    if (n instanceof Element e) {
                        properties.put(e.getTagName(), e.getTextContent().trim());
                    }
                }
            }
            Element parent = child(project, "parent");
            String version = child(project, "version") != null ? text(project, "version") : text(parent, "version");
            properties.put("project.version", version);
            return new Pom(project, properties);
        }

        /** groupId:artifactId of each dependencyManagement entry to its interpolated version. */
        Map<String, String> managed() {
            Map<String, String> managed = new TreeMap<>();
            Element dependencies = child(child(project, "dependencyManagement"), "dependencies");
            for (Element dependency : children(dependencies, "dependency")) {
                managed.putIfAbsent(
                        text(dependency, "groupId") + ":" + text(dependency, "artifactId"),
                        interpolate(text(dependency, "version")));
            }
            return managed;
        }

        /** artifactId of each build plugin (managed or declared) with a version, to that version. */
        Map<String, String> plugins() {
            Map<String, String> plugins = new TreeMap<>();
            Element build = child(project, "build");
            for (Element list :
                    Arrays.asList(child(child(build, "pluginManagement"), "plugins"), child(build, "plugins"))) {
                for (Element plugin : children(list, "plugin")) {
                    if (child(plugin, "version") != null) {
                        plugins.put(text(plugin, "artifactId"), interpolate(text(plugin, "version")));
                    }
                }
            }
            return plugins;
        }

        private String interpolate(String value) {
            Matcher m = PROPERTY.matcher(value);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String resolved = properties.get(m.group(1));
                assertThat(resolved).as("property %s", m.group(1)).isNotNull();
                m.appendReplacement(out, Matcher.quoteReplacement(resolved));
            }
            return m.appendTail(out).toString();
        }
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        if (parent != null) {
            for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && e.getTagName().equals(name)) {
                    found.add(e);
                }
            }
        }
        return found;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        assertThat(e).as("<%s> in <%s>", name, parent.getTagName()).isNotNull();
        return e.getTextContent().trim();
    }
}
