package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** deploy/ holds exactly what the generator writes for identity-service and the event pipeline. */
class GeneratedFilesTest {
    private static final String HOW =
            "deploy/ is stale: run ./mvnw -pl vigil-dashboards -am -Pregenerate process-classes and commit the result";

    @Test
    void committedFilesMatchTheCatalogue() throws IOException {
        Map<String, String> expected = PipelineStack.allDeployFiles();
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path p = Deploy.file(e.getKey());
            if (!Files.exists(p) || !Files.readString(p, StandardCharsets.UTF_8).equals(e.getValue())) {
                stale.add(e.getKey());
            }
        }
        assertThat(stale).as(HOW).isEmpty();
    }

    @Test
    void generatedDirectoriesHoldNoLeftoverFiles() throws IOException {
        Map<String, String> expected = PipelineStack.allDeployFiles();
        List<String> leftovers = new ArrayList<>();
        for (String dir : Generator.GENERATED_DIRS) {
            try (var files = Files.list(Deploy.file(dir))) {
                for (Path p : files.toList()) {
                    String relative = Deploy.dir().relativize(p).toString().replace('\\', '/');
                    if (!expected.containsKey(relative)) {
                        leftovers.add(relative);
                    }
                }
            }
        }
        assertThat(leftovers).as(HOW).isEmpty();
    }

    @Test
    void generationIsDeterministic() {
        assertThat(IdentityStack.files()).isEqualTo(IdentityStack.files());
        assertThat(PipelineStack.files()).isEqualTo(PipelineStack.files());
    }

    @Test
    void theTwoServicesShareNoGeneratedFile() {
        assertThat(IdentityStack.files().keySet())
                .doesNotContainAnyElementsOf(PipelineStack.files().keySet());
    }
}
