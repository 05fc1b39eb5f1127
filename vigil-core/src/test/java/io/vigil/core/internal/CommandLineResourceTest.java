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

    /**
     * An outside tester: {@code Main --app.secret=hunter2 --password hunter3} came out as {@code --app.secret=[REDACTED]
     * --password hunter3}: a value given as the argument after a sensitive option passed free-text scrubbing.
     */
    @Test
    void theArgumentAfterAnOptionWithASensitiveNameIsRedacted() {
        Resource detected = Resource.create(Attributes.builder()
                .put(
                        ARGS,
                        List.of(
                                "/usr/bin/java",
                                "-Dapi.token=abc123",
                                "-Dquiet",
                                "-cp",
                                "app.jar",
                                "Main",
                                "--app.secret=hunter2",
                                "--password",
                                "hunter3",
                                "--db-password",
                                "-hunter4",
                                "--api-key",
                                "k5",
                                "--token",
                                "t6",
                                "--client-secret",
                                "c7",
                                "-p",
                                "8080",
                                "--port",
                                "8081",
                                "--pin",
                                "--verbose",
                                "--password"))
                .build());

        assertThat(SdkFactory.scrubCommandLine(detected, Scrubber.defaults()).getAttribute(ARGS))
                .containsExactly(
                        "/usr/bin/java",
                        "-Dapi.token=[REDACTED]",
                        "-Dquiet",
                        "-cp",
                        "app.jar",
                        "Main",
                        "--app.secret=[REDACTED]",
                        "--password",
                        "[REDACTED]",
                        "--db-password",
                        "[REDACTED]",
                        "--api-key",
                        "[REDACTED]",
                        "--token",
                        "[REDACTED]",
                        "--client-secret",
                        "[REDACTED]",
                        "-p",
                        "8080",
                        "--port",
                        "8081",
                        "--pin",
                        "--verbose",
                        "--password");
    }

    /** The same in {@code process.command_line}, the detector's form where the JVM cannot read its arguments. */
    @Test
    void theArgumentAfterASensitiveOptionIsRedactedInTheOneLineForm() {
        String line = "/usr/bin/java -Dsome.password=s3 -Dapi.key=k1 -Xmx256m Main --app.secret=hunter2"
                + "  --password hunter3 --port 8080";
        Resource detected = Resource.create(Attributes.of(LINE, line));

        assertThat(SdkFactory.scrubCommandLine(detected, Scrubber.defaults()).getAttribute(LINE))
                .isEqualTo("/usr/bin/java -Dsome.password=[REDACTED] -Dapi.key=[REDACTED] -Xmx256m Main"
                        + " --app.secret=[REDACTED]  --password [REDACTED] --port 8080");
    }

    @Test
    void anOptionNamedByAnAddedSensitiveKeyPartIsRedactedToo() {
        Scrubber scrubber = Scrubber.builder().addSensitiveKeyPart("license").build();
        Resource detected = Resource.create(Attributes.builder()
                .put(ARGS, List.of("java", "Main", "--license", "L-1"))
                .build());

        assertThat(SdkFactory.scrubCommandLine(detected, scrubber).getAttribute(ARGS))
                .containsExactly("java", "Main", "--license", "[REDACTED]");
    }

    @Test
    void aResourceWithoutACommandLineIsLeftAsItIs() {
        Resource resource = Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "orders"));
        assertThat(SdkFactory.scrubCommandLine(resource, Scrubber.defaults())).isSameAs(resource);
    }
}
