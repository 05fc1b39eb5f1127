package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import io.vigil.core.Scrubber;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry's process detector puts the JVM's whole command line into the resource, which goes out with every
 * span, metric point and log record and onto /metrics as target_info labels. A Spring Boot service started with
 * {@code --spring.datasource.password=hunter2} exported the password in all of them.
 */
class CommandLineResourceTest {
    private static final AttributeKey<List<String>> ARGS = AttributeKey.stringArrayKey("process.command_args");
    private static final AttributeKey<String> LINE = AttributeKey.stringKey("process.command_line");

    @Test
    void secretsOnTheCommandLineAreRedactedInTheResource() {
        Resource detected = Resource.create(Attributes.builder()
                .put(
                        ARGS,
                        List.of(
                                "/usr/bin/java",
                                "-Djavax.net.ssl.keyStorePassword=changeit",
                                "-jar",
                                "app.jar",
                                "--spring.datasource.password=hunter2",
                                "--server.port=8080"))
                .put(LINE, "java -Dapi.token=s3cr3t-token -jar app.jar")
                .put("service.name", "orders")
                .build());

        Resource scrubbed = SdkFactory.scrubCommandLine(detected, Scrubber.defaults());

        assertThat(scrubbed.getAttribute(ARGS))
                .containsExactly(
                        "/usr/bin/java",
                        "-Djavax.net.ssl.keyStorePassword=[REDACTED]",
                        "-jar",
                        "app.jar",
                        "--spring.datasource.password=[REDACTED]",
                        "--server.port=8080");
        assertThat(scrubbed.getAttribute(LINE)).doesNotContain("s3cr3t-token");
        assertThat(scrubbed.getAttribute(AttributeKey.stringKey("service.name")))
                .isEqualTo("orders");
        assertThat(scrubbed.getAttributes().toString())
                .doesNotContain("hunter2")
                .doesNotContain("changeit");
    }

    @Test
    void aResourceWithoutACommandLineIsLeftAsItIs() {
        Resource resource = Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "orders"));
        assertThat(SdkFactory.scrubCommandLine(resource, Scrubber.defaults())).isSameAs(resource);
    }
}
