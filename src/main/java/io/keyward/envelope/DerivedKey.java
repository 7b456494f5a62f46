package io.keyward.envelope;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.subtle.Hkdf;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * What a plaintext DEK becomes once keyward can use it: an AES-256-GCM primitive under a key derived with
 * HKDF-SHA256, and a 32-byte commitment derived from the same DEK with a different label. Derivation happens
 * once per DEK (not per message), so a cached DEK costs one AES-GCM operation per message.
 *
 * <p>The raw DEK and the derived AEAD key are zeroed as soon as the primitive is built; what remains is the
 * JCE key schedule inside Tink's primitive, which the JVM gives us no way to wipe (see docs/decisions).
 */
public final class DerivedKey {
    public static final int DEK_BYTES = 32;
    public static final int COMMITMENT_BYTES = 32;
    static final byte[] AEAD_KEY_LABEL = ascii("keyward/v1 aead key");
    static final byte[] COMMIT_KEY_LABEL = ascii("keyward/v1 commitment");

    private final Aead aead;
    private final byte[] commitment;

    private DerivedKey(Aead aead, byte[] commitment) {
        this.aead = aead;
        this.commitment = commitment;
    }

    /** Derives from a DEK. Does not modify or keep {@code dek}; the caller zeroes it. */
    public static DerivedKey derive(byte[] dek) {
        if (dek == null || dek.length != DEK_BYTES) {
            throw new IllegalArgumentException("a DEK is " + DEK_BYTES + " bytes");
        }
        byte[] aeadKey = null;
        try {
            aeadKey = Hkdf.computeHkdf("HMACSHA256", dek, new byte[0], AEAD_KEY_LABEL, 32);
            byte[] commitment = Hkdf.computeHkdf("HMACSHA256", dek, new byte[0], COMMIT_KEY_LABEL, COMMITMENT_BYTES);
            return new DerivedKey(new AesGcmJce(aeadKey), commitment);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF/AES-GCM unavailable in this JVM", e);
        } finally {
            if (aeadKey != null) {
                Arrays.fill(aeadKey, (byte) 0);
            }
        }
    }

    Aead aead() {
        return aead;
    }

    public byte[] commitment() {
        return commitment.clone();
    }

    boolean commitsTo(byte[] candidate) {
        // Constant time: the commitment is not secret, but there is no reason to leak where it differs.
        return MessageDigest.isEqual(commitment, candidate);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return "DerivedKey[redacted]";
    }
}
