package io.keyward.tenant;

import io.keyward.provider.KeySpec;

import java.time.Instant;
import java.util.Map;

/**
 * A tenant's reference to a key-encryption key in the customer's KMS. Holds no key material; options hold
 * no secrets in this version (sealed credentials arrive with the cloud providers).
 */
public record TenantKey(String id, String tenantId, String provider, String keyUri, Map<String, String> options,
        KeyStatus status, KeyHealth health, String healthDetail, Instant healthCheckedAt, Instant createdAt) {

    public TenantKey {
        options = Map.copyOf(options);
    }

    public KeySpec spec() {
        return new KeySpec(provider, keyUri, options);
    }

    public TenantKey withHealth(KeyHealth newHealth, String detail, Instant at) {
        return new TenantKey(id, tenantId, provider, keyUri, options, status, newHealth, detail, at, createdAt);
    }

    public TenantKey withStatus(KeyStatus newStatus) {
        return new TenantKey(id, tenantId, provider, keyUri, options, newStatus, health, healthDetail,
                healthCheckedAt, createdAt);
    }
}
