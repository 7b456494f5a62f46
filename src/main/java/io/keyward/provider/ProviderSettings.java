package io.keyward.provider;

import java.time.Duration;
import java.util.Map;

/**
 * Operational bounds every remote provider honours, from {@code keyward.providers.<id>.*}.
 *
 * @param attemptTimeout longest a single network attempt may take
 * @param maxRetries     retries after the first attempt, for retryable failures (throttling, 5xx, timeouts)
 * @param deadline       longest a whole call (all attempts and backoff) may take; a request thread is never held
 *                       longer than this by a provider
 * @param properties     operator settings specific to one provider (for {@code pkcs11}: {@code modules}, the
 *                       PKCS#11 libraries tenants may name); never tenant input
 */
public record ProviderSettings(Duration attemptTimeout, int maxRetries, Duration deadline,
        Map<String, String> properties) {
    public ProviderSettings {
        if (attemptTimeout.isNegative() || attemptTimeout.isZero() || deadline.isNegative() || deadline.isZero()
                || maxRetries < 0) {
            throw new IllegalArgumentException("provider timeouts must be positive and retries >= 0");
        }
        properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    public ProviderSettings(Duration attemptTimeout, int maxRetries, Duration deadline) {
        this(attemptTimeout, maxRetries, deadline, Map.of());
    }

    /** An operator setting of this provider, or {@code fallback} when unset. */
    public String property(String name, String fallback) {
        return properties.getOrDefault(name, fallback);
    }
}
