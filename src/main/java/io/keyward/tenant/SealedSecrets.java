package io.keyward.tenant;

import io.keyward.db.Database;
import io.keyward.seal.SecretSealer;
import jakarta.inject.Singleton;

import java.util.List;

/**
 * Every value sealed in the database (tenant-key credentials, audit-webhook secrets), seen from the seal root key's
 * side: which root key each value is sealed under, and moving them all to the current one (the second step of a
 * root-key rotation, docs/how-to/rotate-the-seal-root-key.md). Re-sealing changes no plaintext, so it runs while
 * keyward serves.
 */
@Singleton
public class SealedSecrets {
    private final Database db;
    private final SecretSealer sealer;

    public SealedSecrets(Database db, SecretSealer sealer) {
        this.db = db;
        this.sealer = sealer;
    }

    /** Where the stored values stand. */
    public record Status(String currentKeyId, List<String> previousKeyIds, int current, int previous, int unreadable) {
    }

    /** What a re-seal did. */
    public record Resealed(int resealed, int alreadyCurrent, int unreadable, int changedMeanwhile) {
    }

    /** One sealed value: where it is stored, what it is bound to (as its owner sealed it), and the value. */
    private record Row(String table, String tenantId, String keyId, String sealed) {
        String boundTo() {
            return table.equals("tenant_key") ? tenantId + "|" + keyId // as TenantStore seals them
                    : "audit-webhook:" + tenantId;                      // as AuditWebhooks seals them
        }

        int replace(Database db, String next) {
            return table.equals("tenant_key")
                    ? db.update("UPDATE tenant_key SET secrets_sealed = ? WHERE tenant_id = ? AND id = ? "
                            + "AND secrets_sealed = ?", next, tenantId, keyId, sealed)
                    : db.update("UPDATE audit_webhook SET secret_sealed = ? WHERE tenant_id = ? AND secret_sealed = ?",
                            next, tenantId, sealed);
        }
    }

    private List<Row> rows() {
        List<Row> rows = new java.util.ArrayList<>(db.query("SELECT tenant_id, id, secrets_sealed FROM tenant_key "
                + "WHERE secrets_sealed IS NOT NULL ORDER BY tenant_id, id",
                rs -> new Row("tenant_key", rs.getString(1), rs.getString(2), rs.getString(3))));
        rows.addAll(db.query("SELECT tenant_id, secret_sealed FROM audit_webhook ORDER BY tenant_id",
                rs -> new Row("audit_webhook", rs.getString(1), null, rs.getString(2))));
        return rows;
    }

    public Status status() {
        int current = 0;
        int previous = 0;
        int unreadable = 0;
        for (Row r : rows()) {
            if (sealer.isCurrent(r.sealed())) {
                current++;
            } else if (opens(r)) {
                previous++;
            } else {
                unreadable++;
            }
        }
        return new Status(sealer.currentKeyId(), sealer.previousKeyIds(), current, previous, unreadable);
    }

    /**
     * Re-seals every value not yet under the current root key. Each row is updated only if it still holds what was
     * read (another replica, or an admin change, may have rewritten it meanwhile), so two re-seals at once are safe.
     */
    public Resealed resealAll() {
        int resealed = 0;
        int current = 0;
        int unreadable = 0;
        int changed = 0;
        for (Row r : rows()) {
            if (sealer.isCurrent(r.sealed())) {
                current++;
                continue;
            }
            String next;
            try {
                next = sealer.reseal(r.sealed(), r.boundTo());
            } catch (IllegalStateException e) {
                unreadable++;
                continue;
            }
            int n = r.replace(db, next);
            if (n == 1) {
                resealed++;
            } else {
                changed++;
            }
        }
        return new Resealed(resealed, current, unreadable, changed);
    }

    private boolean opens(Row r) {
        try {
            java.util.Arrays.fill(sealer.unseal(r.sealed(), r.boundTo()), (byte) 0);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }
}
