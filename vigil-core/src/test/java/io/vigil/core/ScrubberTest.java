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

    /** What an email field held in an outside test: everything after the last @ went out as the "domain". */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "grace@login.example 4111111111111111",
                "kim@x.example ghp_abcdefghijklmnopqrstuvwxyz0123456789 AKIAIOSFODNN7EXAMPLE",
                "kim@x.example password=hunter2hunter2",
                "P@ssw0rd-Secret!2024",
                "a@4111111111111111.example",
                "a@b.example/../etc",
                "a@example.com.",
                "a@-example.com",
                "a@example",
                "a@example.c0m",
                "a@",
                "@example.com"
            })
    void anEmailWhoseDomainIsNoDomainNameIsRedactedWhole(String value) {
        assertThat(Scrubber.maskEmail(value)).isEqualTo(Scrubber.REDACTED);
        assertThat(scrubber.scrubValue("email", value)).isEqualTo(Scrubber.REDACTED);
    }

    @ParameterizedTest
    @CsvSource({
        "alice@sub.example.co.uk, a***@sub.example.co.uk",
        "bob@m\u00fcnchen.de, b***@m\u00fcnchen.de",
        "carol@xn--mnchen-3ya.de, c***@xn--mnchen-3ya.de",
        "dave@example.xn--p1ai, d***@example.xn--p1ai",
        "erin@163.com, e***@163.com",
        "frank@my-host.example, f***@my-host.example"
    })
    void realDomainsAreKept(String address, String masked) {
        assertThat(Scrubber.maskEmail(address)).isEqualTo(masked);
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
    // Fake credentials in the vendors' documented shapes, assembled so that no scanner mistakes the source for a leak.
    private static final String B62_36 = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    static final String GITHUB = "ghp" + "_" + B62_36;
    static final String STRIPE = "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc";
    static final String AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE";
    static final String OPENAI = "sk-" + "proj-" + "Xy7kPq2Lm9Nw4Rt8Vb6Zc3Hj5Gf1Ds0A";

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "ghp_" + B62_36,
                "gho_" + B62_36,
                "ghu_" + B62_36,
                "ghs_" + B62_36,
                "ghr_" + B62_36,
                "github_pat_" + "11ABCDEFG0123456789abc_"
                        + "defghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab",
                "glpat-" + "xK9mP2vL8qR4tN7wZ3yB",
                "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
                "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
                "rk_live_" + "51H8abcdEFGHijklMNOPqrst",
                "rk_test_" + "51H8abcdEFGHijklMNOPqrst",
                "xoxb-" + "2634890123-4851234567890-Ab3dEf6hIj9kLm2nOp5qRs8t",
                "xoxp-" + "2634890123-2634890124-4851234567890-0123456789abcdef0123456789abcdef",
                "AKIA" + "IOSFODNN7EXAMPLE",
                "ASIA" + "Y34FZKBOKMUTVV7A",
                "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
                "npm_" + B62_36,
                "sk-" + "Xy7kPq2Lm9Nw4Rt8Vb6Zc3Hj5Gf1Ds0AeRtYu",
                "sk-" + "proj-" + "Xy7kPq2Lm9Nw4Rt8Vb6Zc3Hj5Gf1Ds0A_bC-dE",
                "sk-" + "abcdefghijklmnopT3BlbkFJqrstuvwxyzabcdef"
            })
    void redactsVendorTokensByTheirShapeWherever(String token) {
        for (String text : new String[] {
            token,
            "deploy failed with " + token + ", retrying",
            "{\"key\":\"" + token + "\"}",
            "/hooks/" + token + "/run",
            "key=" + token + "&x=1"
        }) {
            String scrubbed = scrubber.scrubText(text);
            assertThat(scrubbed).as(text).doesNotContain(token).contains(Scrubber.REDACTED);
        }
        assertThat(scrubber.scrubText("deploy failed with " + token + ", retrying"))
                .isEqualTo("deploy failed with " + Scrubber.REDACTED + ", retrying");
        // Under a plain key too: the value is text.
        assertThat(scrubber.scrubValue("note", "using " + token)).isEqualTo("using " + Scrubber.REDACTED);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "GET /api/v1/users/{id} 200",
                "status_code=200",
                "error_code=E1042 retry",
                "http.status_code: 404",
                "550e8400-e29b-41d4-a716-446655440000",
                "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
                "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
                // publishable Stripe keys are meant for browsers
                "pk_live_51H8abcdEFGHijklMNOPqrstUVWX",
                "pk_test_51H8abcdEFGHijklMNOPqrstUVWX",
                // words that start like a key
                "sk-learn",
                "sk-learn-compatible-gradient-boosting-models-for-tabular-data",
                "ask-the-team-about-the-reconciliation-job-before-friday-2026",
                "task_live_1234567890abcdefghijk",
                // a prefix without the documented length, or inside a longer word
                "ghp_short",
                "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r" /* 35 */,
                "xAKIA" + "IOSFODNN7EXAMPLE",
                "AKIA" + "IOSFODNN7EXAMPLEX",
                "AKIAbcd",
                "AIzaSy too short",
                "npm_install_failed",
                "xoxb-short",
                "glpat-short",
                // parameters that only contain the short names
                "zip_code=94107&country_code=US",
                "spin=3 shipping=fast pin_length=4 otp_ttl=30",
                "code.function=validate code.namespace=io.example.Auth",
                "signature_algorithm=SHA256withRSA"
            })
    void leavesLookalikesAndOrdinaryValuesAlone(String text) {
        assertThat(scrubber.scrubText(text)).isSameAs(text);
    }

    @Test
    void redactsCredentialParametersByName() {
        String r = Scrubber.REDACTED;
        assertThat(scrubber.scrubText("otp=123456 pin: 4321")).isEqualTo("otp=" + r + " pin: " + r);
        assertThat(scrubber.scrubText("{\"user.pin\": \"4321\", \"mfa_otp_code\": 654321, \"totp\": \"999000\"}"))
                .isEqualTo("{\"user.pin\": \"" + r + "\", \"mfa_otp_code\": " + r + ", \"totp\": \"" + r + "\"}");
        assertThat(scrubber.scrubText("passphrase=correct-horse ssh_passcode=77"))
                .isEqualTo("passphrase=" + r + " ssh_passcode=" + r);
        assertThat(scrubber.scrubText(
                        "client_secret=s3cr3t&refresh_token=rt1&id_token=it1&access_token=at1&private_key=pk1"))
                .isEqualTo("client_secret=" + r + "&refresh_token=" + r + "&id_token=" + r + "&access_token=" + r
                        + "&private_key=" + r);
        // An OAuth authorization code, as a query or form parameter only.
        assertThat(scrubber.scrubText("/oauth/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz"))
                .isEqualTo("/oauth/callback?code=" + r + "&state=xyz");
        assertThat(scrubber.scrubText("code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https://app.example/cb"))
                .isEqualTo("code=" + r + "&redirect_uri=https://app.example/cb");
        assertThat(scrubber.scrubText("grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA"))
                .isEqualTo("grant_type=authorization_code&code=" + r);
        String status = "status_code=200 error_code=E42 code=404";
        assertThat(scrubber.scrubText(status)).isSameAs(status);
        // Pre-signed URLs: S3 (v4 and v2), Google Cloud Storage, Azure SAS.
        String s3 = "https://bucket.s3.amazonaws.com/k.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=ASIAY34FZKBOKMUTVV7A%2F20261130%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20261130T110000Z&X-Amz-Expires=900&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr"
                + "&X-Amz-SignedHeaders=host&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
        String scrubbedS3 = scrubber.scrubText(s3);
        assertThat(scrubbedS3)
                .contains("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Date=20261130T110000Z", "X-Amz-SignedHeaders=host")
                .contains("X-Amz-Credential=" + r, "X-Amz-Security-Token=" + r, "X-Amz-Signature=" + r)
                .doesNotContain("ASIAY34FZKBOKMUTVV7A", "IQoJb3JpZ2luX2VjEJr", "fe5f80f77d5fa3");
        assertThat(
                        scrubber.scrubText(
                                "/k.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D"))
                .isEqualTo("/k.txt?AWSAccessKeyId=" + r + "&Expires=1&Signature=" + r);
        assertThat(scrubber.scrubText("/o?X-Goog-Signature=8a3f01&sv=2022-11-02&sig=Zm9vYmFy%3D"))
                .isEqualTo("/o?X-Goog-Signature=" + r + "&sv=2022-11-02&sig=" + r);
        // Keys and tokens under the bare names APIs take them by (Google's ?key=, Firebase's ?auth=), in a query only.
        assertThat(scrubber.scrubText("/v1/geocode?key=k7Qm2xR9pL4vT8wZ&keyword=cafe&AUTH=f1r3b4s3t0k3n;monkey=1"))
                .isEqualTo("/v1/geocode?key=" + r + "&keyword=cafe&AUTH=" + r + ";monkey=1");
        String notAQuery = "key=primary auth=ok author=jane";
        assertThat(scrubber.scrubText(notAQuery)).isSameAs(notAQuery);
    }

    /**
     * A query component (url.query, without its '?'): its first parameter is a parameter too. As free text, {@code
     * key=…} alone reads like a sentence's assignment and was kept, so {@code ?key=AIza…} reached the span whole.
     */
    @Test
    void aQueryComponentsFirstParameterIsScrubbedLikeTheOthers() {
        String r = Scrubber.REDACTED;
        assertThat(scrubber.scrubQuery("key=SECRETWWW")).isEqualTo("key=" + r);
        assertThat(scrubber.scrubQuery("KEY=SECRETWWW&page=2")).isEqualTo("KEY=" + r + "&page=2");
        assertThat(scrubber.scrubQuery("auth=SECRETXXX")).isEqualTo("auth=" + r);
        assertThat(scrubber.scrubQuery("Code=SECRETSSS")).isEqualTo("Code=" + r);
        assertThat(scrubber.scrubQuery("signature=SECRETQQQ")).isEqualTo("signature=" + r);
        assertThat(scrubber.scrubQuery("sig=Zm9vYmFy%3D&sv=1")).isEqualTo("sig=" + r + "&sv=1");
        assertThat(scrubber.scrubQuery("co%64e=SECRET6C")).doesNotContain("SECRET6C");
        assertThat(scrubber.scrubQuery("email=jane.doe%40example.com")).doesNotContain("jane.doe");
        // Nothing to change: the same instance, as scrubText answers.
        String plain = "page=2&keyword=cafe&status_code=200";
        assertThat(scrubber.scrubQuery(plain)).isSameAs(plain);
        assertThat(scrubber.scrubQuery("")).isEmpty();
        assertThat(scrubber.scrubQuery(null)).isNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "otp",
                "totp",
                "pin",
                "user.pin",
                "cardPin",
                "card_pin",
                "mfa_code",
                "otpCode",
                "verification-code",
                "sig",
                "signature",
                "X-Amz-Signature",
                "X-Amz-Credential",
                "X-Amz-Security-Token",
                "passphrase",
                "ssh_passphrase",
                "passcode",
                "id_token",
                "private_key",
                "aws_secret_access_key"
            })
    void redactsValuesOfCredentialKeys(String key) {
        assertThat(scrubber.scrubValue(key, "123456")).isEqualTo(Scrubber.REDACTED);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "status_code",
                "error_code",
                "code",
                "code.function",
                "zip_code",
                "spin",
                "shipping",
                "pinned",
                "footprint",
                "signature_algorithm",
                "pin_length",
                "otp.valid",
                "design"
            })
    void keepsKeysThatOnlyResembleCredentialNames(String key) {
        assertThat(scrubber.scrubValue(key, "E42")).isEqualTo("E42");
    }

    @Test
    void redactsAwsSecretsAndPrivateKeysInEveryForm() {
        String r = Scrubber.REDACTED;
        String secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assertThat(scrubber.scrubText("aws_access_key_id=AKIAIOSFODNN7EXAMPLE aws_secret_access_key=" + secret))
                .isEqualTo("aws_access_key_id=" + r + " aws_secret_access_key=" + r);
        assertThat(scrubber.scrubText("{\"AWS_SECRET_ACCESS_KEY\": \"" + secret + "\"}"))
                .isEqualTo("{\"AWS_SECRET_ACCESS_KEY\": \"" + r + "\"}");
        assertThat(scrubber.scrubText("key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                        + "-----END OPENSSH PRIVATE KEY----- loaded"))
                .isEqualTo("key: " + r + " loaded");
        assertThat(scrubber.scrubText(
                        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF4\n-----END PGP PRIVATE KEY BLOCK-----"))
                .isEqualTo(r);
        // Cut off by a length limit before its end line: redacted to the end of the value.
        assertThat(scrubber.scrubText("loaded -----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTAp"))
                .isEqualTo("loaded " + r);
        // A certificate is public.
        String cert = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----";
        assertThat(scrubber.scrubText(cert)).isSameAs(cert);
    }
}
