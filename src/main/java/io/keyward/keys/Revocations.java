package io.keyward.keys;

import io.keyward.audit.Actor;
import io.keyward.audit.AuditLog;
import io.keyward.tenant.KeyHealth;
import io.keyward.tenant.Tenant;
import io.keyward.tenant.TenantKey;
import io.keyward.tenant.TenantService;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Revocation state (DESIGN.md §5). A tenant key the provider reports revoked is marked REVOKED in the database,
 * its cached DEKs are purged, and every data operation on it fails with KEY_REVOKED until {@code :restore}
 * passes a fresh check. The kill switch does the same for a whole tenant, whatever the provider says.
 */
@Singleton
public class Revocations {
    private static final Logger LOG = Logger.getLogger(Revocations.class);

    private final TenantService tenants;
    private final DekCaches caches;
    private final AuditLog audit;
    private final KeyMetrics metrics;
    private final RevocationFeed feed;
    /** Fast path, ahead of the tenant snapshot: keys revoked on this replica since start (key id to tenant id). */
    private final Map<String, String> revokedKeys = new ConcurrentHashMap<>();

    public Revocations(TenantService tenants, DekCaches caches, AuditLog audit, KeyMetrics metrics,
            RevocationFeed feed) {
        this.tenants = tenants;
        this.caches = caches;
        this.audit = audit;
        this.metrics = metrics;
        this.feed = feed;
    }

    public boolean isRevoked(TenantKey key) {
        return key.health() == KeyHealth.REVOKED || revokedKeys.containsKey(key.id());
    }

    /** The provider answered "revoked" for this key (request path, check or prober). */
    public void keyRevoked(TenantKey key, String detail, Actor actor) {
        boolean first = revokedKeys.put(key.id(), key.tenantId()) == null;
        caches.purge(key.id());
        if (first || key.health() != KeyHealth.REVOKED) {
            feed.publish(RevocationNotice.Kind.KEY_REVOKED, key.tenantId(), key.id(), () -> {
                tenants.updateKeyHealth(key, KeyHealth.REVOKED, detail);
                return null;
            });
            caches.purge(key.id()); // again: a load that raced the first purge may have re-filled it
            audit.record(actor, key.tenantId(), key.id(), "key.revoked", "REVOKED", detail);
            metrics.revocation("provider");
            LOG.warnf("tenant key revoked by its provider: tenant=%s key=%s", key.tenantId(), key.id());
        }
    }

    public void keyUnavailable(TenantKey key, String detail) {
        if (key.health() == KeyHealth.AVAILABLE) {
            tenants.updateKeyHealth(key, KeyHealth.UNAVAILABLE, detail);
        }
    }

    public void keyAvailable(TenantKey key) {
        if (key.health() == KeyHealth.UNAVAILABLE && !revokedKeys.containsKey(key.id())) {
            tenants.updateKeyHealth(key, KeyHealth.AVAILABLE, null);
        }
    }

    /** Kill switch: cuts the tenant off at once, whatever its provider says. */
    public Tenant revokeTenant(String tenantId, String reason, Actor actor) {
        Tenant t = feed.publish(RevocationNotice.Kind.TENANT_REVOKED, tenantId, null,
                () -> tenants.setRevoked(tenantId, true, reason));
        t.keys().forEach(k -> caches.purge(k.id()));
        audit.record(actor, tenantId, null, "tenant.revoke", "REVOKED", reason);
        metrics.revocation("kill-switch");
        LOG.warnf("tenant revoked by kill switch: tenant=%s", tenantId);
        return t;
    }

    /** Clears revocation for keys that passed a check, and the kill switch. Callers check first. */
    void restored(Tenant tenant, java.util.List<TenantKey> passed, Actor actor) {
        feed.publish(RevocationNotice.Kind.TENANT_RESTORED, tenant.id(), null, () -> {
            for (TenantKey k : passed) {
                tenants.restoreKeyHealth(k);
            }
            return tenants.setRevoked(tenant.id(), false, null);
        });
        passed.forEach(k -> revokedKeys.remove(k.id()));
        audit.record(actor, tenant.id(), null, "tenant.restore", "OK", passed.size() + " key(s) passed their check");
    }

    /**
     * Another replica restored the tenant: what this replica found revoked itself no longer counts ahead of the
     * database, which now says which keys passed (the snapshot was dropped by the caller).
     */
    void restoredElsewhere(String tenantId) {
        revokedKeys.values().removeIf(tenantId::equals);
    }

    /**
     * After the listener was down (restores may have been missed): keeps only the fast-path entries whose key is
     * still REVOKED in the database. An entry whose revocation is still being written may go too; its DEKs are
     * purged already, so the next request asks the provider, hears "revoked" again and re-adds it.
     */
    void resync() {
        for (String tenantId : java.util.Set.copyOf(revokedKeys.values())) {
            Tenant t;
            try {
                t = tenants.get(tenantId);
            } catch (RuntimeException e) {
                continue; // unreadable or gone: keep refusing, the safe side
            }
            revokedKeys.entrySet().removeIf(e -> e.getValue().equals(tenantId)
                    && t.key(e.getKey()).map(k -> k.health() != KeyHealth.REVOKED).orElse(true));
        }
    }
}
