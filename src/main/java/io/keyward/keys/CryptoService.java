package io.keyward.keys;

import com.google.crypto.tink.subtle.Random;
import io.keyward.audit.Actor;
import io.keyward.envelope.DerivedKey;
import io.keyward.envelope.EncryptionContext;
import io.keyward.envelope.EnvelopeCodec;
import io.keyward.envelope.EnvelopeHeader;
import io.keyward.envelope.InvalidEnvelopeException;
import io.keyward.envelope.WrappedDataKey;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.tenant.Tenant;
import io.keyward.tenant.TenantKey;
import io.keyward.tenant.TenantService;
import jakarta.inject.Singleton;

import java.util.Arrays;

/**
 * The data plane: seal and open envelopes, rewrap, and hand out data keys, for one resolved tenant. Resolves
 * DEKs through the caches (one provider call per DEK, not per request) and refuses any use of a revoked tenant
 * or key before touching a cache.
 */
@Singleton
public class CryptoService {
    private static final String INVALID = "ciphertext could not be authenticated";

    private final TenantService tenants;
    private final DekCaches caches;
    private final ProviderGateway gateway;
    private final Revocations revocations;
    private final HealthProber prober;
    private final KeyMetrics metrics;
    private final KeyUsage usage;
    private final KeyRetirement retirement;
    private final EnvelopeCodec codec = new EnvelopeCodec();

    public CryptoService(TenantService tenants, DekCaches caches, ProviderGateway gateway, Revocations revocations,
            HealthProber prober, KeyMetrics metrics, KeyUsage usage, KeyRetirement retirement) {
        this.tenants = tenants;
        this.caches = caches;
        this.gateway = gateway;
        this.revocations = revocations;
        this.prober = prober;
        this.metrics = metrics;
        this.usage = usage;
        this.retirement = retirement;
    }

    public record Sealed(byte[] ciphertext, String keyId) {
    }

    public record DataKey(byte[] plaintextKey, byte[] wrappedKey, String keyId) {
        @Override
        public String toString() {
            return "DataKey[keyId=" + keyId + ", redacted]";
        }
    }

    /** The tenant for a data-plane call; refuses a tenant under the kill switch. */
    public Tenant resolve(String tenantId) {
        Tenant t = tenants.resolve(tenantId);
        if (t.revoked()) {
            throw KeywardException.of(ErrorCode.KEY_REVOKED, "tenant '" + tenantId + "' is revoked");
        }
        return t;
    }

    public Sealed encrypt(Tenant tenant, byte[] plaintext, EncryptionContext context, Actor actor) {
        TenantKey primary = primary(tenant);
        EncryptDekCache.ActiveDek dek = caches.enabled
                ? caches.encrypt.acquire(primary.id(), plaintext.length, () -> newDek(tenant, primary, actor),
                        metrics::encryptCache)
                : newDek(tenant, primary, actor);
        return new Sealed(codec.seal(tenant.id(), dek.keyId, dek.wrapped, dek.key, plaintext, context), primary.id());
    }

    public byte[] decrypt(Tenant tenant, byte[] envelope, EncryptionContext context, Actor actor) {
        EnvelopeHeader header;
        try {
            header = codec.parseHeader(envelope);
        } catch (InvalidEnvelopeException e) {
            throw KeywardException.of(ErrorCode.INVALID_CIPHERTEXT, INVALID);
        }
        TenantKey key = usableKey(tenant, header.keyId());
        byte[] aad = EnvelopeCodec.dekWrapAad(tenant.id(), key.id());
        DerivedKey derived = caches.enabled
                ? caches.decrypt.get(DecryptDekCache.key(key.id(), aad, header.wrappedDek()),
                        () -> unwrap(key, header.wrappedDek(), aad, actor), metrics::decryptCache)
                : unwrap(key, header.wrappedDek(), aad, actor);
        usage.used(key);
        try {
            return codec.open(tenant.id(), envelope, header, derived, context);
        } catch (InvalidEnvelopeException e) {
            throw KeywardException.of(ErrorCode.INVALID_CIPHERTEXT, INVALID);
        }
    }

    /** Opens under whichever key sealed it and seals again under the primary key; plaintext stays inside. */
    public Sealed rewrap(Tenant tenant, byte[] envelope, EncryptionContext context, Actor actor) {
        byte[] plaintext = decrypt(tenant, envelope, context, actor);
        try {
            return encrypt(tenant, plaintext, context, actor);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /** A fresh DEK wrapped under the primary key and bound to {@code context}: one provider call per data key. */
    public DataKey generateDataKey(Tenant tenant, EncryptionContext context, Actor actor) {
        TenantKey primary = primary(tenant);
        byte[] dek = Random.randBytes(DerivedKey.DEK_BYTES);
        byte[] aad = WrappedDataKey.wrapAad(tenant.id(), primary.id(), context);
        byte[] wrapped = gateway.call(primary, "wrap", actor, p -> p.wrap(primary.spec(), dek, aad));
        return new DataKey(dek, new WrappedDataKey(primary.id(), wrapped).encode(), primary.id());
    }

    /** Unwraps a data key from {@link #generateDataKey}; always asks the provider (data keys are not cached). */
    public byte[] unwrapDataKey(Tenant tenant, byte[] blob, EncryptionContext context, Actor actor) {
        WrappedDataKey w;
        try {
            w = WrappedDataKey.decode(blob);
        } catch (InvalidEnvelopeException e) {
            throw KeywardException.of(ErrorCode.INVALID_CIPHERTEXT, INVALID);
        }
        TenantKey key = usableKey(tenant, w.keyId());
        byte[] aad = WrappedDataKey.wrapAad(tenant.id(), key.id(), context);
        byte[] dek = gateway.call(key, "unwrap", actor, p -> p.unwrap(key.spec(), w.providerWrapped(), aad));
        usage.used(key);
        if (dek.length != DerivedKey.DEK_BYTES) {
            Arrays.fill(dek, (byte) 0);
            throw KeywardException.of(ErrorCode.INVALID_CIPHERTEXT, INVALID);
        }
        return dek;
    }

    private TenantKey primary(Tenant tenant) {
        TenantKey primary = tenant.primaryKey().orElseThrow(() -> KeywardException.of(ErrorCode.NO_KEY,
                "tenant '" + tenant.id() + "' has no primary key; attach one with POST /v1/tenants/" + tenant.id()
                        + "/keys"));
        requireNotRevoked(primary);
        return primary;
    }

    private TenantKey usableKey(Tenant tenant, String keyId) {
        // A key id this tenant does not have means the envelope belongs to someone else or was altered.
        TenantKey key = tenant.key(keyId).orElseThrow(
                () -> KeywardException.of(ErrorCode.INVALID_CIPHERTEXT, INVALID));
        if (retirement.isRetired(key)) {
            throw retirement.retiredError(key);
        }
        requireNotRevoked(key);
        return key;
    }

    private void requireNotRevoked(TenantKey key) {
        if (revocations.isRevoked(key)) {
            throw KeywardException.of(ErrorCode.KEY_REVOKED,
                    "tenant '" + key.tenantId() + "' key " + key.id() + " is revoked");
        }
    }

    private EncryptDekCache.ActiveDek newDek(Tenant tenant, TenantKey key, Actor actor) {
        byte[] dek = Random.randBytes(DerivedKey.DEK_BYTES);
        try {
            byte[] aad = EnvelopeCodec.dekWrapAad(tenant.id(), key.id());
            byte[] wrapped = gateway.call(key, "wrap", actor, p -> p.wrap(key.spec(), dek, aad));
            DerivedKey derived = DerivedKey.derive(dek);
            if (caches.enabled) {
                caches.decrypt.put(DecryptDekCache.key(key.id(), aad, wrapped), derived);
                prober.watch(key);
            }
            return new EncryptDekCache.ActiveDek(key.id(), wrapped, derived, System.nanoTime());
        } finally {
            Arrays.fill(dek, (byte) 0);
        }
    }

    private DerivedKey unwrap(TenantKey key, byte[] wrapped, byte[] aad, Actor actor) {
        byte[] dek = gateway.call(key, "unwrap", actor, p -> p.unwrap(key.spec(), wrapped, aad));
        try {
            if (dek.length != DerivedKey.DEK_BYTES) {
                throw KeywardException.of(ErrorCode.INVALID_CIPHERTEXT, INVALID);
            }
            if (retirement.isRetired(key)) {
                // Retired while the provider answered: nothing of it may enter a cache after the purge.
                throw retirement.retiredError(key);
            }
            DerivedKey derived = DerivedKey.derive(dek);
            if (caches.enabled) {
                prober.watch(key);
            }
            return derived;
        } finally {
            Arrays.fill(dek, (byte) 0);
        }
    }
}
