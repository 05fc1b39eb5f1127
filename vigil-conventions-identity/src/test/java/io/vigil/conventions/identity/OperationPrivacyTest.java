package io.vigil.conventions.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.core.Scrubber;
import io.vigil.test.VigilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PII given to an operation, in any form, appears in no signal. */
class OperationPrivacyTest {
    private static final String EMAIL = "victim.person@example.com";
    private static final String PASSWORD = "Tr0ub4dor&3";
    private static final String JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLWJ5dGVz";
    private static final String CARD = "4111 1111 1111 1111";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void piiInAttributesEventsAndExceptionsIsScrubbedEverywhere() {
        assertThatThrownBy(() -> telemetry.operations().run(Authentication.login("authenticate_user"), op -> {
                    op.email(EMAIL)
                            .attribute("password", PASSWORD)
                            .attribute("http.request.header.authorization", "Bearer " + JWT)
                            .attribute("note", "card " + CARD + " for " + EMAIL)
                            .event(
                                    "lookup",
                                    io.opentelemetry.api.common.Attributes.of(
                                            io.opentelemetry.api.common.AttributeKey.stringKey("query"),
                                            "email=" + EMAIL + "&password=" + PASSWORD));
                    throw new IllegalStateException(
                            "login for " + EMAIL + " with password=" + PASSWORD + " token " + JWT);
                }))
                .isInstanceOf(IllegalStateException.class);

        String everything = telemetry.everything();
        assertThat(everything)
                .doesNotContain(EMAIL)
                .doesNotContain(PASSWORD)
                .doesNotContain(JWT)
                .doesNotContain(CARD)
                .contains("v***@example.com")
                .contains(Scrubber.REDACTED);
    }

    @Test
    void vendorTokensAndCredentialParametersAreScrubbedEverywhere() {
        // Fake credentials in the vendors' documented shapes (assembled, so that no scanner mistakes them for leaks).
        String github = "ghp" + "_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
        String stripe = "sk" + "_live_4eC39HqLyjWDarjtT1zdp7dc";
        String awsKeyId = "AKIA" + "IOSFODNN7EXAMPLE";
        String openAi = "sk-" + "proj-Xy7kPq2Lm9Nw4Rt8Vb6Zc3Hj5Gf1Ds0A";
        String signature = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
        assertThatThrownBy(() -> telemetry.operations().run(Authentication.login("authenticate_user"), op -> {
                    op.attribute("note", "cloned with " + github)
                            .attribute("download", "https://b.s3.amazonaws.com/k?X-Amz-Signature=" + signature)
                            .attribute("otp", "123456")
                            .event(
                                    "callback",
                                    io.opentelemetry.api.common.Attributes.of(
                                            io.opentelemetry.api.common.AttributeKey.stringKey("query"),
                                            "code=SplxlOBeZQQYbYS6WxSbIA&state=s1&key=" + stripe));
                    throw new IllegalStateException("upstream rejected " + awsKeyId + " and " + openAi);
                }))
                .isInstanceOf(IllegalStateException.class);

        String everything = telemetry.everything();
        assertThat(everything)
                .doesNotContain(github, stripe, awsKeyId, openAi, signature, "SplxlOBeZQQYbYS6WxSbIA", "123456")
                .contains("cloned with " + Scrubber.REDACTED, "state=s1", "upstream rejected " + Scrubber.REDACTED);
        // In the span's attribute and in the failure's log line (attributes become its fields), and the exception's
        // message in the span's exception event.
        assertThat(telemetry.spans())
                .singleElement()
                .satisfies(span -> assertThat(
                                span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("note")))
                        .isEqualTo("cloned with " + Scrubber.REDACTED));
        assertThat(telemetry.logs()).singleElement().satisfies(log -> {
            assertThat(log.field("note")).isEqualTo("cloned with " + Scrubber.REDACTED);
            assertThat((String) log.field("download")).endsWith("?X-Amz-Signature=" + Scrubber.REDACTED);
            assertThat(log.field("otp")).isEqualTo(Scrubber.REDACTED);
        });
        assertThat(telemetry.spans().getFirst().getEvents())
                .anySatisfy(event -> assertThat(event.getAttributes().toString())
                        .contains("upstream rejected " + Scrubber.REDACTED + " and " + Scrubber.REDACTED));
    }

    @Test
    void emailsNeverBecomeLabelValues() {
        telemetry.operations().run(AuthorizationCheck.of(EMAIL, "read"), op -> {});
        assertThat(telemetry.metrics().text()).doesNotContain(EMAIL).contains("resource=\"other\"");
    }
}
