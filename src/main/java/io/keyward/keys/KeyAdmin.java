package io.keyward.keys;

import io.keyward.audit.Actor;
import io.keyward.audit.AuditLog;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.local.LocalKeyProvider;
import io.keyward.tenant.KeyHealth;
import io.keyward.tenant.KeyStatus;
import io.keyward.tenant.Tenant;
import io.keyward.tenant.TenantKey;
import io.keyward.tenant.TenantService;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Key administration: attach a key after a real check, check a key on demand, restore a revoked tenant. */
@Singleton
public class KeyAdmin {
    private final TenantService tenants;
    private final ProviderSetup providers;
    private final ProviderGateway gateway;
    private final Revocations revocations;
    private final AuditLog audit;

    public KeyAdmin(TenantService tenants, ProviderSetup providers, ProviderGateway gateway, Revocations revocations,
            AuditLog audit) {
        this.tenants = tenants;
        this.providers = providers;
        this.gateway = gateway;
        this.revocations = revocations;
        this.audit = audit;
    }

    /**
     * Validates the key reference, proves it works with a real round trip, then makes it the tenant's primary
     * key (the previous primary becomes DECRYPT_ONLY).
     */
    public TenantKey attach(String tenantId, String providerId, String keyUri, Map<String, String> options,
            Actor actor) {
        tenants.get(tenantId);
        KeyProvider provider = providers.registry().find(providerId).orElseThrow(() -> unknownProvider(providerId));
        KeySpec spec;
        try {
            spec = provider.validate(keyUri, options == null ? Map.of() : options);
        } catch (ProviderException e) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
        Instant now = Instant.now();
        TenantKey candidate = new TenantKey(null, tenantId, spec.provider(), spec.keyUri(), spec.options(),
                KeyStatus.PRIMARY, KeyHealth.AVAILABLE, null, now, now, Map.of());
        try {
            gateway.invoke(candidate, "check", actor, p -> {
                p.check(spec);
                return null;
            });
        } catch (ProviderException e) {
            audit.record(actor, tenantId, null, "key.attach", "KEY_CHECK_FAILED", e.getMessage());
            throw KeywardException.of(ErrorCode.KEY_CHECK_FAILED,
                    "key check failed (" + ProviderGateway.outcome(e) + "): " + e.getMessage());
        }
        TenantKey key = tenants.addPrimaryKey(tenantId, spec, provider.secretOptions());
        audit.record(actor, tenantId, key.id(), "key.attach", "OK", spec.provider() + " " + spec.keyUri());
        return key;
    }

    /** Asks the provider about one key now. Updates revocation state from the answer. */
    public CheckResult check(String tenantId, String keyId, Actor actor) {
        TenantKey key = tenants.key(tenantId, keyId);
        if (key.status() == KeyStatus.RETIRED) {
            // Retire is final: its provider is never asked again, not even to check.
            throw KeywardException.of(ErrorCode.KEY_RETIRED, "key " + keyId + " is retired");
        }
        long start = System.nanoTime();
        KeyHealth status;
        String detail;
        try {
            gateway.invoke(key, "check", actor, p -> {
                p.check(key.spec());
                return null;
            });
            status = KeyHealth.AVAILABLE;
            detail = "wrap and unwrap round trip succeeded";
            revocations.keyAvailable(key);
        } catch (KeyRevokedException e) {
            status = KeyHealth.REVOKED;
            detail = e.getMessage();
            revocations.keyRevoked(key, detail, actor);
        } catch (KeyUnavailableException e) {
            status = KeyHealth.UNAVAILABLE;
            detail = e.getMessage();
            revocations.keyUnavailable(key, detail);
        } catch (ProviderException e) {
            status = KeyHealth.UNAVAILABLE;
            detail = "misconfigured: " + e.getMessage();
            revocations.keyUnavailable(key, detail);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        audit.record(actor, tenantId, keyId, "key.check", status.name(), detail);
        return new CheckResult(status, detail, ms);
    }

    /**
     * Lifts the kill switch and provider revocations, but only if the primary key passes a fresh check; other
     * keys are restored if they pass too and stay revoked otherwise.
     */
    public Tenant restore(String tenantId, Actor actor) {
        Tenant tenant = tenants.get(tenantId);
        TenantKey primary = tenant.primaryKey().orElseThrow(() -> KeywardException.withStatus(
                ErrorCode.KEY_CHECK_FAILED, 409, "tenant '" + tenantId + "' has no primary key to check"));
        List<TenantKey> passed = new ArrayList<>();
        String primaryFailure = null;
        for (TenantKey k : tenant.keys()) {
            if (k.status() == KeyStatus.RETIRED) {
                continue;
            }
            try {
                gateway.invoke(k, "check", actor, p -> {
                    p.check(k.spec());
                    return null;
                });
                passed.add(k);
            } catch (ProviderException e) {
                if (k.id().equals(primary.id())) {
                    primaryFailure = ProviderGateway.outcome(e) + ": " + e.getMessage();
                }
            }
        }
        if (primaryFailure != null) {
            audit.record(actor, tenantId, primary.id(), "tenant.restore", "KEY_CHECK_FAILED", primaryFailure);
            throw KeywardException.withStatus(ErrorCode.KEY_CHECK_FAILED, 409,
                    "primary key check failed (" + primaryFailure + "); tenant stays revoked");
        }
        revocations.restored(tenant, passed, actor);
        return tenants.get(tenantId);
    }

    private KeywardException unknownProvider(String id) {
        if (LocalKeyProvider.ID.equals(id)) {
            return KeywardException.of(ErrorCode.PROVIDER_NOT_ALLOWED,
                    "the local provider is disabled on this deployment (keyward.providers.local.allow-in-production)");
        }
        return KeywardException.of(ErrorCode.INVALID_REQUEST,
                "unknown provider '" + (id == null ? "" : id.replaceAll("[^A-Za-z0-9_.-]", "?"))
                        + "'; enabled providers: " + providers.registry().ids());
    }
}
