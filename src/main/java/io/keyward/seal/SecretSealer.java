package io.keyward.seal;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import io.keyward.config.KeywardConfig;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Seals provider credentials at rest with AES-256-GCM under a root key that never enters the database. The
 * associated data names what the secret belongs to, so a sealed value copied onto another tenant key does not
 * open. Format: {@code "v2:" + key id + ":" + base64(nonce | ciphertext | tag)}, where the key id is a public
 * fingerprint of the root key; {@code "v1:" + base64(...)} (no key id, before root-key rotation existed) still opens.
 *
 * <p>Rotation without downtime (docs/how-to/rotate-the-seal-root-key.md): configure the new key as the root key and
 * the old one under {@code keyward.seal.previous-root-keys}; every replica then opens values sealed under either and
 * seals new ones under the new key; re-seal the stored values ({@code POST /v1/admin/seal:reseal}); when nothing is
 * sealed under the old key any more, remove it.
 *
 * <p>The root key comes from exactly one of {@code keyward.seal.root-key}, {@code root-key-file}, or
 * {@code kms.*} (held wrapped by the platform's KMS and unwrapped through the provider SPI at start-up, see
 * {@link KmsRoot}); with none of them it is generated in {@code <data-dir>/seal-root.key}.
 */
@Singleton
public class SecretSealer {
    private static final Logger LOG = Logger.getLogger(SecretSealer.class);
    static final String FILE = "seal-root.key";
    private static final String V1 = "v1:";
    private static final String V2 = "v2:";

    /** A root key: its public fingerprint and its AEAD. */
    private record RootKey(String id, Aead aead) {
    }

    private final RootKey current;
    /** The current root key's bytes, kept only to wrap it under a KMS key ({@link #wrapRootKey}). */
    private final byte[] currentRoot;
    private final Map<String, RootKey> previous = new LinkedHashMap<>();

    @jakarta.inject.Inject
    public SecretSealer(KeywardConfig config) {
        this(rootFromConfig(config), config.seal().previousRootKeys().orElse(List.of()));
    }

    SecretSealer(Optional<String> configuredRoot, Path dataDir) {
        this(configuredRoot, List.of(), dataDir);
    }

    SecretSealer(Optional<String> configuredRoot, List<String> previousRoots, Path dataDir) {
        this(configuredRoot.filter(s -> !s.isBlank()).map(s -> decodeRoot(s, "keyward.seal.root-key"))
                .orElseGet(() -> fileRoot(dataDir.resolve(FILE))), previousRoots);
    }

    /** A sealer whose root key is unwrapped by {@code provider} from a KMS source ({@code keyward.seal.kms.*}). */
    SecretSealer(KeyProvider provider, KmsRoot.Source source, List<String> previousRoots, KmsRoot.Sleeper sleeper) {
        this(KmsRoot.unwrap(provider, source, System::nanoTime, sleeper), previousRoots);
    }

    private SecretSealer(byte[] root, List<String> previousRoots) {
        this.currentRoot = root.clone();
        this.current = rootKey(root);
        for (String p : previousRoots) {
            if (p.isBlank()) {
                continue;
            }
            RootKey k = rootKey(decodeRoot(p, "keyward.seal.previous-root-keys"));
            if (!k.id().equals(current.id())) {
                previous.put(k.id(), k);
            }
        }
    }

    /**
     * {@code root-key}, {@code root-key-file} and {@code kms.*} name one key three ways; more than one is a mistake.
     * None of them: the generated key in {@code <data-dir>/seal-root.key}.
     */
    private static byte[] rootFromConfig(KeywardConfig config) {
        Optional<KmsRoot.Source> kms = KmsRoot.source(config.seal().kms());
        Optional<String> configured = root(config.seal().rootKey(), config.seal().rootKeyFile(), kms.isPresent());
        if (kms.isPresent()) {
            KmsRoot.Source source = kms.get();
            byte[] root = KmsRoot.unwrap(KmsRoot.provider(source.provider(), config), source, System::nanoTime,
                    d -> Thread.sleep(d.toMillis()));
            LOG.infof("seal root key unwrapped by %s", source);
            return root;
        }
        return configured.map(s -> decodeRoot(s, "keyward.seal.root-key"))
                .orElseGet(() -> fileRoot(Path.of(config.dataDir()).resolve(FILE)));
    }

    static Optional<String> root(Optional<String> rootKey, Optional<String> rootKeyFile) {
        return root(rootKey, rootKeyFile, false);
    }

    /** The configured plain root key, after checking that at most one root source is set. */
    static Optional<String> root(Optional<String> rootKey, Optional<String> rootKeyFile, boolean kms) {
        Optional<String> inline = rootKey.filter(s -> !s.isBlank());
        Optional<String> file = rootKeyFile.filter(s -> !s.isBlank());
        List<String> set = new ArrayList<>();
        inline.ifPresent(x -> set.add("keyward.seal.root-key"));
        file.ifPresent(x -> set.add("keyward.seal.root-key-file"));
        if (kms) {
            set.add("keyward.seal.kms.*");
        }
        if (set.size() > 1) {
            throw new IllegalStateException("set exactly one seal root key source (keyward.seal.root-key, "
                    + "keyward.seal.root-key-file or keyward.seal.kms.*), not " + String.join(" and ", set));
        }
        return file.map(f -> {
            try {
                return Files.readString(Path.of(f), StandardCharsets.US_ASCII).strip();
            } catch (IOException e) {
                throw new IllegalStateException("keyward.seal.root-key-file cannot be read: " + f);
            }
        }).or(() -> inline);
    }

    private static RootKey rootKey(byte[] root) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("keyward seal root key id".getBytes(StandardCharsets.US_ASCII));
            String id = HexFormat.of().formatHex(Arrays.copyOf(sha.digest(root), 8));
            return new RootKey(id, new AesGcmJce(root));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        } finally {
            Arrays.fill(root, (byte) 0);
        }
    }

    public String seal(byte[] secret, String boundTo) {
        try {
            return V2 + current.id() + ":" + Base64.getEncoder().encodeToString(current.aead().encrypt(secret, aad(boundTo)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed", e);
        }
    }

    /** @throws IllegalStateException if the value was not sealed for {@code boundTo} under a root key known here */
    public byte[] unseal(String sealed, String boundTo) {
        if (sealed != null && sealed.startsWith(V2)) {
            int colon = sealed.indexOf(':', V2.length());
            if (colon < 0) {
                throw new IllegalStateException("not a sealed value");
            }
            String id = sealed.substring(V2.length(), colon);
            RootKey key = id.equals(current.id()) ? current : previous.get(id);
            if (key == null) {
                throw new IllegalStateException("sealed under root key " + id + ", which is not configured here");
            }
            return open(key, sealed.substring(colon + 1), boundTo);
        }
        if (sealed == null || !sealed.startsWith(V1)) {
            throw new IllegalStateException("not a sealed value");
        }
        List<RootKey> candidates = new ArrayList<>(List.of(current));
        candidates.addAll(previous.values());
        for (RootKey k : candidates) {
            try {
                return open(k, sealed.substring(V1.length()), boundTo);
            } catch (IllegalStateException tryNext) {
                // a v1 value names no key: try each
            }
        }
        throw new IllegalStateException("sealed value does not open under this root key");
    }

    private static byte[] open(RootKey key, String b64, String boundTo) {
        try {
            return key.aead().decrypt(Base64.getDecoder().decode(b64), aad(boundTo));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("sealed value does not open under this root key");
        }
    }

    /** Whether {@code sealed} is already sealed under the current root key. */
    public boolean isCurrent(String sealed) {
        return sealed != null && sealed.startsWith(V2 + current.id() + ":");
    }

    /** The same secret sealed under the current root key. */
    public String reseal(String sealed, String boundTo) {
        byte[] plain = unseal(sealed, boundTo);
        try {
            return seal(plain, boundTo);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * The current root key wrapped under a KMS key, with the associated data {@value KmsRoot#AAD_TEXT}: the value
     * of {@code keyward.seal.kms.wrapped-root-key}. Unwrapped once more before it is returned, so a blob that
     * would not open at start-up is never handed out.
     *
     * @throws io.keyward.provider.ProviderException when the provider refuses either call
     */
    public byte[] wrapRootKey(KeyProvider provider, KeySpec spec) {
        byte[] copy = currentRoot.clone();
        byte[] back = null;
        try {
            byte[] wrapped = KmsRoot.WRAP.run(() -> provider.wrap(spec, copy, KmsRoot.AAD));
            back = KmsRoot.UNWRAP.run(() -> provider.unwrap(spec, wrapped, KmsRoot.AAD));
            if (!MessageDigest.isEqual(back, currentRoot)) {
                throw new KeyMisconfiguredException("the wrapped root key did not unwrap to the root key");
            }
            return wrapped;
        } finally {
            Arrays.fill(copy, (byte) 0);
            if (back != null) {
                Arrays.fill(back, (byte) 0);
            }
        }
    }

    /** The fingerprint of the current root key (public: it identifies, it does not reveal). */
    public String currentKeyId() {
        return current.id();
    }

    public List<String> previousKeyIds() {
        return List.copyOf(previous.keySet());
    }

    private static byte[] aad(String boundTo) {
        return ("keyward/v1 sealed secret|" + boundTo).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] decodeRoot(String b64, String property) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(b64.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(property + " is not base64");
        }
        if (key.length != 32) {
            throw new IllegalStateException(property + " must be 32 bytes (base64 of 32 random bytes)");
        }
        return key;
    }

    private static byte[] fileRoot(Path file) {
        try {
            if (Files.exists(file)) {
                return decodeRoot(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
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
