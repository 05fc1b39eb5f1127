package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.identity.internal.EmailAddress;
import io.vigil.identity.internal.EmailAddress.Outcome;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The one normalisation of an email address ({@link EmailAddress}); over HTTP in {@link SecurityContractTest}. */
class EmailAddressTest {

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({
        "mario@example.com, mario@example.com",
        "Mario@Example.COM, mario@example.com",
        "'  mario@example.com ', mario@example.com",
        "\uff4d\uff41\uff52\uff49\uff4f@example.com, mario@example.com", // fullwidth local part
        "\uff2d\uff21\uff32\uff29\uff2f\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d,"
                + " mario@example.com", // everything fullwidth, @ and . too
        "\ufb01ona@example.com, fiona@example.com", // a ligature
        "x@b\u00fccher.example, x@b\u00fccher.example",
        "x@bu\u0308cher.example, x@b\u00fccher.example", // decomposed
        "x@xn--bcher-kva.example, x@b\u00fccher.example", // A-label
        "x@B\u00dcCHER.EXAMPLE, x@b\u00fccher.example",
        "jane@example\u3002com, jane@example.com", // ideographic full stop
        "jos\u00e9@example.com, jos\u00e9@example.com",
        "jose\u0301@example.com, jos\u00e9@example.com"
    })
    void foldsEveryFormOfAnAddressToOne(String typed, String normal) {
        EmailAddress.Normalised n = EmailAddress.normalise(typed);
        assertThat(n.outcome()).isEqualTo(Outcome.OK);
        assertThat(n.value()).isEqualTo(normal);
        assertThat(EmailAddress.lookupKey(typed)).isEqualTo(normal);
        // Normalising a normalised address gives it back: what is stored is found by itself.
        assertThat(EmailAddress.normalise(normal).value()).isEqualTo(normal);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "a\u202eb@example.com", // bidi override
                "zero\u200bwidth@example.com",
                "nb\u00a0sp@example.com", // NFKC makes it a space
                "ideo\u3000space@example.com",
                "bom\ufeff@example.com",
                "lone\ud800@example.com"
            })
    void invisibleCharactersAndInvalidUnicodeAreRefused(String typed) {
        assertThat(EmailAddress.normalise(typed).outcome()).isEqualTo(Outcome.INVALID_CHARACTERS);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "plain",
                "a@b",
                "a\uff20b@example.com", // a fullwidth @ folds to a second @
                ".a@example.com",
                "a..b@example.com",
                "a@example.com.",
                "a@-.example.com."
            })
    void whatIsNoAddressIsMalformedAndFindsNothing(String typed) {
        assertThat(EmailAddress.normalise(typed).outcome()).isEqualTo(Outcome.MALFORMED);
        assertThat(EmailAddress.lookupKey(typed)).isNotBlank();
    }
}
