package io.keyward.keys;

import io.keyward.tenant.TenantKey;
import io.keyward.tenant.TenantService;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * When each tenant key last unwrapped a DEK (cache hits included), for {@code :retire}. Kept in memory per key and
 * written to {@code tenant_key.last_used_at} at most once per {@link #WRITE_INTERVAL_MILLIS} per key, so the data
 * path pays one small UPDATE a minute per key, and other replicas see a use at most that late.
 */
@Singleton
public class KeyUsage {
    /** Longest a use on this replica can stay unwritten (documented as the staleness other replicas see). */
    static final long WRITE_INTERVAL_MILLIS = 60_000;
    private static final Logger LOG = Logger.getLogger(KeyUsage.class);

    private final BiConsumer<TenantKey, Instant> writer;
    private final LongSupplier clockMillis;
    private final ConcurrentHashMap<String, Use> uses = new ConcurrentHashMap<>();

    private static final class Use {
        final AtomicLong lastUsed = new AtomicLong(Long.MIN_VALUE);
        /** When this replica last wrote the key's use; MIN_VALUE = never. */
        final AtomicLong lastWritten = new AtomicLong(Long.MIN_VALUE);
    }

    @Inject
    public KeyUsage(TenantService tenants) {
        this(tenants::recordKeyUse, System::currentTimeMillis);
    }

    KeyUsage(BiConsumer<TenantKey, Instant> writer, LongSupplier clockMillis) {
        this.writer = writer;
        this.clockMillis = clockMillis;
    }

    /** The key just unwrapped a DEK (from its provider or from a cache). */
    void used(TenantKey key) {
        long now = clockMillis.getAsLong();
        Use u = uses.computeIfAbsent(key.id(), id -> new Use());
        u.lastUsed.accumulateAndGet(now, Math::max);
        long written = u.lastWritten.get();
        if (written != Long.MIN_VALUE && now - written < WRITE_INTERVAL_MILLIS) {
            return;
        }
        // One thread per key and interval writes; the rest go on without touching the database.
        if (!u.lastWritten.compareAndSet(written, now)) {
            return;
        }
        try {
            writer.accept(key, Instant.ofEpochMilli(now));
        } catch (RuntimeException e) {
            // A decrypt must not fail because its bookkeeping could not be written; the next use tries again.
            u.lastWritten.compareAndSet(now, written);
            LOG.debugf("could not record use of key %s: %s", key.id(), e.getMessage());
        }
    }

    /** The latest use seen on this replica, if any since it started. */
    Optional<Instant> lastUsedHere(String keyId) {
        Use u = uses.get(keyId);
        long t = u == null ? Long.MIN_VALUE : u.lastUsed.get();
        return t == Long.MIN_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(t));
    }

    /** Drops the in-memory record of a key that will never be used again. */
    void forget(String keyId) {
        uses.remove(keyId);
    }
}
