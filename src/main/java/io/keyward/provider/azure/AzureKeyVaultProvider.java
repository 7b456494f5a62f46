package io.keyward.provider.azure;

import com.azure.security.keyvault.keys.cryptography.CryptographyAsyncClient;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.UnwrapResult;
import com.azure.security.keyvault.keys.cryptography.models.WrapResult;
import com.azure.security.keyvault.keys.models.KeyOperation;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Provider {@code azure-keyvault}: the tenant's key-encryption key is an RSA key in Azure Key Vault, or an RSA-HSM
 * or oct-HSM key in Managed HSM; keyward calls wrapKey and unwrapKey (RSA-OAEP-256, or A256KW for oct keys) through
 * the Azure SDK's {@link CryptographyAsyncClient}. Customer guide: docs/how-to/azure-keyvault.md.
 *
 * <p>wrap first reads the key ({@code GET /keys/{name}}): it learns the key type and current version, and sees a
 * disabled key, which Key Vault would otherwise still let wrap (wrapKey only needs the public half). unwrap is one
 * call, to the version recorded in the wrapped bytes ({@link KeyVaultWrappedKey}).
 *
 * <p>Every call is bounded by {@link ProviderSettings#deadline()} across all attempts, whatever the SDK's retries
 * are doing.
 */
public final class AzureKeyVaultProvider implements KeyProvider {
    public static final String ID = "azure-keyvault";
    private static final byte[] CHECK_AAD = "keyward/v1 key check".getBytes(StandardCharsets.US_ASCII);

    private final Duration deadline;
    private final AzureClients clients;
    private final SecureRandom random = new SecureRandom();

    public AzureKeyVaultProvider(ProviderSettings settings) {
        this.deadline = settings.deadline();
        this.clients = new AzureClients(settings);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Set<String> secretOptions() {
        return Set.of(AzureKeyOptions.CLIENT_SECRET);
    }

    @Override
    public KeySpec validate(String keyUri, Map<String, String> options) {
        AzureKeyId id = AzureKeyId.parse(keyUri);
        AzureKeyOptions o = AzureKeyOptions.parse(options, id);
        return new KeySpec(ID, id.id(), o.asMap());
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        return wrap(target(spec), dataKey, aad, System.nanoTime() + deadline.toNanos());
    }

    private byte[] wrap(Target t, byte[] dataKey, byte[] aad, long end) {
        KeyVaultKey key = await(client(t, t.id).getKey(), end, AzureErrors.Op.GET, t.id);
        String version = AzureKeyId.versionOf(key.getId());
        if (version == null) {
            throw new KeyMisconfiguredException("Key Vault returned no key version for key '" + t.id.name() + "'");
        }
        requireUsable(key, t);
        String alg = algorithm(key.getKeyType(), t);
        AzureKeyId versioned = t.id.withVersion(version);
        byte[] bound = KeyVaultWrappedKey.bind(aad, dataKey);
        try {
            WrapResult r = await(client(t, versioned).wrapKey(KeyWrapAlgorithm.fromString(alg), bound), end,
                    AzureErrors.Op.WRAP, versioned);
            return new KeyVaultWrappedKey(alg, version, r.getEncryptedKey()).encode();
        } finally {
            Arrays.fill(bound, (byte) 0);
        }
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        return unwrap(target(spec), wrapped, aad, System.nanoTime() + deadline.toNanos());
    }

    private byte[] unwrap(Target t, byte[] wrapped, byte[] aad, long end) {
        KeyVaultWrappedKey w = KeyVaultWrappedKey.decode(wrapped);
        if (t.id.version() != null && !t.id.version().equalsIgnoreCase(w.version())) {
            throw new WrappedKeyInvalidException("wrapped key names another version than key '" + t.id.name()
                    + "' is pinned to");
        }
        if (t.options.algorithm() != null && !t.options.algorithm().equals(w.algorithm())) {
            throw new WrappedKeyInvalidException("wrapped key names another algorithm than option 'algorithm'");
        }
        AzureKeyId versioned = t.id.withVersion(w.version());
        UnwrapResult r;
        try {
            r = await(client(t, versioned).unwrapKey(KeyWrapAlgorithm.fromString(w.algorithm()), w.ciphertext()),
                    end, AzureErrors.Op.UNWRAP, versioned);
        } catch (KeyRevokedException refused) {
            throw t.id.version() == null ? versionRefused(t, w.version(), refused, end) : refused;
        }
        return KeyVaultWrappedKey.open(aad, r.getKey());
    }

    /** A real round trip (read, wrap, unwrap a random probe), all within one deadline. */
    @Override
    public void check(KeySpec spec) {
        Target t = target(spec);
        long end = System.nanoTime() + deadline.toNanos();
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        byte[] back = unwrap(t, wrap(t, probe, CHECK_AAD, end), CHECK_AAD, end);
        boolean same = MessageDigest.isEqual(probe, back);
        Arrays.fill(probe, (byte) 0);
        Arrays.fill(back, (byte) 0);
        if (!same) {
            throw new KeyMisconfiguredException("key '" + t.id.name() + "' did not round-trip");
        }
    }

    /**
     * The version named inside a wrapped key was refused (403/404) while the tenant key is versionless. The bytes
     * come from a caller, so that alone must not revoke the tenant: only if the key's current version is refused
     * too is the key revoked; otherwise the wrapped key names a version that is unknown or was disabled on its
     * own, and it is reported as invalid.
     */
    private ProviderException versionRefused(Target t, String version, KeyRevokedException refused, long end) {
        KeyVaultKey current = await(client(t, t.id).getKey(), end, AzureErrors.Op.GET, t.id);
        requireUsable(current, t);
        if (version.equalsIgnoreCase(AzureKeyId.versionOf(current.getId()))) {
            return refused;
        }
        return new WrappedKeyInvalidException("wrapped key names version " + version + " of key '" + t.id.name()
                + "', which Key Vault refuses (unknown or disabled version); the key's current version is usable");
    }

    /** Key Vault lets a disabled key wrap (wrapKey needs only the public key), so keyward looks itself. */
    private static void requireUsable(KeyVaultKey key, Target t) {
        Boolean enabled = key.getProperties() == null ? null : key.getProperties().isEnabled();
        if (Boolean.FALSE.equals(enabled)) {
            throw new KeyRevokedException("key '" + t.id.name() + "' at " + t.id.host() + " is disabled");
        }
        List<KeyOperation> ops = key.getKeyOperations();
        if (ops != null && !ops.isEmpty()
                && (!ops.contains(KeyOperation.WRAP_KEY) || !ops.contains(KeyOperation.UNWRAP_KEY))) {
            throw new KeyRevokedException("key '" + t.id.name() + "' no longer permits wrapKey and unwrapKey");
        }
    }

    private static String algorithm(KeyType type, Target t) {
        String byType;
        if (KeyType.RSA.equals(type) || KeyType.RSA_HSM.equals(type)) {
            byType = KeyVaultWrappedKey.RSA_OAEP_256;
        } else if (KeyType.OCT.equals(type) || KeyType.OCT_HSM.equals(type)) {
            byType = KeyVaultWrappedKey.A256KW;
        } else {
            throw new KeyMisconfiguredException("key '" + t.id.name() + "' is of type " + type + ", which cannot wrap "
                    + "keys; use an RSA key (Key Vault) or an RSA-HSM or oct-HSM key (Managed HSM)");
        }
        String wanted = t.options.algorithm();
        if (wanted != null && !wanted.equals(byType)) {
            throw new KeyMisconfiguredException("option algorithm " + wanted + " does not fit key '" + t.id.name()
                    + "' of type " + type);
        }
        return byType;
    }

    private CryptographyAsyncClient client(Target t, AzureKeyId id) {
        return clients.crypto(id, t.options);
    }

    /** Waits for {@code call} until {@code endNanos} at the latest, and translates every failure. */
    private <T> T await(Mono<T> call, long endNanos, AzureErrors.Op op, AzureKeyId key) {
        long left = endNanos - System.nanoTime();
        if (left <= 0) {
            throw new KeyUnavailableException("Azure Key Vault did not answer within the " + deadline.toMillis()
                    + " ms deadline (key '" + key.name() + "')");
        }
        T result;
        try {
            result = call.timeout(Duration.ofNanos(left)).block();
        } catch (RuntimeException e) {
            throw AzureErrors.translate(e, op, key);
        }
        if (result == null) {
            throw new KeyUnavailableException("Azure Key Vault returned an empty answer for key '" + key.name() + "'");
        }
        return result;
    }

    private static Target target(KeySpec spec) {
        if (spec == null || !ID.equals(spec.provider())) {
            throw new KeyMisconfiguredException("not an azure-keyvault key");
        }
        AzureKeyId id = AzureKeyId.parse(spec.keyUri());
        return new Target(id, AzureKeyOptions.parse(spec.options(), id));
    }

    private record Target(AzureKeyId id, AzureKeyOptions options) {
    }
}
