package io.keyward.keys;

import io.keyward.envelope.DerivedKey;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The encrypt-side DEK cache on its own: usage limits, purge, sweep and single flight. */
class EncryptDekCacheTest {
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final DerivedKey KEY = DerivedKey.derive(new byte[DerivedKey.DEK_BYTES]);

    /** Counts loads and hands out DEKs whose wrapped bytes carry the load number, so tests can tell them apart. */
    private static final class CountingLoader implements EncryptDekCache.Loader {
        final String keyId;
        final AtomicInteger calls = new AtomicInteger();

        CountingLoader(String keyId) {
            this.keyId = keyId;
        }

        @Override
        public EncryptDekCache.ActiveDek load() {
            int n = calls.incrementAndGet();
            return new EncryptDekCache.ActiveDek(keyId, new byte[] {(byte) n}, KEY, System.nanoTime());
        }
    }

    private static EncryptDekCache cache(long maxAgeNanos, long maxMessages, long maxBytes) {
        return new EncryptDekCache(new EncryptDekCache.Limits(maxAgeNanos, maxMessages, maxBytes));
    }

    private static EncryptDekCache.ActiveDek acquire(EncryptDekCache c, String keyId, long size,
            EncryptDekCache.Loader loader) {
        return c.acquire(keyId, size, loader, hit -> { });
    }

    @Test
    void oneDekServesEveryMessageUntilMaxMessagesThenRotates() {
        EncryptDekCache c = cache(HOUR, 3, Long.MAX_VALUE);
        CountingLoader loader = new CountingLoader("tk_a");
        List<Boolean> hits = new java.util.ArrayList<>();

        EncryptDekCache.ActiveDek first = c.acquire("tk_a", 10, loader, hits::add);
        assertSame(first, c.acquire("tk_a", 10, loader, hits::add));
        assertSame(first, c.acquire("tk_a", 10, loader, hits::add));
        EncryptDekCache.ActiveDek fourth = c.acquire("tk_a", 10, loader, hits::add);

        assertNotSame(first, fourth, "the 4th message must get a new DEK when max-messages is 3");
        assertEquals(2, loader.calls.get());
        assertEquals(List.of(false, true, true, false), hits);
        assertSame(fourth, c.acquire("tk_a", 10, loader, hits::add), "the new DEK is the live one");
    }

    @Test
    void rotatesWhenMaxBytesWouldBeExceeded() {
        EncryptDekCache c = cache(HOUR, Long.MAX_VALUE, 100);
        CountingLoader loader = new CountingLoader("tk_a");

        EncryptDekCache.ActiveDek first = acquire(c, "tk_a", 60, loader);
        assertSame(first, acquire(c, "tk_a", 40, loader), "exactly max-bytes still fits");
        EncryptDekCache.ActiveDek second = acquire(c, "tk_a", 1, loader);

        assertNotSame(first, second);
        assertEquals(2, loader.calls.get());
    }

    @Test
    void itemLargerThanMaxBytesStillGetsADekOfItsOwn() {
        EncryptDekCache c = cache(HOUR, Long.MAX_VALUE, 100);
        CountingLoader loader = new CountingLoader("tk_a");

        EncryptDekCache.ActiveDek small = acquire(c, "tk_a", 10, loader);
        EncryptDekCache.ActiveDek big = acquire(c, "tk_a", 1_000, loader);
        EncryptDekCache.ActiveDek after = acquire(c, "tk_a", 1, loader);

        assertNotSame(small, big, "the big item must not be sealed under the partly used DEK");
        assertNotSame(big, after, "the big item spent its DEK: the next message needs another");
        assertEquals(3, loader.calls.get());
    }

    @Test
    void rotatesWhenMaxAgeIsReached() throws InterruptedException {
        long maxAge = TimeUnit.MILLISECONDS.toNanos(300);
        EncryptDekCache c = cache(maxAge, Long.MAX_VALUE, Long.MAX_VALUE);
        CountingLoader loader = new CountingLoader("tk_a");

        EncryptDekCache.ActiveDek first = acquire(c, "tk_a", 1, loader);
        assertSame(first, acquire(c, "tk_a", 1, loader));
        Thread.sleep(400);
        EncryptDekCache.ActiveDek second = acquire(c, "tk_a", 1, loader);

        assertNotSame(first, second, "a DEK older than max-age must not seal new messages");
        assertEquals(2, loader.calls.get());
    }

    @Test
    void purgeDropsOnlyThatKeysDek() {
        EncryptDekCache c = cache(HOUR, Long.MAX_VALUE, Long.MAX_VALUE);
        CountingLoader a = new CountingLoader("tk_a");
        CountingLoader b = new CountingLoader("tk_b");
        EncryptDekCache.ActiveDek a1 = acquire(c, "tk_a", 1, a);
        EncryptDekCache.ActiveDek b1 = acquire(c, "tk_b", 1, b);
        assertEquals(Set.of("tk_a", "tk_b"), c.keyIds());

        c.purge("tk_a");

        assertEquals(Set.of("tk_b"), c.keyIds());
        assertNotSame(a1, acquire(c, "tk_a", 1, a), "a purged key must load a new DEK");
        assertEquals(2, a.calls.get());
        assertSame(b1, acquire(c, "tk_b", 1, b), "another key's DEK survives the purge");
        assertEquals(1, b.calls.get());
        c.purge("tk_unknown"); // no-op, no exception
    }

    @Test
    void sweepDropsExpiredDeksAndKeepsLiveOnes() throws InterruptedException {
        long maxAge = TimeUnit.MILLISECONDS.toNanos(300);
        EncryptDekCache c = cache(maxAge, Long.MAX_VALUE, Long.MAX_VALUE);
        CountingLoader old = new CountingLoader("tk_old");
        acquire(c, "tk_old", 1, old);
        Thread.sleep(400);
        CountingLoader fresh = new CountingLoader("tk_fresh");
        EncryptDekCache.ActiveDek live = acquire(c, "tk_fresh", 1, fresh);

        c.sweep();

        assertEquals(Set.of("tk_fresh"), c.keyIds(), "only the expired DEK is swept");
        assertSame(live, acquire(c, "tk_fresh", 1, fresh));
        assertEquals(1, fresh.calls.get());
    }

    @Test
    void hardCapsClampConfiguredLimits() {
        EncryptDekCache.Limits l = new EncryptDekCache.Limits(HOUR, Long.MAX_VALUE, Long.MAX_VALUE);
        assertEquals(1L << 30, l.maxMessages());
        assertEquals(1L << 36, l.maxBytes());
        EncryptDekCache.Limits small = new EncryptDekCache.Limits(HOUR, 5, 7);
        assertEquals(5, small.maxMessages(), "limits below the caps are kept");
        assertEquals(7, small.maxBytes());

        // Behaviour, not just the record: with max-bytes configured as Long.MAX_VALUE, a DEK still rotates once
        // 2^36 bytes have been sealed under it.
        EncryptDekCache c = cache(HOUR, Long.MAX_VALUE, Long.MAX_VALUE);
        CountingLoader loader = new CountingLoader("tk_a");
        EncryptDekCache.ActiveDek first = acquire(c, "tk_a", (1L << 36) - 1, loader);
        assertSame(first, acquire(c, "tk_a", 1, loader), "exactly 2^36 bytes fit");
        assertNotSame(first, acquire(c, "tk_a", 1, loader), "byte 2^36 + 1 needs a new DEK");
    }

    @Test
    void sixtyFourConcurrentMissesMakeExactlyOneLoad() throws InterruptedException {
        EncryptDekCache c = cache(HOUR, Long.MAX_VALUE, Long.MAX_VALUE);
        AtomicInteger loads = new AtomicInteger();
        AtomicInteger misses = new AtomicInteger();
        try (Stampede s = new Stampede(64)) {
            EncryptDekCache.Loader slow = () -> {
                loads.incrementAndGet();
                s.awaitOthersParked(Duration.ofSeconds(10));
                sleep(20);
                return new EncryptDekCache.ActiveDek("tk_a", new byte[] {1}, KEY, System.nanoTime());
            };
            List<Stampede.Outcome<EncryptDekCache.ActiveDek>> out = s.run(
                    () -> c.acquire("tk_a", 16, slow, hit -> {
                        if (!hit) {
                            misses.incrementAndGet();
                        }
                    }));

            assertEquals(1, loads.get(), "64 concurrent misses for one key must coalesce into one load");
            assertEquals(1, misses.get(), "only the loading thread counts as a miss");
            assertTrue(out.stream().allMatch(o -> o.error() == null), () -> "errors: " + errors(out));
            assertEquals(1, out.stream().map(Stampede.Outcome::value).distinct().count(),
                    "every thread seals under the same DEK");
        }
    }

    @Test
    void loaderFailureReachesEveryWaiterAndTheNextCallRetries() throws InterruptedException {
        EncryptDekCache c = cache(HOUR, Long.MAX_VALUE, Long.MAX_VALUE);
        AtomicInteger loads = new AtomicInteger();
        IllegalStateException boom = new IllegalStateException("provider said no");
        try (Stampede s = new Stampede(64)) {
            EncryptDekCache.Loader failing = () -> {
                loads.incrementAndGet();
                s.awaitOthersParked(Duration.ofSeconds(10));
                throw boom;
            };
            List<Stampede.Outcome<EncryptDekCache.ActiveDek>> out = s.run(
                    () -> acquire(c, "tk_a", 16, failing));

            assertEquals(1, loads.get());
            assertTrue(out.stream().allMatch(o -> o.value() == null && o.error() == boom),
                    () -> "every waiter must see the loader's own exception; got " + errors(out));
        }
        CountingLoader ok = new CountingLoader("tk_a");
        EncryptDekCache.ActiveDek d = acquire(c, "tk_a", 16, ok);
        assertEquals(1, ok.calls.get(), "a failed load is not cached: the next call loads again");
        assertSame(d, acquire(c, "tk_a", 16, ok));
    }

    @Test
    void failedLoadLeavesNoDekBehind() {
        EncryptDekCache c = cache(HOUR, Long.MAX_VALUE, Long.MAX_VALUE);
        assertThrows(IllegalStateException.class, () -> acquire(c, "tk_a", 1, () -> {
            throw new IllegalStateException("revoked");
        }));
        CountingLoader ok = new CountingLoader("tk_a");
        acquire(c, "tk_a", 1, ok);
        assertEquals(1, ok.calls.get());
    }

    /**
     * With a small max-messages and a burst of concurrent callers, every caller must still get a DEK (each
     * rotation is progress); none may fail with "could not obtain a data key after repeated rotation".
     */
    @Test
    void burstLargerThanMaxMessagesGivesEveryCallerADek() throws InterruptedException {
        EncryptDekCache c = cache(HOUR, 1, Long.MAX_VALUE);
        AtomicInteger loads = new AtomicInteger();
        Set<EncryptDekCache.ActiveDek> deks = ConcurrentHashMap.newKeySet();
        try (Stampede s = new Stampede(64)) {
            EncryptDekCache.Loader loader = () -> {
                int n = loads.incrementAndGet();
                if (n == 1) {
                    s.awaitOthersParked(Duration.ofSeconds(10));
                }
                sleep(5); // a KMS round trip takes milliseconds, long enough for the other callers to queue up
                return new EncryptDekCache.ActiveDek("tk_a", new byte[] {(byte) n}, KEY, System.nanoTime());
            };
            List<Stampede.Outcome<EncryptDekCache.ActiveDek>> out = s.run(() -> {
                EncryptDekCache.ActiveDek d = acquire(c, "tk_a", 1, loader);
                deks.add(d);
                return d;
            });

            assertTrue(out.stream().allMatch(o -> o.error() == null), () -> "errors: " + errors(out));
            assertEquals(64, deks.size(), "max-messages=1: every message has a DEK of its own");
        }
    }

    @Test
    void emptyCacheHasNoKeyIds() {
        EncryptDekCache c = cache(HOUR, 1, 1);
        assertTrue(c.keyIds().isEmpty());
        c.sweep();
        assertTrue(c.keyIds().isEmpty());
    }

    private static String errors(List<? extends Stampede.Outcome<?>> out) {
        return out.stream().filter(o -> o.error() != null).map(o -> String.valueOf(o.error()))
                .collect(Collectors.groupingBy(e -> e, Collectors.counting())).toString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
