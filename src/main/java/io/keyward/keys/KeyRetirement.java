package io.keyward.keys;

import io.keyward.audit.Actor;
import io.keyward.audit.AuditLog;
import io.keyward.config.KeywardConfig;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.tenant.KeyStatus;
import io.keyward.tenant.TenantKey;
import io.keyward.tenant.TenantService;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Retiring a DECRYPT_ONLY tenant key, for good: after {@code :retire} every ciphertext under it fails with
 * KEY_RETIRED, its cached DEKs are gone and its provider is never called for it again. Refused while the key
 * was used within {@code keyward.rotation.retire-window}, unless forced.
 */
@Singleton
public class KeyRetirement {
    private final TenantService tenants;
    private final DekCaches caches;
    private final KeyUsage usage;
    private final AuditLog audit;
    private final Duration window;
    private final RevocationFeed feed;
    /** Fast path, ahead of the tenant snapshot: keys retired on this replica since start. */
    private final Set<String> retiredHere = ConcurrentHashMap.newKeySet();

    public KeyRetirement(TenantService tenants, DekCaches caches, KeyUsage usage, AuditLog audit,
            KeywardConfig config, RevocationFeed feed) {
        this.tenants = tenants;
        this.feed = feed;
        this.caches = caches;
        this.usage = usage;
        this.audit = audit;
        this.window = config.rotation().retireWindow();
        if (window.isNegative()) {
            throw new IllegalArgumentException("keyward.rotation.retire-window must be >= 0");
        }
    }

    /** Whether the key is retired, as the snapshot says or as this replica has just done. */
    public boolean isRetired(TenantKey key) {
        return key.status() == KeyStatus.RETIRED || retiredHere.contains(key.id());
    }

    KeywardException retiredError(TenantKey key) {
        return KeywardException.of(ErrorCode.KEY_RETIRED, "tenant '" + key.tenantId() + "' key " + key.id()
                + " is retired; ciphertexts under it can no longer be decrypted");
    }

    public TenantKey retire(String tenantId, String keyId, boolean force, Actor actor) {
        TenantKey key = tenants.key(tenantId, keyId);
        if (key.status() == KeyStatus.PRIMARY) {
            audit.record(actor, tenantId, keyId, "key.retire", "INVALID_KEY_STATE", "primary key");
            throw KeywardException.of(ErrorCode.INVALID_KEY_STATE, "key " + keyId
                    + " is the tenant's primary key; attach a new key first, then rewrap, then retire this one");
        }
        if (key.status() == KeyStatus.RETIRED) {
            throw KeywardException.of(ErrorCode.INVALID_KEY_STATE, "key " + keyId + " is already retired");
        }
        Optional<Instant> lastUsed = lastUsed(key);
        Instant now = Instant.now();
        if (!force && lastUsed.isPresent() && lastUsed.get().isAfter(now.minus(window))) {
            String detail = "key " + keyId + " was last used at " + lastUsed.get() + ", within the retire window ("
                    + window + "); rewrap its ciphertexts and retry later, or retire with {\"force\": true}";
            audit.record(actor, tenantId, keyId, "key.retire", "KEY_IN_USE", "last used " + lastUsed.get());
            throw KeywardException.of(ErrorCode.KEY_IN_USE, detail);
        }
        retiredHere.add(keyId);
        if (!feed.publish(RevocationNotice.Kind.KEY_RETIRED, tenantId, keyId, () -> tenants.retireKey(key))) {
            retiredHere.remove(keyId);
            throw KeywardException.of(ErrorCode.INVALID_KEY_STATE, "key " + keyId + " changed state meanwhile");
        }
        caches.purge(keyId);
        usage.forget(keyId);
        audit.record(actor, tenantId, keyId, "key.retire", "OK",
                "force=" + force + "; last used " + lastUsed.map(Instant::toString).orElse("never"));
        return tenants.key(tenantId, keyId);
    }

    /** The later of this replica's memory and what every replica has written (which lags by up to a minute). */
    Optional<Instant> lastUsed(TenantKey key) {
        Optional<Instant> here = usage.lastUsedHere(key.id());
        Optional<Instant> stored = tenants.keyLastUsedAt(key);
        if (here.isEmpty()) {
            return stored;
        }
        if (stored.isEmpty()) {
            return here;
        }
        return Optional.of(here.get().isAfter(stored.get()) ? here.get() : stored.get());
    }
}
