package io.keyward.tenant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.db.Database;
import io.keyward.seal.SecretSealer;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Persistence of tenants and tenant keys. */
@ApplicationScoped
public class TenantStore {
    private static final TypeReference<TreeMap<String, String>> OPTIONS = new TypeReference<>() {
    };
    private static final String KEY_COLUMNS = "id, tenant_id, provider, key_uri, options_json, status, health, "
            + "health_detail, health_checked_at, created_at, secrets_sealed";

    private final Database db;
    private final SecretSealer sealer;
    private final ObjectMapper json = new ObjectMapper();

    public TenantStore(Database db, SecretSealer sealer) {
        this.db = db;
        this.sealer = sealer;
    }

    /** @return false if a tenant with this id exists already */
    public boolean insert(String id, String name, Instant now) {
        try {
            db.update("INSERT INTO tenant (id, name, revoked, created_at, updated_at) VALUES (?, ?, FALSE, ?, ?)",
                    id, name, now, now);
            return true;
        } catch (Database.DatabaseException e) {
            if (e.isUniqueViolation()) {
                return false;
            }
            throw e;
        }
    }

    public Optional<Tenant> find(String id) {
        return db.withConnection(c -> {
            List<Tenant> t = Database.query(c, "SELECT * FROM tenant WHERE id = ?", TenantStore::tenantRow, id);
            if (t.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(t.get(0).withKeys(keys(c, id)));
        });
    }

    /** Tenants ordered by id, after {@code afterId} (exclusive), at most {@code limit}. */
    public List<Tenant> list(String afterId, int limit) {
        return db.withConnection(c -> {
            List<Tenant> page = Database.query(c,
                    "SELECT * FROM tenant WHERE id > ? ORDER BY id LIMIT ?", TenantStore::tenantRow,
                    afterId == null ? "" : afterId, limit);
            if (page.isEmpty()) {
                return page;
            }
            Map<String, List<TenantKey>> keys = new LinkedHashMap<>();
            for (TenantKey k : Database.query(c, "SELECT " + KEY_COLUMNS
                    + " FROM tenant_key WHERE tenant_id >= ? AND tenant_id <= ? ORDER BY created_at DESC, id DESC",
                    this::keyRow, page.get(0).id(), page.get(page.size() - 1).id())) {
                keys.computeIfAbsent(k.tenantId(), x -> new ArrayList<>()).add(k);
            }
            List<Tenant> out = new ArrayList<>(page.size());
            for (Tenant t : page) {
                out.add(t.withKeys(keys.getOrDefault(t.id(), List.of())));
            }
            return out;
        });
    }

    /** Adds a key as PRIMARY and demotes the previous primary to DECRYPT_ONLY, atomically. */
    public void insertPrimaryKey(TenantKey key) {
        db.inTransaction(c -> {
            Database.update(c, "UPDATE tenant_key SET status = 'DECRYPT_ONLY' WHERE tenant_id = ? AND status = 'PRIMARY'",
                    key.tenantId());
            Database.update(c, "INSERT INTO tenant_key (" + KEY_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    key.id(), key.tenantId(), key.provider(), key.keyUri(), toJson(key.options()),
                    key.status().name(), key.health().name(), key.healthDetail(), key.healthCheckedAt(),
                    key.createdAt(), sealSecrets(key));
            Database.update(c, "UPDATE tenant SET updated_at = ? WHERE id = ?", key.createdAt(), key.tenantId());
            return null;
        });
    }

    /**
     * Records what the provider said. REVOKED is sticky: a later AVAILABLE or UNAVAILABLE (from a request that
     * raced the revocation, or another replica) never overwrites it; only {@link #restoreKeyHealth} does.
     */
    public void updateKeyHealth(String keyId, KeyHealth health, String detail, Instant at) {
        db.update("UPDATE tenant_key SET health = ?, health_detail = ?, health_checked_at = ? WHERE id = ?"
                + (health == KeyHealth.REVOKED ? "" : " AND health <> 'REVOKED'"),
                health.name(), truncate(detail), at, keyId);
    }

    /** Lifts a revocation after a passing check ({@code :restore}). */
    public void restoreKeyHealth(String keyId, Instant at) {
        db.update("UPDATE tenant_key SET health = 'AVAILABLE', health_detail = NULL, health_checked_at = ? WHERE id = ?",
                at, keyId);
    }

    /**
     * Records a use of the key; never moves the time backwards (replicas write in any order).
     */
    public void recordKeyUse(String keyId, Instant at) {
        db.update("UPDATE tenant_key SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                at, keyId, at);
    }

    /** When the key was last used, as far as the database knows (each replica writes at most once a minute). */
    public Optional<Instant> keyLastUsedAt(String keyId) {
        return db.query("SELECT last_used_at FROM tenant_key WHERE id = ?",
                rs -> Optional.ofNullable(Database.instant(rs, "last_used_at")), keyId)
                .stream().findFirst().flatMap(o -> o);
    }

    /** Retires a DECRYPT_ONLY key; @return false if the key is not DECRYPT_ONLY (any more). */
    public boolean retireKey(String tenantId, String keyId) {
        return db.update("UPDATE tenant_key SET status = 'RETIRED' WHERE id = ? AND tenant_id = ? AND status = 'DECRYPT_ONLY'",
                keyId, tenantId) == 1;
    }

    public void setRevoked(String tenantId, boolean revoked, String reason, Instant at) {
        db.update("UPDATE tenant SET revoked = ?, revoked_reason = ?, revoked_at = ?, updated_at = ? WHERE id = ?",
                revoked, revoked ? truncate(reason) : null, revoked ? at : null, at, tenantId);
    }

    private List<TenantKey> keys(Connection c, String tenantId) throws SQLException {
        return Database.query(c, "SELECT " + KEY_COLUMNS
                + " FROM tenant_key WHERE tenant_id = ? ORDER BY created_at DESC, id DESC", this::keyRow, tenantId);
    }

    private static Tenant tenantRow(ResultSet rs) throws SQLException {
        return new Tenant(rs.getString("id"), rs.getString("name"), rs.getBoolean("revoked"),
                rs.getString("revoked_reason"), Database.instant(rs, "revoked_at"), Database.instant(rs, "created_at"),
                Database.instant(rs, "updated_at"), List.of());
    }

    private TenantKey keyRow(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String tenantId = rs.getString("tenant_id");
        return new TenantKey(id, tenantId, rs.getString("provider"),
                rs.getString("key_uri"), fromJson(rs.getString("options_json")), KeyStatus.valueOf(rs.getString("status")),
                KeyHealth.valueOf(rs.getString("health")), rs.getString("health_detail"),
                Database.instant(rs, "health_checked_at"), Database.instant(rs, "created_at"),
                unsealSecrets(rs.getString("secrets_sealed"), tenantId, id));
    }

    private String sealSecrets(TenantKey key) {
        if (key.secrets().isEmpty()) {
            return null;
        }
        byte[] plain = toJson(key.secrets()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            return sealer.seal(plain, key.tenantId() + "|" + key.id());
        } finally {
            java.util.Arrays.fill(plain, (byte) 0);
        }
    }

    private Map<String, String> unsealSecrets(String sealed, String tenantId, String keyId) {
        if (sealed == null) {
            return Map.of();
        }
        byte[] plain = sealer.unseal(sealed, tenantId + "|" + keyId);
        try {
            return fromJson(new String(plain, java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            java.util.Arrays.fill(plain, (byte) 0);
        }
    }

    private String toJson(Map<String, String> options) {
        try {
            return json.writeValueAsString(new TreeMap<>(options));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("options not serialisable", e);
        }
    }

    private Map<String, String> fromJson(String s) {
        try {
            return s == null || s.isEmpty() ? Collections.emptyMap() : json.readValue(s, OPTIONS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored key options are not valid JSON", e);
        }
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 1000 ? s : s.substring(0, 1000);
    }
}
