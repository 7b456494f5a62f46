package io.keyward.seal;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import io.keyward.config.KeywardConfig;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Seals provider credentials at rest with AES-256-GCM under a root key that never enters the database. The
 * associated data names what the secret belongs to, so a sealed value copied onto another tenant key does not
 * open. Format: {@code "v1:" + base64(nonce | ciphertext | tag)}.
 */
@Singleton
public class SecretSealer {
    private static final Logger LOG = Logger.getLogger(SecretSealer.class);
    static final String FILE = "seal-root.key";
    private static final String PREFIX = "v1:";

    private final Aead aead;

    @jakarta.inject.Inject
    public SecretSealer(KeywardConfig config) {
        this(config.seal().rootKey(), Path.of(config.dataDir()));
    }

    SecretSealer(java.util.Optional<String> configuredRoot, Path dataDir) {
        byte[] root = configuredRoot.filter(s -> !s.isBlank()).map(SecretSealer::decodeRoot)
                .orElseGet(() -> fileRoot(dataDir.resolve(FILE)));
        try {
            this.aead = new AesGcmJce(root);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        } finally {
            Arrays.fill(root, (byte) 0);
        }
    }

    public String seal(byte[] secret, String boundTo) {
        try {
            return PREFIX + Base64.getEncoder().encodeToString(aead.encrypt(secret, aad(boundTo)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed", e);
        }
    }

    /** @throws IllegalStateException if the value was not sealed here for {@code boundTo} */
    public byte[] unseal(String sealed, String boundTo) {
        if (sealed == null || !sealed.startsWith(PREFIX)) {
            throw new IllegalStateException("not a sealed value");
        }
        try {
            return aead.decrypt(Base64.getDecoder().decode(sealed.substring(PREFIX.length())), aad(boundTo));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("sealed value does not open under this root key");
        }
    }

    private static byte[] aad(String boundTo) {
        return ("keyward/v1 sealed secret|" + boundTo).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] decodeRoot(String b64) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(b64.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("keyward.seal.root-key is not base64");
        }
        if (key.length != 32) {
            throw new IllegalStateException("keyward.seal.root-key must be 32 bytes (base64 of 32 random bytes)");
        }
        return key;
    }

    private static byte[] fileRoot(Path file) {
        try {
            if (Files.exists(file)) {
                return decodeRoot(Files.readString(file, StandardCharsets.US_ASCII));
            }
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.createFile(file);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Non-POSIX file system: the data directory's ACL applies.
            }
            Files.writeString(file, Base64.getEncoder().encodeToString(key), StandardCharsets.US_ASCII);
            LOG.infof("generated a seal root key in %s; replicas of one deployment must share it "
                    + "(keyward.seal.root-key)", file.toAbsolutePath());
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the seal root key " + file, e);
        }
    }
}
