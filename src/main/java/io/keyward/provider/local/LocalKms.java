package io.keyward.provider.local;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A stand-in for a customer's KMS, so the whole story (revocation included) runs with no cloud account. Keys
 * are Tink AES-256-GCM keysets in files under {@code <data-dir>/local-kms}, one directory per key, never in
 * keyward's database: losing the database must not lose the keys, and the KMS stays a separate system.
 *
 * <p>Like a real KMS it only ever encrypts and decrypts on request; it has no channel to tell keyward that a
 * key changed state. The key files are stored unencrypted with owner-only permissions: this is a development
 * stand-in, not a place for production keys (docs/decisions/0004-local-provider.md).
 */
public final class LocalKms {
    public static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,62}$");
    private static final String KEYSET_FILE = "keyset.json";
    private static final String STATE_FILE = "state";

    private final Path root;
    private final ConcurrentHashMap<String, Entry> keys = new ConcurrentHashMap<>();

    private record Entry(LocalKey key, Aead aead) {
    }

    public LocalKms(Path root) {
        this.root = root;
        try {
            AeadConfig.register();
            Files.createDirectories(root);
            restrict(root, true);
            try (Stream<Path> dirs = Files.list(root)) {
                for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                    String name = dir.getFileName().toString();
                    if (NAME.matcher(name).matches()) {
                        load(name).ifPresent(e -> keys.put(name, e));
                    }
                }
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot open the local KMS directory " + root, e);
        }
    }

    /** Creates an enabled AES-256-GCM key. */
    public LocalKey create(String name) {
        requireName(name);
        synchronized (this) {
            if (keys.containsKey(name) || Files.exists(root.resolve(name))) {
                throw new IllegalStateException("exists");
            }
            try {
                KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
                Path dir = root.resolve(name);
                Files.createDirectory(dir);
                restrict(dir, true);
                writeAtomically(dir.resolve(KEYSET_FILE),
                        TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get()));
                Instant now = Instant.now();
                writeAtomically(dir.resolve(STATE_FILE), LocalKeyState.ENABLED + " " + now);
                LocalKey key = new LocalKey(name, LocalKeyState.ENABLED, now);
                keys.put(name, new Entry(key, handle.getPrimitive(RegistryConfiguration.get(), Aead.class)));
                return key;
            } catch (FileAlreadyExistsException e) {
                throw new IllegalStateException("exists");
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException("cannot create local key", e);
            }
        }
    }

    public List<LocalKey> list() {
        List<LocalKey> out = new ArrayList<>();
        keys.values().forEach(e -> out.add(e.key()));
        out.sort(java.util.Comparator.comparing(LocalKey::name));
        return out;
    }

    public Optional<LocalKey> find(String name) {
        Entry e = name == null ? null : keys.get(name);
        return e == null ? Optional.empty() : Optional.of(e.key());
    }

    public LocalKey disable(String name) {
        return transition(name, LocalKeyState.DISABLED);
    }

    public LocalKey enable(String name) {
        return transition(name, LocalKeyState.ENABLED);
    }

    /** Destroys the key material for good; data wrapped under it can never be unwrapped again. */
    public LocalKey destroy(String name) {
        return transition(name, LocalKeyState.DESTROYED);
    }

    private synchronized LocalKey transition(String name, LocalKeyState to) {
        Entry e = keys.get(name);
        if (e == null) {
            throw new java.util.NoSuchElementException(name);
        }
        LocalKeyState from = e.key().state();
        if (from == LocalKeyState.DESTROYED && to != LocalKeyState.DESTROYED) {
            throw new IllegalStateException("key is destroyed");
        }
        Path dir = root.resolve(name);
        try {
            if (to == LocalKeyState.DESTROYED) {
                Files.deleteIfExists(dir.resolve(KEYSET_FILE));
            }
            writeAtomically(dir.resolve(STATE_FILE), to + " " + e.key().createdAt());
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot update local key state", ex);
        }
        LocalKey key = new LocalKey(name, to, e.key().createdAt());
        keys.put(name, new Entry(key, to == LocalKeyState.DESTROYED ? null : e.aead()));
        return key;
    }

    /** Encrypts under the named key if it is enabled. */
    byte[] encrypt(String name, byte[] plaintext, byte[] aad) throws GeneralSecurityException {
        return usable(name).encrypt(plaintext, aad);
    }

    byte[] decrypt(String name, byte[] ciphertext, byte[] aad) throws GeneralSecurityException {
        return usable(name).decrypt(ciphertext, aad);
    }

    private Aead usable(String name) {
        Entry e = keys.get(name);
        if (e == null) {
            throw new LocalKeyStateException("local key '" + name + "' was not found");
        }
        if (e.key().state() != LocalKeyState.ENABLED) {
            throw new LocalKeyStateException("local key '" + name + "' is " + e.key().state().name().toLowerCase());
        }
        return e.aead();
    }

    private Optional<Entry> load(String name) throws IOException, GeneralSecurityException {
        Path dir = root.resolve(name);
        Path stateFile = dir.resolve(STATE_FILE);
        if (!Files.exists(stateFile)) {
            return Optional.empty();
        }
        String[] parts = Files.readString(stateFile, StandardCharsets.US_ASCII).trim().split(" ", 2);
        LocalKeyState state = LocalKeyState.valueOf(parts[0]);
        Instant created = parts.length > 1 ? Instant.parse(parts[1]) : Instant.EPOCH;
        Aead aead = null;
        if (state != LocalKeyState.DESTROYED) {
            KeysetHandle handle = TinkJsonProtoKeysetFormat.parseKeyset(
                    Files.readString(dir.resolve(KEYSET_FILE), StandardCharsets.UTF_8), InsecureSecretKeyAccess.get());
            aead = handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
        }
        return Optional.of(new Entry(new LocalKey(name, state, created), aead));
    }

    private static void requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "key name must match " + NAME.pattern() + " (lowercase letters, digits, '-' and '_')");
        }
    }

    private static void writeAtomically(Path target, String content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        restrict(tmp, false);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void restrict(Path p, boolean dir) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(dir ? "rwx------" : "rw-------"));
        } catch (UnsupportedOperationException | IOException ignored) {
            // Non-POSIX file systems (Windows): rely on the data directory's own ACL.
        }
    }
}
