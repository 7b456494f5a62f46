package io.keyward.keys;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

import java.time.Duration;

/**
 * keyward's own meters (docs/reference/metrics.md). Labels are low-cardinality by design: provider, operation,
 * outcome, cache; never a tenant id, key id or anything derived from request data.
 */
@Startup
@Singleton
public class KeyMetrics {
    /**
     * Bucket bounds of {@code keyward_provider_latency_seconds}: a local key answers in well under 5 ms, a cloud KMS
     * in 5-50 ms, an HSM or a KMS in another region in 50-500 ms, and the default deadline of a remote provider is
     * 5 s ({@code keyward.providers.<p>.deadline}), so 10 s catches a raised one. Eleven fixed buckets per series
     * instead of the ~70 of a percentile histogram: quantiles from them are exact at each bound, interpolated between.
     */
    static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final Counter encryptHit;
    private final Counter encryptMiss;
    private final Counter decryptHit;
    private final Counter decryptMiss;

    /** Created at start-up ({@link Startup}), so the cache series exist before the first request. */
    public KeyMetrics(MeterRegistry registry, DekCaches caches) {
        this.registry = registry;
        this.encryptHit = cacheCounter("encrypt", "hit");
        this.encryptMiss = cacheCounter("encrypt", "miss");
        this.decryptHit = cacheCounter("decrypt", "hit");
        this.decryptMiss = cacheCounter("decrypt", "miss");
        // Entries, not tenants: the decrypt side is bounded by keyward.cache.decrypt-max-entries, and a gauge at
        // that bound means DEKs are evicted before their max age (more KMS calls).
        Gauge.builder("keyward.dek.cache.entries", caches.encrypt, EncryptDekCache::size)
                .description("Plaintext DEKs held in memory").tag("cache", "encrypt").register(registry);
        Gauge.builder("keyward.dek.cache.entries", caches.decrypt, DecryptDekCache::size)
                .description("Plaintext DEKs held in memory").tag("cache", "decrypt").register(registry);
        // From start, at zero: Prometheus' increase() cannot see the first event of a series that appears with it,
        // so the first revocation would never fire an alert.
        revocationCounter("provider");
        revocationCounter("kill-switch");
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
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry).record(Duration.ofNanos(nanos));
    }

    void revocation(String source) {
        revocationCounter(source).increment();
    }

    private Counter revocationCounter(String source) {
        return Counter.builder("keyward.revocations").description("Tenant keys or tenants cut off")
                .tag("source", source).register(registry);
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
        Gauge.builder("keyward.provider.circuits.open", count)
                .description("Tenant keys whose circuit breaker is open or half-open").tag("provider", provider)
                .register(registry);
    }
}
