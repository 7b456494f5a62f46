package io.keyward.envelope;

/**
 * The bytes are not an envelope this codec can open: malformed, truncated, unknown version, a commitment that
 * does not match, or an AEAD tag that fails (tampered, wrong tenant, wrong context). Deliberately one type:
 * callers must not learn which check failed beyond a coarse, fixed message.
 */
public final class InvalidEnvelopeException extends Exception {
    public InvalidEnvelopeException(String message) {
        super(message, null, false, false);
    }
}
