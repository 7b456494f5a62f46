package io.keyward.keys;

import io.keyward.envelope.DerivedKey;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decrypt-side DEK cache on its own: hits, single flight, failures, per-key purge and the size bound. */
class DecryptDekCacheTest {
    private static final Duration HOUR = Duration.ofHours(1);
    private static final byte[] AAD = "aad".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final class CountingLoader implements Supplier<DerivedKey> {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public DerivedKey get() {
            calls.incrementAndGet();
            return DerivedKey.derive(new byte[DerivedKey.DEK_BYTES]);
        }
    }

    private static final Supplier<DerivedKey> REFUSE = () -> {
        throw new IllegalStateException("the provider must not be asked");
    };

    private static DecryptDekCache.Key key(String keyId, int n) {
        return DecryptDekCache.key(keyId, AAD, new byte[] {(byte) (n >>> 8), (byte) n, 42});
    }

    /** Whether {@code k} is cached, without loading it (a refusing loader leaves nothing behind). */
    private static boolean cached(DecryptDekCache c, DecryptDekCache.Key k) {
        boolean[] hit = new boolean[1];
        try {
            c.get(k, REFUSE, h -> hit[0] = h);
        } catch (IllegalStateException e) {
            return false;
        }
        return hit[0];
    }

    @Test
    void keyBindsKeyIdAadAndWrappedBytes() {
        byte[] w = {1, 2, 3};
        DecryptDekCache.Key k = DecryptDekCache.key("tk_a", AAD, w);
        assertEquals(k, DecryptDekCache.key("tk_a", AAD, w.clone()));
        assertEquals(k.hashCode(), DecryptDekCache.key("tk_a", AAD, w.clone()).hashCode());
        assertNotEquals(k, DecryptDekCache.key("tk_b", AAD, w));
        assertNotEquals(k, DecryptDekCache.key("tk_a", "aaD".getBytes(), w));
        assertNotEquals(k, DecryptDekCache.key("tk_a", AAD, new byte[] {1, 2, 4}));
        assertEquals(32, k.digest().length);
        assertFalse(k.toString().contains(java.util.HexFormat.of().formatHex(k.digest())), "no digest in logs");
    }

    @Test
    void missLoadsOnceThenHits() {
        DecryptDekCache c = new DecryptDekCache(HOUR, 100);
        CountingLoader loader = new CountingLoader();
        List<Boolean> hits = new ArrayList<>();
        DecryptDekCache.Key k = key("tk_a", 1);

        DerivedKey first = c.get(k, loader, hits::add);
        DerivedKey second = c.get(key("tk_a", 1), loader, hits::add);

        assertSame(first, second);
        assertEquals(1, loader.calls.get());
        assertEquals(List.of(false, true), hits);
        assertEquals(Set.of("tk_a"), c.keyIds());
    }

    @Test
    void seededDekOpensWithoutLoad() {
        DecryptDekCache c = new DecryptDekCache(HOUR, 100);
        DerivedKey seeded = DerivedKey.derive(new byte[DerivedKey.DEK_BYTES]);
        c.put(key("tk_a", 1), seeded);
        assertSame(seeded, c.get(key("tk_a", 1), REFUSE, h -> assertTrue(h)));
        assertEquals(Set.of("tk_a"), c.keyIds());
    }

    @Test
    void sixtyFourConcurrentMissesMakeExactlyOneLoad() throws InterruptedException {
        DecryptDekCache c = new DecryptDekCache(HOUR, 100);
        AtomicInteger loads = new AtomicInteger();
        AtomicInteger misses = new AtomicInteger();
        DecryptDekCache.Key k = key("tk_a", 7);
        try (Stampede s = new Stampede(64)) {
            Supplier<DerivedKey> slow = () -> {
                loads.incrementAndGet();
                s.awaitOthersParked(Duration.ofSeconds(10));
                return DerivedKey.derive(new byte[DerivedKey.DEK_BYTES]);
            };
            List<Stampede.Outcome<DerivedKey>> out = s.run(() -> c.get(k, slow, hit -> {
                if (!hit) {
                    misses.incrementAndGet();
                }
            }));

            assertEquals(1, loads.get(), "64 concurrent misses for one wrapped DEK must make one unwrap");
            assertEquals(1, misses.get());
            assertTrue(out.stream().allMatch(o -> o.error() == null), () -> "errors: " + errors(out));
            assertEquals(1, out.stream().map(Stampede.Outcome::value).distinct().count());
        }
    }

    @Test
    void failedLoadReachesEveryWaiterAndIsNotCached() throws InterruptedException {
        DecryptDekCache c = new DecryptDekCache(HOUR, 100);
        AtomicInteger loads = new AtomicInteger();
        IllegalStateException boom = new IllegalStateException("unwrap failed");
        DecryptDekCache.Key k = key("tk_a", 7);
        try (Stampede s = new Stampede(64)) {
            Supplier<DerivedKey> failing = () -> {
                loads.incrementAndGet();
                s.awaitOthersParked(Duration.ofSeconds(10));
                throw boom;
            };
            List<Stampede.Outcome<DerivedKey>> out = s.run(() -> c.get(k, failing, h -> { }));

            assertEquals(1, loads.get());
            assertTrue(out.stream().allMatch(o -> o.value() == null && o.error() == boom),
                    () -> "every waiter must see the loader's exception; got " + errors(out));
        }
        CountingLoader ok = new CountingLoader();
        c.get(k, ok, h -> assertFalse(h, "a failed load must not be served as a hit"));
        assertEquals(1, ok.calls.get(), "the next request asks the provider again");
    }

    /**
     * A failed unwrap (for example a tampered wrapped DEK in an attacker's envelope) must leave nothing behind:
     * not in the cache, and not in the per-key index either, or the index grows without bound (it is not
     * covered by the cache's size limit) and the prober keeps probing a key with nothing cached.
     */
    @Test
    void failedLoadsLeaveNothingInThePerKeyIndex() {
        DecryptDekCache c = new DecryptDekCache(HOUR, 100);
        for (int i = 0; i < 1_000; i++) {
            DecryptDekCache.Key k = key("tk_a", i);
            assertThrows(IllegalStateException.class, () -> c.get(k, REFUSE, h -> { }));
        }
        assertEquals(Set.of(), c.keyIds(), "no DEK of tk_a is cached, so tk_a must not be reported as cached");
    }

    @Test
    void purgeRemovesOnlyThatKeyIdsEntries() {
        DecryptDekCache c = new DecryptDekCache(HOUR, 1_000);
        CountingLoader loader = new CountingLoader();
        for (int i = 0; i < 20; i++) {
            c.get(key("tk_a", i), loader, h -> { });
            c.get(key("tk_b", i), loader, h -> { });
        }
        assertEquals(Set.of("tk_a", "tk_b"), c.keyIds());

        c.purge("tk_a");

        assertEquals(Set.of("tk_b"), c.keyIds());
        for (int i = 0; i < 20; i++) {
            assertFalse(cached(c, key("tk_a", i)), "tk_a entry " + i + " must be gone");
            assertTrue(cached(c, key("tk_b", i)), "tk_b entry " + i + " must survive");
        }
        c.purge("tk_unknown"); // no-op
        assertTrue(cached(c, key("tk_b", 0)));
    }

    @Test
    void sizeIsBounded() {
        int max = 10;
        DecryptDekCache c = new DecryptDekCache(HOUR, max);
        CountingLoader loader = new CountingLoader();
        for (int i = 0; i < 200; i++) {
            c.get(key(i % 2 == 0 ? "tk_a" : "tk_b", i), loader, h -> { });
        }
        c.cleanUp();
        long present = 0;
        for (int i = 0; i < 200; i++) {
            if (cached(c, key(i % 2 == 0 ? "tk_a" : "tk_b", i))) {
                present++;
            }
        }
        assertTrue(present <= max, "at most " + max + " DEKs cached; found " + present);
        assertTrue(present > 0, "the cache still holds something");
    }

    @Test
    void expiredEntriesLeaveTheIndex() throws InterruptedException {
        DecryptDekCache c = new DecryptDekCache(Duration.ofMillis(200), 100);
        c.get(key("tk_a", 1), new CountingLoader(), h -> { });
        assertEquals(Set.of("tk_a"), c.keyIds());
        Thread.sleep(400);
        assertEquals(Set.of(), c.keyIds(), "a key whose DEKs all expired has nothing cached to probe");
        assertFalse(cached(c, key("tk_a", 1)));
    }

    @Test
    void derivedKeyFromCacheIsTheOneTheLoaderMade() {
        DecryptDekCache c = new DecryptDekCache(HOUR, 100);
        byte[] dek = new byte[DerivedKey.DEK_BYTES];
        dek[0] = 9;
        DerivedKey made = DerivedKey.derive(dek);
        DerivedKey got = c.get(key("tk_a", 3), () -> made, h -> { });
        assertArrayEquals(made.commitment(), got.commitment());
    }

    private static String errors(List<? extends Stampede.Outcome<?>> out) {
        return out.stream().filter(o -> o.error() != null).map(o -> String.valueOf(o.error()))
                .collect(Collectors.groupingBy(e -> e, Collectors.counting())).toString();
    }
}
