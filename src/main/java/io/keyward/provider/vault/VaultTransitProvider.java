package io.keyward.provider.vault;

import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.api.Logical;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.provider.vault.VaultErrorMapping.Operation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code vault-transit} provider: wraps data keys with a HashiCorp Vault Transit key through vault-java-driver.
 * Key URI {@code vault-transit://<mount>/<key>}; options {@code address} (required), {@code namespace}, and one login:
 * {@code token}, {@code roleId}+{@code secretId} (AppRole) or {@code kubernetesRole} (+{@code kubernetesJwtPath}).
 *
 * <p>Keyward's associated data is bound with Transit's {@code associated_data} parameter (Vault 1.12+, AEAD key types
 * aes128-gcm96, aes256-gcm96, chacha20-poly1305: hashicorp/vault#17638 "Add AD mode to Transit's AEAD ciphers",
 * https://developer.hashicorp.com/vault/api-docs/secret/transit#encrypt-data). Transit's {@code context} is not used:
 * it is only the key-derivation input of derived keys ("required if key derivation is enabled for this key"), and
 * derived keys are refused by {@link #check}.
 *
 * <p>The wrapped key is Vault's ciphertext string ({@code vault:v<n>:<base64>}) as ASCII bytes, so a customer can
 * unwrap it with the Vault CLI alone.
 */
public final class VaultTransitProvider implements KeyProvider {
    public static final String ID = "vault-transit";

    private static final byte[] CHECK_AAD = "keyward/v1 key check".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHECK_OTHER_AAD = "keyward/v1 key check (other)".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> AEAD_TYPES = Set.of("aes256-gcm96", "aes128-gcm96", "chacha20-poly1305");
    /** Transit ciphertext: "vault:v" + version + ":" + base64 (builtin/logical/transit policy Encrypt). */
    private static final Pattern CIPHERTEXT = Pattern.compile("vault:v[1-9][0-9]{0,9}:[A-Za-z0-9+/]+={0,2}");
    private static final int MAX_WRAPPED = 8192;
    private static final int MAX_PARSED = 1024;

    private final BoundedRetry retry;
    private final VaultClients clients;
    private final SecureRandom random = new SecureRandom();
    private final Map<KeySpec, VaultTransitKey> parsed = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<KeySpec, VaultTransitKey> eldest) {
            return size() > MAX_PARSED;
        }
    };

    /** Cheap, no I/O: clients are built on first use. */
    public VaultTransitProvider(ProviderSettings settings) {
        this.retry = new BoundedRetry(settings);
        this.clients = new VaultClients(settings.attemptTimeout());
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Set<String> secretOptions() {
        return VaultTransitKey.SECRETS;
    }

    @Override
    public KeySpec validate(String keyUri, Map<String, String> options) {
        Map<String, String> given = options == null ? Map.of() : options;
        VaultTransitKey key = VaultTransitKey.parse(keyUri, given);
        return new KeySpec(ID, key.keyUri(), key.normalisedOptions(given));
    }

    @Override
    public byte[] wrap(KeySpec spec, byte[] dataKey, byte[] aad) {
        VaultTransitKey key = key(spec);
        VaultSession session = clients.session(key);
        return encrypt(session, retry.start(), key, dataKey, aad).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public byte[] unwrap(KeySpec spec, byte[] wrapped, byte[] aad) {
        VaultTransitKey key = key(spec);
        String ciphertext = ciphertext(wrapped, key);
        VaultSession session = clients.session(key);
        return decrypt(session, retry.start(), key, ciphertext, aad);
    }

    /**
     * Reads the key ({@code GET <mount>/keys/<key>}: exists, AEAD type, not derived), then a round trip, then proves
     * that Vault really binds the associated data (an older Vault silently ignores {@code associated_data}). The
     * read comes first so a mount that is not Transit never receives a plaintext.
     */
    @Override
    public void check(KeySpec spec) {
        VaultTransitKey key = key(spec);
        VaultSession session = clients.session(key);
        BoundedRetry.Deadline deadline = retry.start();
        retry.run(session, deadline, vault -> {
            checkKeyType(key, readKey(session.logical(vault), key));
            return null;
        });
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        String ciphertext = encrypt(session, deadline, key, probe, CHECK_AAD);
        byte[] back = decrypt(session, deadline, key, ciphertext, CHECK_AAD);
        boolean same = MessageDigest.isEqual(probe, back);
        Arrays.fill(probe, (byte) 0);
        Arrays.fill(back, (byte) 0);
        if (!same) {
            throw new KeyMisconfiguredException("Transit key " + key.keyUri() + " did not round-trip a test key");
        }
        try {
            byte[] leaked = decrypt(session, deadline, key, ciphertext, CHECK_OTHER_AAD);
            Arrays.fill(leaked, (byte) 0);
        } catch (WrappedKeyInvalidException expected) {
            return;
        }
        throw new KeyMisconfiguredException("Vault at " + key.address() + " ignored 'associated_data' for "
                + key.keyUri() + ": keyward needs Vault 1.12 or later and an AEAD key type");
    }

    private String encrypt(VaultSession session, BoundedRetry.Deadline deadline, VaultTransitKey key, byte[] dek,
            byte[] aad) {
        // The driver takes Strings: the base64 DEK lives on the heap until collected (cannot be zeroed).
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("plaintext", Base64.getEncoder().encodeToString(dek));
        putAad(body, aad);
        return retry.run(session, deadline, vault -> {
            LogicalResponse r = write(session.logical(vault), key, Operation.ENCRYPT, key.mount() + "/encrypt/" + key.name(), body);
            String ciphertext = r.getData().get("ciphertext");
            if (ciphertext == null || !CIPHERTEXT.matcher(ciphertext).matches()) {
                throw VaultFailure.misconfigured("Vault at " + key.address() + " answered encrypt on "
                        + key.keyUri() + " without a Transit ciphertext: is '" + key.mount() + "' a Transit mount?");
            }
            return ciphertext;
        });
    }

    private byte[] decrypt(VaultSession session, BoundedRetry.Deadline deadline, VaultTransitKey key,
            String ciphertext, byte[] aad) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ciphertext", ciphertext);
        putAad(body, aad);
        return retry.run(session, deadline, vault -> {
            LogicalResponse r = write(session.logical(vault), key, Operation.DECRYPT, key.mount() + "/decrypt/" + key.name(), body);
            String plaintext = r.getData().get("plaintext");
            try {
                return Base64.getDecoder().decode(plaintext == null ? "" : plaintext);
            } catch (IllegalArgumentException e) {
                throw VaultFailure.misconfigured("Vault at " + key.address() + " answered decrypt on "
                        + key.keyUri() + " without a base64 plaintext");
            }
        });
    }

    private static void putAad(Map<String, Object> body, byte[] aad) {
        if (aad != null && aad.length > 0) {
            body.put("associated_data", Base64.getEncoder().encodeToString(aad));
        }
    }

    private static LogicalResponse write(Logical logical, VaultTransitKey key, Operation op, String path,
            Map<String, Object> body) {
        LogicalResponse r;
        try {
            r = logical.write(path, body);
        } catch (VaultException e) {
            throw VaultErrorMapping.fromException(op, e, key);
        }
        return succeeded(r, op, key);
    }

    private static JsonObject readKey(Logical logical, VaultTransitKey key) {
        LogicalResponse r;
        try {
            r = logical.read(key.mount() + "/keys/" + key.name());
        } catch (VaultException e) {
            throw VaultErrorMapping.fromException(Operation.READ_KEY, e, key);
        }
        return succeeded(r, Operation.READ_KEY, key).getDataObject();
    }

    /** The driver hands 4xx answers back as responses, not exceptions: they are translated here. */
    private static LogicalResponse succeeded(LogicalResponse r, Operation op, VaultTransitKey key) {
        int status = r.getRestResponse().getStatus();
        if (status == 200 || status == 204) {
            return r;
        }
        throw VaultErrorMapping.fromStatus(op, status, VaultErrorMapping.errors(r.getRestResponse().getBody()), key);
    }

    private static void checkKeyType(VaultTransitKey key, JsonObject data) {
        String type = data == null ? null : data.getString("type", null);
        if (type == null) {
            throw new KeyMisconfiguredException("Vault at " + key.address() + " returned no Transit key type for "
                    + key.keyUri() + ": is '" + key.mount() + "' a Transit mount?");
        }
        if (!AEAD_TYPES.contains(type)) {
            throw new KeyMisconfiguredException("Transit key " + key.keyUri() + " is of type '"
                    + VaultTransitKey.printable(type) + "'; keyward needs aes256-gcm96 (or aes128-gcm96, "
                    + "chacha20-poly1305) to bind associated data");
        }
        if (data.getBoolean("derived", false)) {
            throw new KeyMisconfiguredException("Transit key " + key.keyUri() + " is a derived key; keyward needs a "
                    + "key created without 'derived' (and without convergent encryption)");
        }
        if (!data.getBoolean("supports_encryption", true) || !data.getBoolean("supports_decryption", true)) {
            throw new KeyMisconfiguredException("Transit key " + key.keyUri() + " does not support encryption");
        }
    }

    /**
     * Refuses, without a network call, wrapped bytes that cannot be a Transit ciphertext. Such bytes come from a
     * caller, so this is an invalid wrapped key, never a key problem.
     */
    private static String ciphertext(byte[] wrapped, VaultTransitKey key) {
        if (wrapped == null || wrapped.length == 0 || wrapped.length > MAX_WRAPPED) {
            throw new WrappedKeyInvalidException("wrapped key is not a Vault Transit ciphertext for " + key.keyUri());
        }
        String s = new String(wrapped, StandardCharsets.ISO_8859_1);
        if (!CIPHERTEXT.matcher(s).matches()) {
            throw new WrappedKeyInvalidException("wrapped key is not a Vault Transit ciphertext for " + key.keyUri());
        }
        return s;
    }

    private VaultTransitKey key(KeySpec spec) {
        if (spec == null || !ID.equals(spec.provider())) {
            throw new KeyMisconfiguredException("not a vault-transit key: " + spec);
        }
        synchronized (parsed) {
            VaultTransitKey k = parsed.get(spec);
            if (k != null) {
                return k;
            }
        }
        VaultTransitKey k = VaultTransitKey.parse(spec.keyUri(), spec.options());
        synchronized (parsed) {
            parsed.put(spec, k);
        }
        return k;
    }
}
