package io.keyward.keys;

import io.keyward.envelope.DerivedKey;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Encrypt side: one live DEK per tenant key, shared by every message until it reaches its max age, max
 * messages or max bytes; then the next caller generates a replacement. Concurrent misses for one tenant key
 * coalesce into one load (single flight). Not a CDI bean: {@link DekCaches} owns it.
 */
final class EncryptDekCache {
    /** NIST SP 800-38D §8.3: random 96-bit nonces allow at most 2^32 messages per key; we stay far below. */
    static final long HARD_MAX_MESSAGES = 1L << 30;
    /** Keeps the per-key data volume well inside AES-GCM's multi-message bounds. */
    static final long HARD_MAX_BYTES = 1L << 36;

    /** A DEK that seals messages: its key id, wrapped bytes and derived key, plus usage counters. */
    static final class ActiveDek {
        final String keyId;
        final byte[] wrapped;
        final DerivedKey key;
        final long createdNanos;
        private final AtomicLong messages = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();

        ActiveDek(String keyId, byte[] wrapped, DerivedKey key, long createdNanos) {
            this.keyId = keyId;
            this.wrapped = wrapped;
            this.key = key;
            this.createdNanos = createdNanos;
        }

        /** Claims one message of {@code size} bytes; false when a limit is reached (the DEK is then spent). */
        boolean tryUse(long size, long now, Limits limits) {
            if (now - createdNanos >= limits.maxAgeNanos()) {
                return false;
            }
            if (messages.incrementAndGet() > limits.maxMessages()) {
                return false;
            }
            long total = bytes.addAndGet(size);
            // The first message always fits, so an item larger than max-bytes still gets a DEK of its own.
            return total == size || total <= limits.maxBytes();
        }

        boolean expired(long now, Limits limits) {
            return now - createdNanos >= limits.maxAgeNanos();
        }
    }

    record Limits(long maxAgeNanos, long maxMessages, long maxBytes) {
        Limits {
            maxMessages = Math.min(maxMessages, HARD_MAX_MESSAGES);
            maxBytes = Math.min(maxBytes, HARD_MAX_BYTES);
        }
    }

    @FunctionalInterface
    interface Loader {
        ActiveDek load();
    }

    private static final class Slot {
        volatile ActiveDek current;
        CompletableFuture<ActiveDek> loading;
    }

    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();
    private final Limits limits;

    EncryptDekCache(Limits limits) {
        this.limits = limits;
    }

    /**
     * A DEK for one message of {@code size} bytes under tenant key {@code keyId}. {@code hit} receives whether
     * it came from the cache.
     */
    ActiveDek acquire(String keyId, long size, Loader loader, java.util.function.Consumer<Boolean> hit) {
        Slot slot = slots.computeIfAbsent(keyId, k -> new Slot());
        int ownLoads = 0;
        while (true) {
            ActiveDek d = slot.current;
            if (d != null && d.tryUse(size, System.nanoTime(), limits)) {
                hit.accept(true);
                return d;
            }
            CompletableFuture<ActiveDek> f;
            boolean owner = false;
            synchronized (slot) {
                if (slot.current != d && slot.current != null) {
                    continue; // someone replaced it while we looked
                }
                if (slot.loading == null) {
                    slot.loading = new CompletableFuture<>();
                    owner = true;
                }
                f = slot.loading;
            }
            if (owner) {
                hit.accept(false);
                try {
                    ActiveDek fresh = loader.load();
                    // Claim our own message before publishing, so a burst cannot spend the new DEK first.
                    boolean mine = fresh.tryUse(size, System.nanoTime(), limits);
                    synchronized (slot) {
                        slot.current = fresh;
                        slot.loading = null;
                    }
                    f.complete(fresh);
                    if (mine) {
                        return fresh;
                    }
                    // A DEK we just made could not take even our message: limits are misconfigured.
                    if (++ownLoads >= 8) {
                        throw new IllegalStateException("a fresh data key cannot seal one message; check keyward.cache.*");
                    }
                } catch (RuntimeException | Error e) {
                    synchronized (slot) {
                        slot.loading = null;
                    }
                    f.completeExceptionally(e);
                    throw e;
                }
            } else {
                ActiveDek fresh = join(f);
                if (fresh.tryUse(size, System.nanoTime(), limits)) {
                    hit.accept(true);
                    return fresh;
                }
                // Others spent the new DEK first: that is progress, not failure; go round again.
            }
        }
    }

    boolean holds(String keyId) {
        return slots.containsKey(keyId);
    }

    /** Drops the live DEK of a tenant key (revocation). */
    void purge(String keyId) {
        Slot slot = slots.remove(keyId);
        if (slot != null) {
            slot.current = null;
        }
    }

    /** Drops DEKs past their max age, so their key material does not linger in memory. */
    void sweep() {
        long now = System.nanoTime();
        slots.forEach((id, slot) -> {
            ActiveDek d = slot.current;
            if (d == null || d.expired(now, limits)) {
                synchronized (slot) {
                    if (slot.current == d && slot.loading == null) {
                        slots.remove(id, slot);
                    }
                }
            }
        });
    }

    Set<String> keyIds() {
        return Set.copyOf(slots.keySet());
    }

    /** Live DEKs held (keyward_dek_cache_entries{cache="encrypt"}); at most one per tenant key. */
    long size() {
        return slots.values().stream().filter(s -> s.current != null).count();
    }

    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }
}
