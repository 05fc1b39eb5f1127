package io.vigil.identity.internal;

import java.net.IDN;
import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The one normalisation of an email address: registration, creation and change by an administrator, login and every
 * lookup by email go through {@link #normalise}, so an address is the same account however it was typed. (Login used
 * to lower-case only: {@code x@xn--bcher-kva.example} or a decomposed {@code ü} did not find the account {@code
 * x@bücher.example} was registered as.)
 *
 * <p>The form stored and compared is:
 *
 * <ol>
 *   <li>NFKC of the whole address, lower-cased, NFKC again. The compatibility folding applies to the local part too,
 *       as PRECIS username preparation (RFC 8265, UsernameCaseMapped: width mapping, case mapping, normalisation)
 *       does: {@code ｍａｒｉｏ@example.com} (fullwidth, as a CJK input method types it) is {@code mario@example.com}, not
 *       a second account that looks like the first in every list, log and e-mail, and whoever types either form
 *       reaches the one account (with its password). Folding was chosen over refusing such addresses with a 422: a
 *       refusal at login would turn away the owner who typed the fullwidth form by accident, and an operator expects
 *       one person per visible address, which folding gives for registration, login and lookups alike. (RFC 6531
 *       leaves a UTF-8 local part to the receiving host; telling look-alikes apart is not what an identity service
 *       wants from it.)
 *   <li>Control, format, private-use, unassigned and space characters left after that are refused ({@link
 *       Outcome#INVALID_CHARACTERS}): two addresses that look the same must be the same address.
 *   <li>The domain as IDNA maps it, in its Unicode form ({@code xn--bcher-kva.example} and {@code ＢÜＣＨＥＲ.example}
 *       are {@code bücher.example}).
 *   <li>At most 254 characters, one {@code @}, no empty dot-separated part in either half ({@link
 *       Outcome#MALFORMED}).
 * </ol>
 *
 * Normalising a normalised address gives it back unchanged.
 */
public final class EmailAddress {
    private static final Pattern SHAPE =
            Pattern.compile("^[^@\\s\\p{Cntrl}]{1,64}@[^@\\s\\p{Cntrl}]+\\.[^@\\s\\p{Cntrl}]{2,}$");

    /** What became of an address. */
    public enum Outcome {
        OK,
        /** Invisible or space characters, or invalid Unicode: 400 {@code invalid-characters}. */
        INVALID_CHARACTERS,
        /** Not the shape of an address: 422. */
        MALFORMED
    }

    /** The normal form ({@code null} unless {@link Outcome#OK}). */
    public record Normalised(Outcome outcome, String value) {
        public boolean ok() {
            return outcome == Outcome.OK;
        }
    }

    private EmailAddress() {}

    /** Normalises {@code raw} (not null). */
    public static Normalised normalise(String raw) {
        if (!wellFormed(raw)) {
            return new Normalised(Outcome.INVALID_CHARACTERS, null);
        }
        String v = fold(raw);
        if (v.codePoints().anyMatch(cp -> invisible(cp) || Character.isSpaceChar(cp))) {
            return new Normalised(Outcome.INVALID_CHARACTERS, null);
        }
        v = mappedDomain(v);
        if (v == null || v.length() > 254 || !SHAPE.matcher(v).matches() || emptyDotPart(v)) {
            return new Normalised(Outcome.MALFORMED, null);
        }
        return new Normalised(Outcome.OK, v);
    }

    /**
     * The key to look {@code raw} up by: its normal form, or, when it is no address at all, its folded text, which no
     * stored (normalised) address equals. A lookup never fails on what was typed: login answers an unknown and a
     * malformed address alike.
     */
    public static String lookupKey(String raw) {
        Normalised n = normalise(raw);
        return n.ok() ? n.value() : fold(raw);
    }

    // NFKC, lower case, NFKC again: lower-casing can undo a normal form, so the second pass makes the result stable
    // (normalising a normalised address gives it back).
    private static String fold(String raw) {
        String v = Normalizer.normalize(raw, Normalizer.Form.NFKC).strip().toLowerCase(Locale.ROOT);
        return Normalizer.normalize(v, Normalizer.Form.NFKC);
    }

    /**
     * The address with its domain as IDNA maps it (fullwidth letters and the ideographic full stop to their ASCII
     * forms, compatibility characters to their canonical ones, labels of at most 63 octets), or {@code null} when the
     * domain is no domain name. {@code jane@ｅｘａｍｐｌｅ.com} was another account than {@code jane@example.com}, yet
     * mail to it is delivered to the same mailbox, the domain being resolved through that mapping.
     */
    private static String mappedDomain(String email) {
        int at = email.lastIndexOf('@');
        if (at <= 0 || at == email.length() - 1) {
            return null;
        }
        try {
            String ascii = IDN.toASCII(email.substring(at + 1), IDN.ALLOW_UNASSIGNED);
            return email.substring(0, at + 1)
                    + IDN.toUnicode(ascii, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Whether the local part or the domain has an empty dot-separated part: a leading, trailing or doubled dot. {@code
     * jane@example.com.} (a trailing dot) is another account than {@code jane@example.com} here, yet mail to it reaches
     * the same mailbox (the name is fully qualified): one mailbox held two accounts, and looked like the first one in
     * every list. RFC 5321 allows none of these in an address.
     */
    private static boolean emptyDotPart(String email) {
        int at = email.lastIndexOf('@');
        return emptyPart(email.substring(0, at)) || emptyPart(email.substring(at + 1));
    }

    private static boolean emptyPart(String dotted) {
        return dotted.startsWith(".") || dotted.endsWith(".") || dotted.contains("..");
    }

    /**
     * Whether {@code value} is well-formed UTF-16: JSON can carry an unpaired surrogate ({@code "\ud800"}), which no
     * encoding can store — it would be written as '?', and two different values would be stored alike. Every text
     * field's check ({@code Validation}) and the address's.
     */
    public static boolean wellFormed(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean invisible(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED,
                    Character.SURROGATE -> true;
            default -> false;
        };
    }
}
