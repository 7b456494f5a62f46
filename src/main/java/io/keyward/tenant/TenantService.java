package io.keyward.tenant;

import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.config.KeywardConfig;
import io.keyward.db.Database;
import io.keyward.provider.KeySpec;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tenants and their key references. Data-plane lookups go through {@link #resolve}, an in-memory snapshot
 * refreshed from the database at most every {@link #SNAPSHOT_TTL_NANOS}; every write here replaces the
 * snapshot at once, so a revocation made on this replica is seen by its next request; another replica's is
 * pushed here by keys.RevocationListener. While the database is unreachable the last good snapshot is served,
 * never longer than {@code keyward.cache.max-age} after it was read.
 */
@ApplicationScoped
public class TenantService {
    /** Bounds how stale a snapshot written by another replica can be seen here. */
    static final long SNAPSHOT_TTL_NANOS = 5_000_000_000L;
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private static final Logger LOG = Logger.getLogger(TenantService.class);

    private final TenantStore store;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<String, Snapshot> snapshots = new ConcurrentHashMap<>();
    /** False while this replica may have missed another replica's revocation (keys.RevocationListener). */
    private volatile boolean snapshotsTrusted = true;
    /** Snapshots whose read began before this are never served (they may predate a missed notification). */
    private volatile long trustedSince = System.nanoTime();

    /** How long a snapshot may be served while the database cannot refresh it: the DEK max age. */
    private final long staleLimitNanos;

    /** While the database is unreachable, how often a stale snapshot is tried again. */
    private static final long STALE_RETRY_NANOS = 1_000_000_000L;

    /**
     * {@code loadedAt}: when the read began; a {@code null} tenant marks an invalidation at that time.
     * {@code stale}: kept through a failed refresh (database unreachable), not tried again before {@code retryAt}.
     */
    private record Snapshot(Tenant tenant, long loadedAt, long retryAt, boolean stale) {
        Snapshot(Tenant tenant, long loadedAt) {
            this(tenant, loadedAt, loadedAt + SNAPSHOT_TTL_NANOS, false);
        }

        static Snapshot newer(Snapshot a, Snapshot b) {
            return b.loadedAt - a.loadedAt >= 0 ? b : a;
        }
    }

    public TenantService(TenantStore store, KeywardConfig config) {
        this.store = store;
        this.staleLimitNanos = config.cache().maxAge().toNanos();
    }

    public Tenant create(String id, String name) {
        requireValidId(id);
        if (name == null || name.isBlank() || name.length() > 256) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST, "name is required, 1 to 256 characters");
        }
        if (!store.insert(id, name.strip(), Instant.now())) {
            throw KeywardException.of(ErrorCode.TENANT_EXISTS, "tenant '" + id + "' exists");
        }
        return get(id);
    }

    /** The tenant as stored now; refreshes the snapshot. */
    public Tenant get(String id) {
        requireValidId(id);
        long start = System.nanoTime();
        Tenant t = store.find(id).orElseThrow(() -> notFound(id));
        // A read that began before an invalidation must not replace it.
        snapshots.merge(id, new Snapshot(t, start), Snapshot::newer);
        return t;
    }

    /** The tenant for a data-plane request, from the snapshot when fresh. */
    public Tenant resolve(String id) {
        requireValidId(id);
        Snapshot s = snapshots.get(id);
        long at = System.nanoTime();
        if (s != null && s.tenant() != null && !s.stale() && snapshotsTrusted && s.loadedAt() - trustedSince >= 0
                && at - s.retryAt() < 0) {
            return s.tenant();
        }
        if (s != null && s.tenant() != null && s.stale() && at - s.retryAt() < 0 && at - s.loadedAt() < staleLimitNanos) {
            return s.tenant(); // the database failed a moment ago: not every request waits for it to fail again
        }
        try {
            return get(id);
        } catch (Database.DatabaseException e) {
            // Database down: the last good snapshot stays usable for as long as a cached DEK would be
            // (keyward.cache.max-age), never longer. While the database is down no replica can store a revocation
            // either; a replica cut off from it alone cannot learn one, and this bound is the one DESIGN.md already
            // accepts for cached DEKs. A snapshot dropped by another replica's notice (tenant null) is never served.
            long now = System.nanoTime();
            if (s != null && s.tenant() != null && now - s.loadedAt() < staleLimitNanos) {
                LOG.debugf("tenant %s served from its last snapshot: %s", id, e.getMessage());
                snapshots.replace(id, s, new Snapshot(s.tenant(), s.loadedAt(), now + STALE_RETRY_NANOS, true));
                return s.tenant();
            }
            throw e;
        }
    }

    /** Another replica changed this tenant's revocation state: the next request re-reads it. */
    public void forget(String id) {
        snapshots.merge(id, new Snapshot(null, System.nanoTime()), Snapshot::newer);
    }

    /** Until {@link #trustSnapshotsFromNow}, every data-plane request re-reads its tenant from the database. */
    public void distrustSnapshots() {
        snapshotsTrusted = false;
    }

    /** Snapshots read from now on may be served again; older ones never are (each tenant is re-read once). */
    public void trustSnapshotsFromNow() {
        trustedSince = System.nanoTime();
        snapshotsTrusted = true;
    }

    public List<Tenant> list(String afterId, int limit) {
        return store.list(afterId, limit);
    }

    /**
     * Stores a checked key reference as the tenant's primary key; the previous primary becomes DECRYPT_ONLY.
     * Options named in {@code secretNames} are stored sealed.
     */
    public TenantKey addPrimaryKey(String tenantId, KeySpec spec, java.util.Set<String> secretNames) {
        get(tenantId);
        Instant now = Instant.now();
        java.util.Map<String, String> options = new java.util.TreeMap<>();
        java.util.Map<String, String> secrets = new java.util.TreeMap<>();
        spec.options().forEach((k, v) -> (secretNames.contains(k) ? secrets : options).put(k, v));
        TenantKey key = new TenantKey(newKeyId(), tenantId, spec.provider(), spec.keyUri(), options,
                KeyStatus.PRIMARY, KeyHealth.AVAILABLE, null, now, now, secrets);
        store.insertPrimaryKey(key);
        get(tenantId);
        return key;
    }

    public TenantKey key(String tenantId, String keyId) {
        return get(tenantId).key(keyId)
                .orElseThrow(() -> KeywardException.of(ErrorCode.KEY_NOT_FOUND,
                        "tenant '" + tenantId + "' has no key '" + safe(keyId) + "'"));
    }

    public void updateKeyHealth(TenantKey key, KeyHealth health, String detail) {
        store.updateKeyHealth(key.id(), health, detail, Instant.now());
        get(key.tenantId());
    }

    public void restoreKeyHealth(TenantKey key) {
        store.restoreKeyHealth(key.id(), Instant.now());
        get(key.tenantId());
    }

    /** Notes that the key was used at {@code at} (callers throttle: at most once a minute per key). */
    public void recordKeyUse(TenantKey key, Instant at) {
        store.recordKeyUse(key.id(), at);
    }

    /** The last use of the key that any replica has written to the database. */
    public java.util.Optional<Instant> keyLastUsedAt(TenantKey key) {
        return store.keyLastUsedAt(key.id());
    }

    /**
     * Makes a DECRYPT_ONLY key RETIRED for good; refreshes the snapshot.
     *
     * @return false if the key was not DECRYPT_ONLY when the write happened
     */
    public boolean retireKey(TenantKey key) {
        boolean done = store.retireKey(key.tenantId(), key.id());
        get(key.tenantId());
        return done;
    }

    public Tenant setRevoked(String tenantId, boolean revoked, String reason) {
        get(tenantId);
        store.setRevoked(tenantId, revoked, reason, Instant.now());
        return get(tenantId);
    }

    public static void requireValidId(String id) {
        if (!Tenant.isValidId(id)) {
            throw KeywardException.of(ErrorCode.INVALID_REQUEST,
                    "tenant id must match ^[a-z0-9][a-z0-9-]{1,62}$");
        }
    }

    private KeywardException notFound(String id) {
        return KeywardException.of(ErrorCode.TENANT_NOT_FOUND, "tenant '" + id + "' does not exist");
    }

    private String newKeyId() {
        StringBuilder sb = new StringBuilder("tk_");
        for (int i = 0; i < 20; i++) {
            sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return sb.toString();
    }

    private static String safe(String s) {
        if (s == null) {
            return "";
        }
        String t = s.length() > 64 ? s.substring(0, 64) : s;
        return t.replaceAll("[^A-Za-z0-9_.-]", "?");
    }
}
