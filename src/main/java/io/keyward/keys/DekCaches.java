package io.keyward.keys;

import io.keyward.config.KeywardConfig;
import io.quarkus.scheduler.Scheduled;
import jakarta.inject.Singleton;

import java.util.HashSet;
import java.util.Set;

/** Both DEK caches, built from configuration, purged together. */
@Singleton
public class DekCaches {
    final EncryptDekCache encrypt;
    final DecryptDekCache decrypt;
    final boolean enabled;

    public DekCaches(KeywardConfig config) {
        KeywardConfig.Cache c = config.cache();
        if (c.maxAge().isNegative() || c.maxMessages() < 1 || c.maxBytes() < 1 || c.decryptMaxEntries() < 1) {
            throw new IllegalArgumentException("keyward.cache.*: max-age must be >= 0; max-messages, max-bytes and "
                    + "decrypt-max-entries must be >= 1");
        }
        this.enabled = !c.maxAge().isZero();
        this.encrypt = new EncryptDekCache(new EncryptDekCache.Limits(c.maxAge().toNanos(), c.maxMessages(),
                c.maxBytes()));
        this.decrypt = new DecryptDekCache(c.maxAge(), c.decryptMaxEntries());
    }

    /** Drops every cached DEK of one tenant key. */
    public void purge(String keyId) {
        encrypt.purge(keyId);
        decrypt.purge(keyId);
    }

    /** Whether any DEK of this tenant key is cached right now. */
    public boolean holds(String keyId) {
        return encrypt.holds(keyId) || decrypt.holds(keyId);
    }

    /** Tenant keys that currently have cached DEKs: what the health prober must watch. */
    public Set<String> cachedKeyIds() {
        Set<String> ids = new HashSet<>(encrypt.keyIds());
        ids.addAll(decrypt.keyIds());
        return ids;
    }

    void cleanUp() {
        decrypt.cleanUp();
    }

    @Scheduled(every = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        encrypt.sweep();
        decrypt.cleanUp();
    }
}
