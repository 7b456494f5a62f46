package io.keyward.provider;

import java.time.Duration;

/**
 * Operational bounds every remote provider honours, from {@code keyward.providers.<id>.*}.
 *
 * @param attemptTimeout longest a single network attempt may take
 * @param maxRetries     retries after the first attempt, for retryable failures (throttling, 5xx, timeouts)
 * @param deadline       longest a whole call (all attempts and backoff) may take; a request thread is never held
 *                       longer than this by a provider
 */
public record ProviderSettings(Duration attemptTimeout, int maxRetries, Duration deadline) {
    public ProviderSettings {
        if (attemptTimeout.isNegative() || attemptTimeout.isZero() || deadline.isNegative() || deadline.isZero()
                || maxRetries < 0) {
            throw new IllegalArgumentException("provider timeouts must be positive and retries >= 0");
        }
    }
}
