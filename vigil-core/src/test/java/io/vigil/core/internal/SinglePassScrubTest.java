package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.ScrubRule;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The one-scan classification ({@link DefaultScrubRules#candidates}) leaves out only rules that
 * could not have changed the text: on random text built from the rules' trigger fragments, {@link
 * DefaultScrubRules#apply} gives exactly what running every default rule in order gives.
 */
class SinglePassScrubTest {
    private static final String[] FRAGMENTS = {
        "a",
        "Z",
        "0",
        "7",
        " ",
        "-",
        "--",
        "=",
        ":",
        "@",
        "%",
        "+",
        ".",
        "\"",
        "'",
        "&",
        "\n",
        "bearer ",
        "Basic ",
        "DIGEST ",
        "eyJhbGciOi",
        ".eyJzdWIiOi",
        ".sig_Nature1",
        "password",
        "PWD",
        "Secret",
        "tOken",
        "api_key",
        "Auth",
        "cookie",
        "Credential",
        "to\u212Aen",
        "PRIVATE KEY-----",
        "-----BEGIN ",
        "-----END RSA PRIVATE KEY-----",
        "mario@mushroom.example",
        "mário@cogumelo.pt",
        "4111 1111 1111 1111",
        "4111111111111111",
        "123-45-6789",
        "AB 12 34 56 C",
        "QQ123456A",
        "550e8400-e29b-41d4-a716-446655440000",
        "0af7651916cd43dd8448eb211c80319c",
        "token.type",
        "_ttl",
        "ß",
        "é",
        "\u00c5",
        // vendor token prefixes and bodies long enough to make whole tokens out of two or three of them
        "ghp_",
        "gho",
        "github_pat_",
        "glpat-",
        "sk_live_",
        "rk_test_",
        "pk_live_",
        "sk-",
        "xoxb-",
        "xox",
        "AKIA",
        "ASIA",
        "AIza",
        "npm_",
        "_",
        "A1b2C3d4E5f6G7h8I9j0",
        "IOSFODNN7EXAMPLE",
        "abcdefghijklmnop",
        // credential parameters
        "otp",
        "PIN",
        "code",
        "?code=",
        "&sig=",
        "X-Amz-Signature=",
        "&key=",
        "?Auth=",
        "&keyword=",
        "status_code",
        "passphrase",
        "-----BEGIN PGP ",
        "PRIVATE KEY BLOCK-----"
    };

    @Test
    void runsExactlyWhatEveryRuleInOrderWouldChange() {
        List<ScrubRule> rules = DefaultScrubRules.all();
        Random random = new Random(2017);
        for (int n = 0; n < 50_000; n++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + random.nextInt(12);
            for (int i = 0; i < parts; i++) {
                sb.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
            }
            String text = sb.toString();
            String expected = text;
            for (ScrubRule rule : rules) {
                String next = rule.apply(expected);
                if (next != expected && expected == text) {
                    // A rule that changes the original text must be among its candidates.
                    assertThat(DefaultScrubRules.candidates(text) & (1 << rules.indexOf(rule)))
                            .as("rule %d on %s", rules.indexOf(rule), text)
                            .isNotZero();
                }
                expected = next;
            }
            String actual = DefaultScrubRules.apply(text);
            assertThat(actual).as(text).isEqualTo(expected);
            if (expected.equals(text)) {
                assertThat(actual).as(text).isSameAs(text);
            }
            boolean encoded = text.indexOf('%') >= 0 || text.indexOf('+') >= 0;
            assertThat((DefaultScrubRules.candidates(text) & DefaultScrubRules.ENCODED) != 0)
                    .as(text)
                    .isEqualTo(encoded);
        }
    }

    @Test
    void commonValuesAreNoCandidateForAnyRule() {
        // A UUID's "a716-446655440000" is a 15-digit run the card pattern matches; the scan checks
        // Luhn on it where the run ends, so it is no card candidate either.
        for (String value : new String[] {
            "550e8400-e29b-41d4-a716-446655440000",
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            "/api/v1/auth/login",
            "10.1.2.3",
            "POST /api/v1/auth/login completed in 42 ms",
            "authentication",
            "GET /api/v1/users/{id} 200",
            "status_code=200",
            "error_code=E42 signature_algorithm=SHA256withRSA",
            "user_id=42 order_id=17",
            "pk_live_51H8abcdEFGHijklMNOPqrst"
        }) {
            assertThat(DefaultScrubRules.candidates(value) & ~DefaultScrubRules.ENCODED)
                    .as(value)
                    .isZero();
        }
    }
}
