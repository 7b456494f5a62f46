package io.keyward.testing.azure;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The keys of the test vault, with real key material and real Key Vault states: per-version {@code enabled}
 * attribute, soft delete, and keyward's access (an RBAC assignment at key scope) granted or removed.
 *
 * <p>Crypto is what Key Vault does: RSA-OAEP-256 is RSAES-OAEP with SHA-256 and MGF1-SHA-256 (JWA, RFC 7518 §4.3);
 * A256KW is AES key wrap (RFC 3394).
 */
final class VaultKeys {
    enum Type {
        RSA("RSA"), OCT_HSM("oct-HSM");

        final String kty;

        Type(String kty) {
            this.kty = kty;
        }
    }

    static final class Version {
        final String id;
        final KeyPair rsa;
        final byte[] aes;
        final long created = System.currentTimeMillis() / 1000;
        volatile boolean enabled = true;

        Version(String id, KeyPair rsa, byte[] aes) {
            this.id = id;
            this.rsa = rsa;
            this.aes = aes;
        }
    }

    static final class Key {
        final String name;
        final Type type;
        final List<Version> versions = new CopyOnWriteArrayList<>();
        volatile boolean deleted;
        volatile boolean accessDenied;

        Key(String name, Type type) {
            this.name = name;
            this.type = type;
        }

        Version latest() {
            return versions.get(versions.size() - 1);
        }

        Version version(String id) {
            if (id == null) {
                return latest();
            }
            return versions.stream().filter(v -> v.id.equalsIgnoreCase(id)).findFirst().orElse(null);
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final OAEPParameterSpec OAEP_256 = new OAEPParameterSpec("SHA-256", "MGF1",
            MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
    private final Map<String, Key> keys = new ConcurrentHashMap<>();

    Key create(String name, Type type) {
        Key k = new Key(name, type);
        k.versions.add(newVersion(type));
        if (keys.putIfAbsent(name, k) != null) {
            throw new IllegalArgumentException("key exists: " + name);
        }
        return k;
    }

    Version rotate(String name) {
        Key k = require(name);
        Version v = newVersion(k.type);
        k.versions.add(v);
        return v;
    }

    Key find(String name) {
        return keys.get(name);
    }

    Key require(String name) {
        Key k = keys.get(name);
        if (k == null) {
            throw new IllegalArgumentException("no key " + name);
        }
        return k;
    }

    private static Version newVersion(Type type) {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String version = HexFormat.of().formatHex(id);
        if (type == Type.RSA) {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048, RANDOM);
                return new Version(version, g.generateKeyPair(), null);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        byte[] aes = new byte[32];
        RANDOM.nextBytes(aes);
        return new Version(version, null, aes);
    }

    static byte[] wrap(Version v, String alg, byte[] plaintext) throws GeneralSecurityException {
        if ("RSA-OAEP-256".equals(alg) && v.rsa != null) {
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
            c.init(Cipher.ENCRYPT_MODE, v.rsa.getPublic(), OAEP_256);
            return c.doFinal(plaintext);
        }
        if ("A256KW".equals(alg) && v.aes != null) {
            Cipher c = Cipher.getInstance("AES/KW/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(v.aes, "AES"));
            return c.doFinal(plaintext);
        }
        throw new UnsupportedOperationException(alg);
    }

    static byte[] unwrap(Version v, String alg, byte[] ciphertext) throws GeneralSecurityException {
        if ("RSA-OAEP-256".equals(alg) && v.rsa != null) {
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
            c.init(Cipher.DECRYPT_MODE, v.rsa.getPrivate(), OAEP_256);
            return c.doFinal(ciphertext);
        }
        if ("A256KW".equals(alg) && v.aes != null) {
            Cipher c = Cipher.getInstance("AES/KW/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(v.aes, "AES"));
            return c.doFinal(ciphertext);
        }
        throw new UnsupportedOperationException(alg);
    }

    static boolean algorithmFits(Type type, String alg) {
        // Key Vault offers more (RSA-OAEP, RSA1_5, A128KW...); the test vault implements what keyward uses.
        return type == Type.RSA ? "RSA-OAEP-256".equals(alg) : "A256KW".equals(alg);
    }
}
