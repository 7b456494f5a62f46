package io.keyward.envelope;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The {@code wrappedKey} returned by the datakey API: {@code "KD" | version 0x01 | u8 keyIdLen | keyId |
 * providerWrapped}. The caller stores it and later asks keyward to unwrap it. The provider's wrap AAD
 * ({@link #wrapAad}) binds tenant, tenant key and the caller's context, so the blob only unwraps for the same
 * tenant and context.
 */
public record WrappedDataKey(String keyId, byte[] providerWrapped) {
    static final byte[] MAGIC = {'K', 'D'};

    public WrappedDataKey {
        EnvelopeCodec.requireKeyId(keyId);
        if (providerWrapped == null || providerWrapped.length == 0
                || providerWrapped.length > EnvelopeCodec.MAX_WRAPPED_BYTES) {
            throw new IllegalArgumentException("provider-wrapped key must be 1.." + EnvelopeCodec.MAX_WRAPPED_BYTES
                    + " bytes");
        }
    }
    static final byte VERSION_1 = 0x01;
    private static final byte[] LABEL = "keyward/v1 datakey".getBytes(StandardCharsets.US_ASCII);

    public byte[] encode() {
        byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream(4 + id.length + providerWrapped.length);
        out.writeBytes(MAGIC);
        out.write(VERSION_1);
        out.write(id.length);
        out.writeBytes(id);
        out.writeBytes(providerWrapped);
        return out.toByteArray();
    }

    public static WrappedDataKey decode(byte[] blob) throws InvalidEnvelopeException {
        if (blob == null || blob.length < 5 || blob[0] != MAGIC[0] || blob[1] != MAGIC[1]) {
            throw new InvalidEnvelopeException("not a keyward wrapped data key");
        }
        if (blob[2] != VERSION_1) {
            throw new InvalidEnvelopeException("unsupported wrapped data key version");
        }
        int len = blob[3] & 0xff;
        if (len == 0 || len > EnvelopeCodec.MAX_KEY_ID_BYTES || blob.length <= 4 + len
                || blob.length - 4 - len > EnvelopeCodec.MAX_WRAPPED_BYTES) {
            throw new InvalidEnvelopeException("malformed wrapped data key");
        }
        for (int i = 4; i < 4 + len; i++) {
            if (blob[i] < 0x21 || blob[i] > 0x7e) {
                throw new InvalidEnvelopeException("malformed wrapped data key");
            }
        }
        String keyId = new String(blob, 4, len, StandardCharsets.US_ASCII);
        return new WrappedDataKey(keyId, Arrays.copyOfRange(blob, 4 + len, blob.length));
    }

    /** Provider wrap AAD for a data key handed to a caller. */
    public static byte[] wrapAad(String tenantId, String keyId, EncryptionContext context) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.writeBytes(LABEL);
        EnvelopeCodec.writeShortString(out, tenantId);
        EnvelopeCodec.writeShortString(out, keyId);
        out.writeBytes(context.canonicalBytes());
        return out.toByteArray();
    }

    @Override
    public String toString() {
        return "WrappedDataKey[keyId=" + keyId + ", " + providerWrapped.length + " bytes]";
    }
}
