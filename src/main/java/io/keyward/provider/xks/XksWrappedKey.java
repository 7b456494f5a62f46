package io.keyward.provider.xks;

import io.keyward.provider.WrappedKeyInvalidException;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The output of an XKS {@code encrypt}, as keyward stores it in an envelope. The XKS API returns the AES-GCM
 * pieces separately (XKS proxy API, "Encrypt": {@code initializationVector} of 12 or 16 bytes, {@code
 * authenticationTag} of 16 bytes, {@code ciphertext} as long as the plaintext, optional {@code ciphertextMetadata} of
 * at most 20 bytes) and {@code decrypt} wants them back the same way, so keyward packs them into one byte string:
 *
 * <pre>
 * offset  size      field
 * 0       1         format version, 0x01
 * 1       1         n = IV length, 12 or 16
 * 2       n         initializationVector
 * 2+n     1         m = ciphertextMetadata length, 0..20 (0: the proxy returned none)
 * 3+n     m         ciphertextMetadata
 * 3+n+m   16        authenticationTag
 * 19+n+m  rest      ciphertext, 1..4300 bytes
 * </pre>
 *
 * A customer holding the key can recover a data key without keyward: split these fields and call the proxy's
 * {@code decrypt} with keyward's associated data (docs/how-to/xks-proxy.md).
 */
record XksWrappedKey(byte[] iv, byte[] metadata, byte[] tag, byte[] ciphertext) {
    static final byte VERSION = 1;
    static final int TAG_LENGTH = 16;
    static final int MAX_METADATA = 20;
    /** The spec's minimum a proxy must accept for encrypt and decrypt. */
    static final int MAX_CIPHERTEXT = 4300;

    XksWrappedKey {
        if (iv == null || (iv.length != 12 && iv.length != 16)) {
            throw new IllegalArgumentException("initializationVector must be 12 or 16 bytes");
        }
        metadata = metadata == null ? new byte[0] : metadata;
        if (metadata.length > MAX_METADATA) {
            throw new IllegalArgumentException("ciphertextMetadata must be at most 20 bytes");
        }
        if (tag == null || tag.length != TAG_LENGTH) {
            throw new IllegalArgumentException("authenticationTag must be 16 bytes");
        }
        if (ciphertext == null || ciphertext.length == 0 || ciphertext.length > MAX_CIPHERTEXT) {
            throw new IllegalArgumentException("ciphertext must be 1 to 4300 bytes");
        }
    }

    byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(3 + iv.length + metadata.length + TAG_LENGTH
                + ciphertext.length);
        out.write(VERSION);
        out.write(iv.length);
        out.writeBytes(iv);
        out.write(metadata.length);
        out.writeBytes(metadata);
        out.writeBytes(tag);
        out.writeBytes(ciphertext);
        return out.toByteArray();
    }

    /** Parses without trusting: any deviation is an invalid wrapped key, never a key problem. */
    static XksWrappedKey decode(byte[] b, String keyUri) {
        WrappedKeyInvalidException invalid = new WrappedKeyInvalidException(
                "wrapped key is not an XKS wrapped key (format 1) for " + keyUri);
        if (b == null || b.length < 2 || b[0] != VERSION) {
            throw invalid;
        }
        int n = b[1] & 0xff;
        if ((n != 12 && n != 16) || b.length < 3 + n) {
            throw invalid;
        }
        int m = b[2 + n] & 0xff;
        int header = 3 + n + m + TAG_LENGTH;
        if (m > MAX_METADATA || b.length <= header || b.length - header > MAX_CIPHERTEXT) {
            throw invalid;
        }
        return new XksWrappedKey(Arrays.copyOfRange(b, 2, 2 + n), Arrays.copyOfRange(b, 3 + n, 3 + n + m),
                Arrays.copyOfRange(b, 3 + n + m, header), Arrays.copyOfRange(b, header, b.length));
    }
}
