package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.core.LogFormat;
import io.vigil.core.Scrubber;
import io.vigil.core.VigilConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** Contract section 5 on every log line: fields, message, exception message and stack trace. */
class PrivacyTest {
    static final String EMAIL = "jane.doe@example.com";
    static final String PASSWORD = "hunter2-S3cret!";
    static final String TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXZhbHVl";
    static final String CARD = "4111 1111 1111 1111";
    static final String SSN = "123-45-6789";
    // Vendor credentials in their documented shapes (assembled, so that no scanner mistakes them for leaks).
    static final String GITHUB = "ghp" + "_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    static final String SLACK = "xoxb" + "-2634890123-4851234567890-Ab3dEf6hIj9kLm2nOp5qRs8t";
    static final String AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE";
    static final String OTP = "918273";
    static final List<String> SECRETS = List.of(
            EMAIL,
            PASSWORD,
            TOKEN,
            CARD,
            "4111111111111111",
            SSN,
            "opaque-api-key-123",
            GITHUB,
            SLACK,
            AWS_KEY_ID,
            OTP);

    private final LoggerContext context = TestContexts.create();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private VigilLogging logging;

    @AfterEach
    void tearDown() {
        logging.close();
        MDC.clear();
    }

    private Logger install(LogFormat format) {
        logging = VigilLogging.builder(VigilConfig.builder().logFormat(format).build())
                .loggerContext(context)
                .output(out)
                .install();
        return context.getLogger("io.example.Auth");
    }

    private void logEverywhere(Logger log) {
        MDC.put("user_email", EMAIL);
        MDC.put("authorization", "Bearer " + TOKEN);
        log.atInfo()
                .addKeyValue("email", EMAIL)
                .addKeyValue("password", PASSWORD)
                .addKeyValue("api_key", "opaque-api-key-123")
                .addKeyValue("note", "card " + CARD + " ssn " + SSN)
                .addKeyValue("webhook", "posting with " + SLACK)
                .addKeyValue("otp", OTP)
                .log(
                        "login for {} with password={} and header Authorization: Bearer {}, deploy key {}",
                        EMAIL,
                        PASSWORD,
                        TOKEN,
                        GITHUB);
        log.error(
                "payment failed",
                new IllegalStateException(
                        "charge of card " + CARD + " for " + EMAIL + " failed",
                        new RuntimeException("token=" + TOKEN + " signed by " + AWS_KEY_ID)));
    }

    private String output() {
        logging.close();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void noSecretOrAddressAppearsInJsonLines() {
        logEverywhere(install(LogFormat.JSON));

        String text = output();

        for (String secret : SECRETS) {
            assertThat(text).doesNotContain(secret);
        }
        assertThat(text).contains("j***@example.com").contains(Scrubber.REDACTED);
    }

    @Test
    void sensitiveFieldsAreRedactedAndEmailFieldsMasked() {
        logEverywhere(install(LogFormat.JSON));

        ObjectNode line = Lines.parse(output()).getFirst();

        assertThat(line.get("email").asText()).isEqualTo("j***@example.com");
        assertThat(line.get("user_email").asText()).isEqualTo("j***@example.com");
        assertThat(line.get("password").asText()).isEqualTo(Scrubber.REDACTED);
        assertThat(line.get("api_key").asText()).isEqualTo(Scrubber.REDACTED);
        assertThat(line.get("authorization").asText()).isEqualTo(Scrubber.REDACTED);
        assertThat(line.get("note").asText()).isEqualTo("card [REDACTED] ssn [REDACTED]");
        assertThat(line.get("webhook").asText()).isEqualTo("posting with [REDACTED]");
        assertThat(line.get("otp").asText()).isEqualTo(Scrubber.REDACTED);
        assertThat(line.get("message").asText())
                .startsWith("login for j***@example.com with password=[REDACTED] and header Authorization: ")
                .endsWith(", deploy key [REDACTED]")
                .doesNotContain(TOKEN, GITHUB);
    }

    @Test
    void exceptionMessageAndStackTraceAreScrubbed() {
        logEverywhere(install(LogFormat.JSON));

        ObjectNode error = Lines.parse(output()).get(1);

        assertThat(error.get("exception.message").asText())
                .isEqualTo("charge of card [REDACTED] for j***@example.com failed");
        assertThat(error.get("exception.stacktrace").asText())
                .contains("java.lang.IllegalStateException: charge of card [REDACTED] for j***@example.com failed")
                .contains("Caused by: java.lang.RuntimeException: token=[REDACTED] signed by [REDACTED]");
    }

    @Test
    void noSecretOrAddressAppearsInTextLines() {
        logEverywhere(install(LogFormat.TEXT));

        String text = output();

        for (String secret : SECRETS) {
            assertThat(text).doesNotContain(secret);
        }
        assertThat(text).contains("email=j***@example.com").contains("password=[REDACTED]");
    }

    @Test
    void extraRulesOfACustomScrubberApply() {
        logging = VigilLogging.builder(VigilConfig.builder().build())
                .loggerContext(context)
                .output(out)
                .scrubber(Scrubber.builder()
                        .addSensitiveKeyPart("tenant_secret_ref")
                        .build())
                .install();
        context.getLogger("x").atInfo().addKeyValue("tenant_secret_ref", "abc").log("x");

        assertThat(Lines.parse(output()).getFirst().get("tenant_secret_ref").asText())
                .isEqualTo(Scrubber.REDACTED);
    }
}
