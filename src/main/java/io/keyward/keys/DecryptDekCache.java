package io.keyward.keys;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.keyward.envelope.DerivedKey;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Decrypt side: SHA-256(tenant key id, wrap AAD, wrapped DEK) → derived key, bounded in size (Caffeine's
 * W-TinyLFU, close to LRU for this access pattern) and in age. Concurrent misses for one wrapped DEK coalesce
 * into one unwrap. A per-tenant-key index makes a purge cost O(entries of that key), not O(cache).
 */
final class DecryptDekCache {

    record Key(String keyId, byte[] digest) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && keyId.equals(k.keyId) && Arrays.equals(digest, k.digest);
        }

        @Override
        public int hashCode() {
            return 31 * keyId.hashCode() + Arrays.hashCode(digest);
        }

        @Override
        public String toString() {
            return "Key[" + keyId + "]";
        }
    }

    private final AsyncCache<Key, DerivedKey> cache;
    private final ConcurrentHashMap<String, Set<Key>> byKeyId = new ConcurrentHashMap<>();

    DecryptDekCache(Duration maxAge, long maxEntries) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .expireAfterWrite(maxAge)
                // Synchronous with the removal itself, so a reload of the same key is indexed after, never before.
                .evictionListener((Key k, DerivedKey v, RemovalCause cause) -> unindex(k))
                .buildAsync();
    }

    static Key key(String keyId, byte[] aad, byte[] wrapped) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(keyId.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            sha.update((byte) 0);
            sha.update(intBytes(aad.length));
            sha.update(aad);
            sha.update(wrapped);
            return new Key(keyId, sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the cached key or runs {@code loader} once for all concurrent callers of the same key. */
    DerivedKey get(Key key, Supplier<DerivedKey> loader, java.util.function.Consumer<Boolean> hit) {
        CompletableFuture<DerivedKey> existing = cache.getIfPresent(key);
        if (existing != null) {
            hit.accept(true);
            return EncryptDekCache.join(existing);
        }
        CompletableFuture<DerivedKey> mine = new CompletableFuture<>();
        CompletableFuture<DerivedKey> raced = cache.asMap().putIfAbsent(key, mine);
        if (raced != null) {
            hit.accept(true);
            return EncryptDekCache.join(raced);
        }
        hit.accept(false);
        byKeyId.computeIfAbsent(key.keyId(), k -> ConcurrentHashMap.newKeySet()).add(key);
        try {
            DerivedKey value = loader.get();
            mine.complete(value);
            return value;
        } catch (RuntimeException | Error e) {
            // A failed load leaves nothing behind: the next request asks the provider again.
            // Removed and unindexed atomically, as the eviction listener does for evictions.
            cache.asMap().compute(key, (k, v) -> {
                if (v != mine) {
                    return v;
                }
                unindex(k);
                return null;
            });
            mine.completeExceptionally(e);
            throw e;
        }
    }

    /** Seeds the cache with a DEK this replica just generated, so its own envelopes open without an unwrap. */
    void put(Key key, DerivedKey value) {
        byKeyId.computeIfAbsent(key.keyId(), k -> ConcurrentHashMap.newKeySet()).add(key);
        cache.put(key, CompletableFuture.completedFuture(value));
    }

    void purge(String keyId) {
        Set<Key> keys = byKeyId.remove(keyId);
        if (keys != null) {
            cache.synchronous().invalidateAll(keys);
        }
    }

    Set<String> keyIds() {
        cache.synchronous().cleanUp();
        return Set.copyOf(byKeyId.keySet());
    }

    boolean holds(String keyId) {
        return byKeyId.containsKey(keyId);
    }

    void cleanUp() {
        cache.synchronous().cleanUp();
    }

    /** DEKs held (keyward_dek_cache_entries{cache="decrypt"}); Caffeine's estimate, exact once cleaned up. */
    long size() {
        return cache.synchronous().estimatedSize();
    }

    private void unindex(Key k) {
        byKeyId.computeIfPresent(k.keyId(), (id, set) -> {
            set.remove(k);
            return set.isEmpty() ? null : set;
        });
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
