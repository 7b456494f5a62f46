package io.keyward.envelope;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Envelope format v1 (docs/reference/envelope-format.md):
 *
 * <pre>
 * magic "KW" | version 0x01 | suite 0x01 | u8 keyIdLen | keyId | u16 wrappedLen | wrappedDek | commitment[32]
 * | nonce[12] | ciphertext | tag[16]
 * </pre>
 *
 * The AEAD's associated data is {@code "keyward/v1 envelope" | u8 tenantLen | tenant | u16 headerLen | header |
 * canonical context}, so the envelope only opens for the tenant and context it was sealed for, and nothing in
 * the header can be changed. The DEK's wrap AAD ({@link #dekWrapAad}) binds tenant and tenant key id as well.
 *
 * <p>Stateless and thread-safe.
 */
public final class EnvelopeCodec {
    public static final byte VERSION_1 = 0x01;
    /** AES-256-GCM, key and commitment derived from the DEK with HKDF-SHA256. */
    public static final byte SUITE_AES256GCM_HKDF_COMMIT = 0x01;
    public static final int MAX_KEY_ID_BYTES = 64;
    public static final int MAX_WRAPPED_BYTES = 8192;
    static final byte[] MAGIC = {'K', 'W'};
    static final int NONCE_BYTES = 12;
    static final int TAG_BYTES = 16;
    private static final byte[] ENVELOPE_AAD_LABEL = "keyward/v1 envelope".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEK_WRAP_LABEL = "keyward/v1 dek".getBytes(StandardCharsets.US_ASCII);

    /** Seals {@code plaintext}. */
    public byte[] seal(String tenantId, String keyId, byte[] wrappedDek, DerivedKey key, byte[] plaintext,
            EncryptionContext context) {
        byte[] header = header(keyId, wrappedDek, key.commitment());
        try {
            byte[] body = key.aead().encrypt(plaintext, aad(tenantId, header, context));
            byte[] out = Arrays.copyOf(header, header.length + body.length);
            System.arraycopy(body, 0, out, header.length, body.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM seal failed", e);
        }
    }

    /** Reads the header without authenticating it, to find the tenant key and the wrapped DEK. */
    public EnvelopeHeader parseHeader(byte[] envelope) throws InvalidEnvelopeException {
        if (envelope == null || envelope.length < 5) {
            throw malformed();
        }
        if (envelope[0] != MAGIC[0] || envelope[1] != MAGIC[1]) {
            throw new InvalidEnvelopeException("not a keyward envelope");
        }
        if (envelope[2] != VERSION_1) {
            throw new InvalidEnvelopeException("unsupported envelope version");
        }
        if (envelope[3] != SUITE_AES256GCM_HKDF_COMMIT) {
            throw new InvalidEnvelopeException("unsupported envelope suite");
        }
        int pos = 4;
        int keyIdLen = envelope[pos++] & 0xff;
        if (keyIdLen == 0 || keyIdLen > MAX_KEY_ID_BYTES || envelope.length < pos + keyIdLen + 2) {
            throw malformed();
        }
        String keyId = new String(envelope, pos, keyIdLen, StandardCharsets.US_ASCII);
        if (!isPrintableAscii(envelope, pos, keyIdLen)) {
            throw malformed();
        }
        pos += keyIdLen;
        int wrappedLen = ((envelope[pos] & 0xff) << 8) | (envelope[pos + 1] & 0xff);
        pos += 2;
        if (wrappedLen == 0 || wrappedLen > MAX_WRAPPED_BYTES) {
            throw malformed();
        }
        long minTotal = (long) pos + wrappedLen + DerivedKey.COMMITMENT_BYTES + NONCE_BYTES + TAG_BYTES;
        if (envelope.length < minTotal) {
            throw malformed();
        }
        byte[] wrapped = Arrays.copyOfRange(envelope, pos, pos + wrappedLen);
        pos += wrappedLen;
        byte[] commitment = Arrays.copyOfRange(envelope, pos, pos + DerivedKey.COMMITMENT_BYTES);
        pos += DerivedKey.COMMITMENT_BYTES;
        return new EnvelopeHeader(keyId, wrapped, commitment, pos);
    }

    /**
     * Opens an envelope with the DEK its header names. Checks the key commitment first, then the AEAD tag
     * over tenant, header and context.
     */
    public byte[] open(String tenantId, byte[] envelope, EnvelopeHeader header, DerivedKey key,
            EncryptionContext context) throws InvalidEnvelopeException {
        if (!key.commitsTo(header.commitment())) {
            throw new InvalidEnvelopeException("ciphertext could not be authenticated");
        }
        byte[] headerBytes = Arrays.copyOfRange(envelope, 0, header.headerLength());
        byte[] body = Arrays.copyOfRange(envelope, header.headerLength(), envelope.length);
        try {
            return key.aead().decrypt(body, aad(tenantId, headerBytes, context));
        } catch (GeneralSecurityException e) {
            throw new InvalidEnvelopeException("ciphertext could not be authenticated");
        }
    }

    /**
     * The associated data given to the provider when it wraps an envelope DEK: binds the DEK to one tenant and
     * one tenant key, so a wrapped DEK lifted into another tenant's envelope does not unwrap.
     */
    public static byte[] dekWrapAad(String tenantId, String keyId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.writeBytes(DEK_WRAP_LABEL);
        writeShortString(out, tenantId);
        writeShortString(out, keyId);
        return out.toByteArray();
    }

    /** The bytes an envelope's header would have; exposed for the format documentation and vectors. */
    static byte[] header(String keyId, byte[] wrappedDek, byte[] commitment) {
        byte[] id = requireKeyId(keyId);
        if (commitment.length != DerivedKey.COMMITMENT_BYTES) {
            throw new IllegalArgumentException("commitment must be " + DerivedKey.COMMITMENT_BYTES + " bytes");
        }
        if (wrappedDek.length == 0 || wrappedDek.length > MAX_WRAPPED_BYTES) {
            throw new IllegalArgumentException("wrapped DEK must be 1.." + MAX_WRAPPED_BYTES + " bytes");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 + id.length + wrappedDek.length + 32);
        out.writeBytes(MAGIC);
        out.write(VERSION_1);
        out.write(SUITE_AES256GCM_HKDF_COMMIT);
        out.write(id.length);
        out.writeBytes(id);
        out.write((wrappedDek.length >>> 8) & 0xff);
        out.write(wrappedDek.length & 0xff);
        out.writeBytes(wrappedDek);
        out.writeBytes(commitment);
        return out.toByteArray();
    }

    static byte[] aad(String tenantId, byte[] header, EncryptionContext context) {
        byte[] ctx = context.canonicalBytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream(ENVELOPE_AAD_LABEL.length + 3 + header.length
                + ctx.length + 64);
        out.writeBytes(ENVELOPE_AAD_LABEL);
        writeShortString(out, tenantId);
        out.write((header.length >>> 8) & 0xff);
        out.write(header.length & 0xff);
        out.writeBytes(header);
        out.writeBytes(ctx);
        return out.toByteArray();
    }

    /**
     * Key ids are written as 1..64 printable ASCII bytes, exactly what {@link #parseHeader} accepts: refusing
     * anything else at seal time means no envelope is ever written that could not be read back.
     */
    static byte[] requireKeyId(String keyId) {
        if (keyId == null || keyId.isEmpty() || keyId.length() > MAX_KEY_ID_BYTES
                || !keyId.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw new IllegalArgumentException("key id must be 1.." + MAX_KEY_ID_BYTES + " printable ASCII characters");
        }
        return keyId.getBytes(StandardCharsets.US_ASCII);
    }

    static void writeShortString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 255) {
            throw new IllegalArgumentException("identifier longer than 255 bytes");
        }
        out.write(b.length);
        out.writeBytes(b);
    }

    private static boolean isPrintableAscii(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] < 0x21 || b[i] > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static InvalidEnvelopeException malformed() {
        return new InvalidEnvelopeException("malformed envelope");
    }
}
