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
    void emailsNeverBecomeLabelValues() {
        telemetry.operations().run(AuthorizationCheck.of(EMAIL, "read"), op -> {});
        assertThat(telemetry.metrics().text()).doesNotContain(EMAIL).contains("resource=\"other\"");
    }
}
