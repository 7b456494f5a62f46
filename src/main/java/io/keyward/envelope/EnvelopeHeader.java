package io.keyward.envelope;

/**
 * The parsed, not yet authenticated header of a v1 envelope. Everything here is attacker-controlled until
 * {@link EnvelopeCodec#open} succeeds.
 *
 * @param keyId       the tenant key id that wrapped the DEK
 * @param wrappedDek  the provider's wrapped DEK bytes
 * @param commitment  the key commitment stored in the header
 * @param headerLength number of header bytes; the AEAD output starts there
 */
public record EnvelopeHeader(String keyId, byte[] wrappedDek, byte[] commitment, int headerLength) {
    @Override
    public String toString() {
        return "EnvelopeHeader[keyId=" + keyId + ", wrappedDek=" + wrappedDek.length + " bytes]";
    }
}
