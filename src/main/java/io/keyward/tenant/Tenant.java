package io.keyward.tenant;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A customer of the SaaS and its key references, as one immutable snapshot.
 *
 * @param revoked       the kill switch ({@code :revoke}) is on
 * @param keys          all its tenant keys, newest first
 */
public record Tenant(String id, String name, boolean revoked, String revokedReason, Instant revokedAt,
        Instant createdAt, Instant updatedAt, List<TenantKey> keys) {

    public static final Pattern ID = Pattern.compile("^[a-z0-9][a-z0-9-]{1,62}$");

    public Tenant {
        keys = List.copyOf(keys);
    }

    public static boolean isValidId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    public Optional<TenantKey> primaryKey() {
        return keys.stream().filter(k -> k.status() == KeyStatus.PRIMARY).findFirst();
    }

    public Optional<TenantKey> key(String keyId) {
        return keys.stream().filter(k -> k.id().equals(keyId)).findFirst();
    }

    public TenantState state() {
        if (revoked) {
            return TenantState.REVOKED;
        }
        Optional<TenantKey> primary = primaryKey();
        if (primary.isEmpty()) {
            return TenantState.NO_KEY;
        }
        return switch (primary.get().health()) {
            case REVOKED -> TenantState.REVOKED;
            case UNAVAILABLE -> TenantState.KEY_UNAVAILABLE;
            case AVAILABLE -> TenantState.ACTIVE;
        };
    }

    public Tenant withKeys(List<TenantKey> newKeys) {
        return new Tenant(id, name, revoked, revokedReason, revokedAt, createdAt, updatedAt, newKeys);
    }
}
