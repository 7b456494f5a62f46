package io.keyward.tenant;

import io.keyward.provider.KeySpec;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A tenant's reference to a key-encryption key in the customer's KMS. Holds no key material. {@code options}
 * are public settings (region, role ARN, endpoint); {@code secrets} are provider credentials, kept sealed in
 * the database, handed only to the provider, and never printed or returned by the API.
 */
public record TenantKey(String id, String tenantId, String provider, String keyUri, Map<String, String> options,
        KeyStatus status, KeyHealth health, String healthDetail, Instant healthCheckedAt, Instant createdAt,
        Map<String, String> secrets) {

    public TenantKey {
        options = Map.copyOf(options);
        secrets = secrets == null ? Map.of() : Map.copyOf(secrets);
    }

    public TenantKey(String id, String tenantId, String provider, String keyUri, Map<String, String> options,
            KeyStatus status, KeyHealth health, String healthDetail, Instant healthCheckedAt, Instant createdAt) {
        this(id, tenantId, provider, keyUri, options, status, health, healthDetail, healthCheckedAt, createdAt,
                Map.of());
    }

    /** What the provider needs: the key URI and all options, secrets included. */
    public KeySpec spec() {
        if (secrets.isEmpty()) {
            return new KeySpec(provider, keyUri, options);
        }
        Map<String, String> all = new HashMap<>(options);
        all.putAll(secrets);
        return new KeySpec(provider, keyUri, all);
    }

    public TenantKey withHealth(KeyHealth newHealth, String detail, Instant at) {
        return new TenantKey(id, tenantId, provider, keyUri, options, status, newHealth, detail, at, createdAt,
                secrets);
    }

    public TenantKey withStatus(KeyStatus newStatus) {
        return new TenantKey(id, tenantId, provider, keyUri, options, newStatus, health, healthDetail,
                healthCheckedAt, createdAt, secrets);
    }

    @Override
    public String toString() {
        return "TenantKey[id=" + id + ", tenant=" + tenantId + ", provider=" + provider + ", keyUri=" + keyUri
                + ", status=" + status + ", health=" + health + ", secrets=" + secrets.keySet() + "]";
    }
}
