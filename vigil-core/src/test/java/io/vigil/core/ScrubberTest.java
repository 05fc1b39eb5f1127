package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ScrubberTest {
    private final Scrubber scrubber = Scrubber.defaults();

    @Test
    void masksEmailAddresses() {
        assertThat(Scrubber.maskEmail("John.Doe@Example.com")).isEqualTo("J***@example.com");
        assertThat(Scrubber.maskEmail("not-an-address")).isEqualTo(Scrubber.REDACTED);
        assertThat(scrubber.scrubText("login failed for jane@example.org from 10.0.0.1"))
                .isEqualTo("login failed for j***@example.org from 10.0.0.1");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "password",
                "new_password",
                "user.password",
                "refresh_token",
                "access_token",
                "Authorization",
                "http.request.header.authorization",
                "Cookie",
                "set-cookie",
                "X-Api-Key",
                "client_secret",
                "privateKey",
                "card_number",
                "ssn",
                "national_id"
            })
    void redactsValuesOfSensitiveKeys(String key) {
        assertThat(scrubber.scrubValue(key, "s3cr3t-value")).isEqualTo(Scrubber.REDACTED);
        assertThat(scrubber.isSensitiveKey(key)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "token.type",
                "token_type",
                "token.operation.type",
                "token.operation.status",
                "password.operation.type",
                "password.operation.status",
                "security.relevant",
                "auth.failure_reason"
            })
    void keepsKeysThatOnlyDescribeSecrets(String key) {
        assertThat(scrubber.scrubValue(key, "access")).isEqualTo("access");
        assertThat(scrubber.isSensitiveKey(key)).isFalse();
    }

    @Test
    void masksValuesOfEmailKeys() {
        assertThat(scrubber.scrubValue("user.email", "alice@example.com")).isEqualTo("a***@example.com");
        assertThat(scrubber.scrubValue("email", "alice@example.com")).isEqualTo("a***@example.com");
    }

    @Test
    void leavesNumbersAndBooleansUnderPlainKeys() {
        assertThat(scrubber.scrubValue("duration_seconds", 0.25)).isEqualTo(0.25);
        assertThat(scrubber.scrubValue("authz.granted", true)).isEqualTo(true);
    }

    @Test
    void redactsCredentialsInText() {
        assertThat(scrubber.scrubText("Authorization: Bearer abcdef123456.xyz"))
                .doesNotContain("abcdef123456")
                .contains(Scrubber.REDACTED);
        assertThat(scrubber.scrubText("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl end"))
                .isEqualTo("token " + Scrubber.REDACTED + " end");
        assertThat(scrubber.scrubText("connect failed: password=hunter2&user=bob"))
                .isEqualTo("connect failed: password=" + Scrubber.REDACTED + "&user=bob");
        assertThat(scrubber.scrubText("{\"password\": \"hunter2\", \"name\": \"bob\"}"))
                .isEqualTo("{\"password\": \"" + Scrubber.REDACTED + "\", \"name\": \"bob\"}");
        assertThat(scrubber.scrubText("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"))
                .isEqualTo(Scrubber.REDACTED);
    }

    @Test
    void redactsSessionIdsCarriedInUrlsAndText() {
        assertThat(scrubber.scrubText("/api/v1/users;jsessionid=0F3A9C2E77B1"))
                .isEqualTo("/api/v1/users;jsessionid=" + Scrubber.REDACTED);
        assertThat(scrubber.scrubText("PHPSESSID=abc123&page=2&session_id=def456&sessionId=ghi789"))
                .isEqualTo("PHPSESSID=" + Scrubber.REDACTED + "&page=2&session_id=" + Scrubber.REDACTED + "&sessionId="
                        + Scrubber.REDACTED);
        // Keys that only name a session's properties stay as they are.
        String described = "session_version=3 session_timeout=30";
        assertThat(scrubber.scrubText(described)).isSameAs(described);
    }

    @Test
    void redactsLuhnValidCardNumbersOnly() {
        assertThat(scrubber.scrubText("card 4111 1111 1111 1111 declined")).isEqualTo("card [REDACTED] declined");
        assertThat(scrubber.scrubText("card 4111-1111-1111-1111")).isEqualTo("card [REDACTED]");
        // An order number that fails the Luhn check is not a card.
        assertThat(scrubber.scrubText("order 1234567890123")).isEqualTo("order 1234567890123");
    }

    @Test
    void redactsNationalIds() {
        assertThat(scrubber.scrubText("ssn 123-45-6789 on file")).isEqualTo("ssn [REDACTED] on file");
        assertThat(scrubber.scrubText("NI number AB 12 34 56 C")).isEqualTo("NI number [REDACTED]");
    }

    @Test
    void returnsTheSameInstanceWhenNothingMatches() {
        String clean = "user 42 logged in from 10.0.0.1 in 12 ms";
        assertThat(scrubber.scrubText(clean)).isSameAs(clean);
    }

    @Test
    void builderAddsRulesAndKeysOnTopOfTheDefaults() {
        Scrubber custom = Scrubber.builder()
                .addRule(text -> text.replace("ACME-", "[ACCOUNT]-"))
                .addSensitiveKeyPart("pin")
                .addEmailKey("contact")
                .allowKey("session_token_hint")
                .build();
        assertThat(custom.scrubText("ACME-991 jane@example.org")).isEqualTo("[ACCOUNT]-991 j***@example.org");
        assertThat(custom.scrubValue("card_pin", "1234")).isEqualTo(Scrubber.REDACTED);
        assertThat(custom.scrubValue("contact", "bob@example.org")).isEqualTo("b***@example.org");
        assertThat(custom.scrubValue("session_token_hint", "abc")).isEqualTo("abc");
    }

    @Test
    void identifiersAndCodeAreLeftAlone() {
        String uuid = "request 12d890cd-3c2e-4ba0-a4a0-5f812ff9c5b6 at 2026-11-23T09:18:27.737Z";
        assertThat(scrubber.scrubText(uuid)).isSameAs(uuid);
        String settings = "access_token_ttl=900s refresh_token_ttl=PT720H";
        assertThat(scrubber.scrubText(settings)).isSameAs(settings);
        String frame = "at io.example.TokenService.validate(TokenService.java:42)";
        assertThat(scrubber.scrubText(frame)).isSameAs(frame);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "/api/v1/users/mario%40mushroom.example | /api/v1/users/m***%40mushroom.example",
                "email=mario%40mushroom.example&page=2 | email=m***%40mushroom.example&page=2",
                "/users/mario%2540mushroom.example | /users/m***%2540mushroom.example",
                "/users/mario%252540mushroom.example | /users/m***%252540mushroom.example",
                "/users/%6d%61%72%69%6f%40mushroom.example | /users/%6d***%40mushroom.example",
                "/users/%4D%61%52%69%4F%40mushroom.example | /users/%4D***%40mushroom.example",
                "q=mario%2Bkart%40mushroom.example | q=m***%40mushroom.example",
                "q=mario+kart%40mushroom.example | q=m***%40mushroom.example",
                "/users/m%C3%A1rio%40mushroom.example | /users/m***%40mushroom.example",
                "/users/%C3%A9mile%40mushroom.example | /users/%C3%A9***%40mushroom.example",
                "/users/%F0%9F%8D%84mario%40mushroom.example | /users/%F0%9F%8D%84m***%40mushroom.example",
                "/users/%F0%9D%92%9Cmario%40mushroom.example | /users/%F0%9D%92%9C***%40mushroom.example",
                "a=mario%40mushroom.example&b=luigi%40mushroom.example | a=m***@mushroom.example&b=l***%40mushroom.example",
                "?password%3Dhunter2&x=1 | ?password%3D[REDACTED]&x=1",
                "card=4111+1111+1111+1111&x=1 | card=[REDACTED]&x=1",
                "h=Bearer+abcdefgh12345 | h=Bearer+[REDACTED]",
            })
    void findsPersonalDataInItsUrlEncodedFormsAndMasksItInPlace(String text, String expected) {
        String scrubbed = scrubber.scrubText(text);
        assertThat(scrubbed).isEqualTo(expected);
        assertThat(fullyDecoded(scrubbed))
                .doesNotContain("mario", "ário", "mile@", "luigi", "hunter2", "4111", "abcdefgh");
    }

    /** What a reader would make of a text after undoing every layer of encoding. */
    private static String fullyDecoded(String text) {
        String out = text;
        for (int i = 0; i < 5 && out.contains("%"); i++) {
            out = java.net.URLDecoder.decode(out.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/api/v1/users/42?page=2&sort=name",
                "100% done",
                "progress 5%",
                "bad escapes %zz %4 %",
                "an overlong %C0%80 and a lone %ED%A0%80 stay",
                "a+b=c at 2026-11-23T09:18:27.737+01:00",
                "/files/report%202026.pdf?q=a+b"
            })
    void encodedTextWithoutPersonalDataIsTheSameInstance(String text) {
        assertThat(scrubber.scrubText(text)).isSameAs(text);
    }

    @Test
    void internationalisedAddressesAreMaskedWhole() {
        assertThat(scrubber.scrubText("from mário.rossi@mushroom.example")).isEqualTo("from m***@mushroom.example");
        assertThat(Scrubber.maskEmail("\uD83C\uDF44kart@mushroom.example"))
                .isEqualTo("\uD83C\uDF44***@mushroom.example");
    }
}
