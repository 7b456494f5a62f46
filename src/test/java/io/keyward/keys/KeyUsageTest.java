package io.keyward.keys;

import io.keyward.tenant.KeyHealth;
import io.keyward.tenant.KeyStatus;
import io.keyward.tenant.TenantKey;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Last use per key: every use counts in memory, the database sees at most one write a minute per key. */
class KeyUsageTest {
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final List<String> writes = new ArrayList<>();

    private static TenantKey key(String id) {
        return new TenantKey(id, "acme", "local", "local:k", Map.of(), KeyStatus.DECRYPT_ONLY, KeyHealth.AVAILABLE,
                null, Instant.EPOCH, Instant.EPOCH);
    }

    @Test
    void everyUseCountsInMemoryButTheDatabaseIsWrittenAtMostOnceAMinutePerKey() {
        KeyUsage usage = new KeyUsage((k, at) -> writes.add(k.id() + "@" + at.toEpochMilli()), clock::get);
        TenantKey a = key("tk_a");
        usage.used(a);
        clock.addAndGet(59_999);
        usage.used(a);
        assertEquals(List.of("tk_a@1000000"), writes, "a second use within the minute is not written");
        assertEquals(Optional.of(Instant.ofEpochMilli(1_059_999)), usage.lastUsedHere("tk_a"));

        clock.addAndGet(1);
        usage.used(a);
        usage.used(key("tk_b"));
        assertEquals(List.of("tk_a@1000000", "tk_a@1060000", "tk_b@1060000"), writes);
    }

    @Test
    void aFailedWriteIsRetriedByTheNextUse() {
        List<Instant> ok = new ArrayList<>();
        boolean[] fail = {true};
        KeyUsage usage = new KeyUsage((k, at) -> {
            if (fail[0]) {
                throw new IllegalStateException("database down");
            }
            ok.add(at);
        }, clock::get);
        usage.used(key("tk_a"));
        fail[0] = false;
        clock.addAndGet(1);
        usage.used(key("tk_a"));
        assertEquals(List.of(Instant.ofEpochMilli(1_000_001)), ok);
    }

    @Test
    void aForgottenKeyHasNoUseHere() {
        KeyUsage usage = new KeyUsage((k, at) -> { }, clock::get);
        usage.used(key("tk_a"));
        usage.forget("tk_a");
        assertEquals(Optional.empty(), usage.lastUsedHere("tk_a"));
    }
}
