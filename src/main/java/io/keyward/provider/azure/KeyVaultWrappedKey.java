package io.keyward.provider.azure;

import io.keyward.provider.WrappedKeyInvalidException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The bytes the {@code azure-keyvault} provider hands keyward as a wrapped DEK, and how keyward's associated data
 * is bound into them (docs/how-to/azure-keyvault.md, "What keyward stores").
 *
 * <p>Key Vault's wrapKey has no associated data, so the provider wraps {@code SHA-256(aad) || dek} and, after
 * unwrapKey, compares the first 32 bytes with {@code SHA-256(aad)} in constant time. RSA-OAEP and AES key wrap
 * (RFC 3394) are both non-malleable, so a ciphertext cannot be edited into one whose prefix matches other AAD.
 * Anyone holding the customer's key can undo this with the Key Vault REST API and a SHA-256, no keyward code.
 *
 * <pre>
 * 0x01 | alg (0x01 RSA-OAEP-256, 0x02 A256KW) | u8 n | key version (n ASCII bytes) | Key Vault wrapKey "value"
 * </pre>
 *
 * The key version is recorded because a versionless key id wraps under the key's current version, and unwrapKey
 * must name the version that wrapped.
 */
record KeyVaultWrappedKey(String algorithm, String version, byte[] ciphertext) {
    static final String RSA_OAEP_256 = "RSA-OAEP-256";
    static final String A256KW = "A256KW";
    static final int AAD_DIGEST_BYTES = 32;
    private static final byte FORMAT_1 = 0x01;
    private static final byte ALG_RSA_OAEP_256 = 0x01;
    private static final byte ALG_A256KW = 0x02;
    private static final int MAX_CIPHERTEXT = 2048;

    byte[] encode() {
        byte[] v = version.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[3 + v.length + ciphertext.length];
        out[0] = FORMAT_1;
        out[1] = RSA_OAEP_256.equals(algorithm) ? ALG_RSA_OAEP_256 : ALG_A256KW;
        out[2] = (byte) v.length;
        System.arraycopy(v, 0, out, 3, v.length);
        System.arraycopy(ciphertext, 0, out, 3 + v.length, ciphertext.length);
        return out;
    }

    static KeyVaultWrappedKey decode(byte[] wrapped) {
        if (wrapped == null || wrapped.length < 5 || wrapped[0] != FORMAT_1) {
            throw invalid("wrapped key is not in the azure-keyvault format");
        }
        String alg = switch (wrapped[1]) {
            case ALG_RSA_OAEP_256 -> RSA_OAEP_256;
            case ALG_A256KW -> A256KW;
            default -> throw invalid("wrapped key names an unknown algorithm");
        };
        int n = wrapped[2] & 0xff;
        if (n == 0 || n > 64 || wrapped.length < 3 + n + 1 || wrapped.length - 3 - n > MAX_CIPHERTEXT) {
            throw invalid("wrapped key is truncated or too long");
        }
        String version = new String(wrapped, 3, n, StandardCharsets.US_ASCII);
        if (!version.matches("[0-9A-Za-z]{1,64}")) {
            throw invalid("wrapped key names a malformed key version");
        }
        return new KeyVaultWrappedKey(alg, version, Arrays.copyOfRange(wrapped, 3 + n, wrapped.length));
    }

    /** {@code SHA-256(aad) || dek}: what is sent to wrapKey. The caller zeroes it. */
    static byte[] bind(byte[] aad, byte[] dek) {
        byte[] digest = sha256(aad);
        byte[] out = Arrays.copyOf(digest, AAD_DIGEST_BYTES + dek.length);
        System.arraycopy(dek, 0, out, AAD_DIGEST_BYTES, dek.length);
        return out;
    }

    /** Checks the AAD prefix of what unwrapKey returned and returns the DEK; zeroes {@code unwrapped}. */
    static byte[] open(byte[] aad, byte[] unwrapped) {
        try {
            if (unwrapped == null || unwrapped.length <= AAD_DIGEST_BYTES) {
                throw invalid("unwrapped key is too short to carry keyward's associated data");
            }
            byte[] expected = sha256(aad);
            byte[] prefix = Arrays.copyOf(unwrapped, AAD_DIGEST_BYTES);
            if (!MessageDigest.isEqual(expected, prefix)) {
                throw invalid("wrapped key was bound to other associated data");
            }
            return Arrays.copyOfRange(unwrapped, AAD_DIGEST_BYTES, unwrapped.length);
        } finally {
            if (unwrapped != null) {
                Arrays.fill(unwrapped, (byte) 0);
            }
        }
    }

    private static byte[] sha256(byte[] aad) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(aad == null ? new byte[0] : aad);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static WrappedKeyInvalidException invalid(String message) {
        return new WrappedKeyInvalidException(message);
    }

    @Override
    public String toString() {
        return "KeyVaultWrappedKey[alg=" + algorithm + ", version=" + version + ", " + ciphertext.length + " bytes]";
    }
}
