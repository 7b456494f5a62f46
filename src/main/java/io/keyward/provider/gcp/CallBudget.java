package io.keyward.provider.gcp;

import io.keyward.provider.KeyUnavailableException;

import java.time.Duration;

/**
 * The time one SPI call ({@code wrap}, {@code unwrap}, {@code check}) may still spend: opening a client and every
 * RPC it makes draw from the same deadline, so a caller is never held longer than {@code ProviderSettings.deadline}
 * even when one call makes several RPCs.
 */
final class CallBudget {
    private final long endNanos;

    private CallBudget(long endNanos) {
        this.endNanos = endNanos;
    }

    static CallBudget of(Duration deadline) {
        return new CallBudget(System.nanoTime() + deadline.toNanos());
    }

    /** Time left; throws {@link KeyUnavailableException} once the deadline has passed. */
    Duration remaining(String what) {
        long left = endNanos - System.nanoTime();
        if (left <= 1_000_000L) {
            throw new KeyUnavailableException(what + ": keyward's deadline for this call passed");
        }
        return Duration.ofNanos(left);
    }
}
