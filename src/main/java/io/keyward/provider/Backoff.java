package io.keyward.provider;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The retry pause every provider that retries by itself uses: exponential with "equal jitter" (half fixed, half
 * random, so a burst of callers spreads out; https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 * Providers whose SDK retries (AWS, GCP) configure the SDK's own policy instead.
 */
public final class Backoff {
    private Backoff() {
    }

    /**
     * A pause in nanoseconds before retry number {@code retry} (0 for the first): {@code base << retry}, at most
     * {@code capNanos}, of which the upper half is random.
     */
    public static long equalJitterNanos(long baseNanos, int retry, long capNanos) {
        long exp = Math.max(1, baseNanos) << Math.min(Math.max(retry, 0), 20);
        long cap = Math.min(capNanos, exp <= 0 ? capNanos : exp);
        long half = cap / 2;
        return half + ThreadLocalRandom.current().nextLong(half + 1);
    }
}
