package io.keyward.keys;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keyward.config.KeywardConfig;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.tenant.TenantKey;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A circuit breaker and a bulkhead per tenant key, around every call to a customer's key manager (SmallRye Fault
 * Tolerance, programmatic {@link Guard}: the guards are per tenant key, so annotations cannot express them).
 * Timeouts and retries stay inside each provider, bounded by {@code keyward.providers.<p>.deadline}; the guard
 * sees one call however many attempts the provider made, so nothing here doubles them.
 */
@Singleton
public class ProviderGuards {
    private static final Logger LOG = Logger.getLogger(ProviderGuards.class);

    private final KeywardConfig.CircuitBreaker breaker;
    private final KeywardConfig.Bulkhead bulkhead;
    private final KeyMetrics metrics;
    /**
     * Bounded by the number of tenant keys in use; a key unused for an hour loses its guard (and with it a closed or
     * long-expired breaker), so keys that are gone do not pin memory.
     */
    private final Cache<String, Guard> guards;
    /** Tenant keys whose breaker is open or half-open, with their provider: the per-provider gauge counts these. */
    private final Map<String, String> notClosed = new ConcurrentHashMap<>();
    private final Set<String> gaugedProviders = ConcurrentHashMap.newKeySet();

    public ProviderGuards(KeywardConfig config, KeyMetrics metrics) {
        this.breaker = config.circuitBreaker();
        this.bulkhead = config.bulkhead();
        this.metrics = metrics;
        this.guards = Caffeine.newBuilder().expireAfterAccess(Duration.ofHours(1))
                .<String, Guard>removalListener((keyId, guard, cause) -> notClosed.remove(keyId)).build();
    }

    /** Tenant keys of {@code provider} whose breaker is not closed on this replica. */
    public long openCircuits(String provider) {
        return notClosed.values().stream().filter(provider::equals).count();
    }

    /**
     * Runs {@code call} under the key's guard. An open breaker or a full bulkhead refuses without calling the
     * provider: {@link Refused}. {@code call} reports unreachable providers as {@link KeyUnavailableException}.
     */
    public <T> T run(TenantKey key, Supplier<T> call) {
        if (key.id() == null || !breaker.enabled() && !bulkhead.enabled()) {
            // A candidate key being checked before it is stored has no identity yet to keep a breaker for.
            return call.get();
        }
        if (gaugedProviders.add(key.provider())) {
            metrics.openCircuits(key.provider(), () -> openCircuits(key.provider()));
        }
        Guard guard = guards.get(key.id(), id -> build(key));
        try {
            @SuppressWarnings("unchecked")
            T result = (T) guard.get(call::get, Object.class);
            return result;
        } catch (CircuitBreakerOpenException e) {
            metrics.providerCallRefused(key.provider(), "circuit_open");
            throw new Refused("circuit open after repeated unavailable answers; trial calls again within "
                    + Math.max(1, breaker.delay().toSeconds()) + " s");
        } catch (BulkheadException e) {
            metrics.providerCallRefused(key.provider(), "bulkhead_full");
            throw new Refused("too many calls in flight to this key's provider");
        }
    }

    private Guard build(TenantKey key) {
        Guard.Builder b = Guard.create().withDescription("provider call " + key.provider());
        if (breaker.enabled()) {
            b = b.withCircuitBreaker()
                    // Only "cannot reach / too slow" is a fault of the path; a revoked or misconfigured key is an
                    // answer, and must keep reaching the provider so revocation is seen at once.
                    .when(t -> t instanceof KeyUnavailableException)
                    .requestVolumeThreshold(breaker.window())
                    .failureRatio(breaker.failureRatio())
                    .delay(breaker.delay().toMillis(), ChronoUnit.MILLIS)
                    .successThreshold(breaker.successThreshold())
                    .onStateChange(state -> changed(key, state))
                    .done();
        }
        if (bulkhead.enabled()) {
            b = b.withBulkhead().limit(bulkhead.maxConcurrent()).queueSize(Math.max(1, bulkhead.maxWaiting()))
                    .enableSynchronousQueueing().done();
        }
        return b.build();
    }

    private void changed(TenantKey key, CircuitBreakerState state) {
        if (state == CircuitBreakerState.CLOSED) {
            notClosed.remove(key.id());
        } else {
            notClosed.put(key.id(), key.provider());
        }
        LOG.infof("circuit %s: tenant=%s key=%s provider=%s", state, key.tenantId(), key.id(), key.provider());
    }

    /** A call refused by a breaker or bulkhead: it never reached the provider. */
    public static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }
}
