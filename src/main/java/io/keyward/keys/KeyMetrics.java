package io.keyward.keys;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;

import java.time.Duration;

/**
 * keyward's own meters (docs/reference/metrics.md). Labels are low-cardinality by design: provider, operation,
 * outcome, cache; never a tenant id, key id or anything derived from request data.
 */
@Singleton
public class KeyMetrics {
    private final MeterRegistry registry;
    private final Counter encryptHit;
    private final Counter encryptMiss;
    private final Counter decryptHit;
    private final Counter decryptMiss;

    public KeyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.encryptHit = cacheCounter("encrypt", "hit");
        this.encryptMiss = cacheCounter("encrypt", "miss");
        this.decryptHit = cacheCounter("decrypt", "hit");
        this.decryptMiss = cacheCounter("decrypt", "miss");
    }

    private Counter cacheCounter(String cache, String result) {
        return Counter.builder("keyward.cache.requests").description("DEK cache lookups")
                .tag("cache", cache).tag("result", result).register(registry);
    }

    void encryptCache(boolean hit) {
        (hit ? encryptHit : encryptMiss).increment();
    }

    void decryptCache(boolean hit) {
        (hit ? decryptHit : decryptMiss).increment();
    }

    void providerCall(String provider, String operation, String outcome, long nanos) {
        Counter.builder("keyward.provider.calls").description("Calls to customers' key managers")
                .tag("provider", provider).tag("operation", operation).tag("outcome", outcome)
                .register(registry).increment();
        Timer.builder("keyward.provider.latency").description("Latency of calls to customers' key managers")
                .tag("provider", provider).tag("operation", operation).tag("outcome", outcome)
                .publishPercentileHistogram().register(registry).record(Duration.ofNanos(nanos));
    }

    void revocation(String source) {
        Counter.builder("keyward.revocations").description("Tenant keys or tenants cut off")
                .tag("source", source).register(registry).increment();
    }

    /** Calls refused before reaching the provider ({@code circuit_open}, {@code bulkhead_full}). */
    void providerCallRefused(String provider, String reason) {
        Counter.builder("keyward.provider.refused").description("Calls to key managers refused by a circuit breaker or bulkhead")
                .tag("provider", provider).tag("reason", reason).register(registry).increment();
    }

    /**
     * Tenant keys whose breaker is open or half-open, per provider: labelled by provider only, so the series count
     * stays at the number of providers however many tenants there are (the log names the tenant key).
     */
    void openCircuits(String provider, java.util.function.Supplier<Number> count) {
        io.micrometer.core.instrument.Gauge.builder("keyward.provider.circuits.open", count)
                .description("Tenant keys whose circuit breaker is open or half-open").tag("provider", provider)
                .register(registry);
    }
}
