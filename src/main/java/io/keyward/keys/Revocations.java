package io.keyward.keys;

import io.keyward.audit.Actor;
import io.keyward.audit.AuditLog;
import io.keyward.tenant.KeyHealth;
import io.keyward.tenant.Tenant;
import io.keyward.tenant.TenantKey;
import io.keyward.tenant.TenantService;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.Set;
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
    /** Fast path, ahead of the tenant snapshot: keys revoked on this replica since start. */
    private final Set<String> revokedKeys = ConcurrentHashMap.newKeySet();

    public Revocations(TenantService tenants, DekCaches caches, AuditLog audit, KeyMetrics metrics) {
        this.tenants = tenants;
        this.caches = caches;
        this.audit = audit;
        this.metrics = metrics;
    }

    public boolean isRevoked(TenantKey key) {
        return key.health() == KeyHealth.REVOKED || revokedKeys.contains(key.id());
    }

    /** The provider answered "revoked" for this key (request path, check or prober). */
    public void keyRevoked(TenantKey key, String detail, Actor actor) {
        boolean first = revokedKeys.add(key.id());
        caches.purge(key.id());
        if (first || key.health() != KeyHealth.REVOKED) {
            tenants.updateKeyHealth(key, KeyHealth.REVOKED, detail);
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
        if (key.health() == KeyHealth.UNAVAILABLE && !revokedKeys.contains(key.id())) {
            tenants.updateKeyHealth(key, KeyHealth.AVAILABLE, null);
        }
    }

    /** Kill switch: cuts the tenant off at once, whatever its provider says. */
    public Tenant revokeTenant(String tenantId, String reason, Actor actor) {
        Tenant t = tenants.setRevoked(tenantId, true, reason);
        t.keys().forEach(k -> caches.purge(k.id()));
        audit.record(actor, tenantId, null, "tenant.revoke", "REVOKED", reason);
        metrics.revocation("kill-switch");
        LOG.warnf("tenant revoked by kill switch: tenant=%s", tenantId);
        return t;
    }

    /** Clears revocation for keys that passed a check, and the kill switch. Callers check first. */
    void restored(Tenant tenant, java.util.List<TenantKey> passed, Actor actor) {
        for (TenantKey k : passed) {
            revokedKeys.remove(k.id());
            tenants.restoreKeyHealth(k);
        }
        tenants.setRevoked(tenant.id(), false, null);
        audit.record(actor, tenant.id(), null, "tenant.restore", "OK", passed.size() + " key(s) passed their check");
    }
}
