package io.keyward.keys;

import io.keyward.audit.Actor;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.tenant.KeyStatus;
import io.keyward.tenant.TenantKey;
import io.keyward.tenant.TenantService;
import io.quarkus.scheduler.Scheduled;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Re-checks, every {@code keyward.health.probe-interval}, each tenant key that has DEKs in a cache, so a key
 * revoked at the customer's KMS stops working here within min(max age, probe interval) even while cached DEKs
 * would otherwise keep serving. Keys with nothing cached are not probed: their next request asks the provider.
 */
@Singleton
public class HealthProber {
    private static final Logger LOG = Logger.getLogger(HealthProber.class);

    private final DekCaches caches;
    private final ProviderGateway gateway;
    private final Revocations revocations;
    private final TenantService tenants;
    /** Tenant keys whose DEKs were cached; entries compare by identity so a pruning never drops a newer watch. */
    private final ConcurrentHashMap<String, Watch> watched = new ConcurrentHashMap<>();

    private static final class Watch {
        final TenantKey key;

        Watch(TenantKey key) {
            this.key = key;
        }
    }

    public HealthProber(DekCaches caches, ProviderGateway gateway, Revocations revocations, TenantService tenants) {
        this.caches = caches;
        this.gateway = gateway;
        this.revocations = revocations;
        this.tenants = tenants;
    }

    /** Called when a DEK of {@code key} enters a cache. */
    private volatile boolean stopping;

    /** No probes (and no audit writes) once the application is shutting down and the datasource closes. */
    void stop(@jakarta.enterprise.event.Observes io.quarkus.runtime.ShutdownEvent event) {
        stopping = true;
    }

    void watch(TenantKey key) {
        watched.put(key.id(), new Watch(key));
    }

    @Scheduled(every = "${keyward.health.probe-interval:15s}", delayed = "${keyward.health.probe-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void probe() {
        if (stopping) {
            return;
        }
        caches.cleanUp();
        for (var entry : watched.entrySet()) {
            String id = entry.getKey();
            Watch w = entry.getValue();
            // A key is watched only after its DEK is in a cache, so this live check cannot race a new watch:
            // remove(id, w) fails if watch() replaced the entry meanwhile.
            if (!caches.holds(id)) {
                watched.remove(id, w);
                continue;
            }
            TenantKey key;
            try {
                key = tenants.resolve(w.key.tenantId()).key(id).orElse(null);
            } catch (RuntimeException e) {
                LOG.debugf("prober could not resolve tenant %s: %s", w.key.tenantId(), e.getMessage());
                continue;
            }
            // A retired key's provider is never called again; a revoked one answers nothing new.
            if (key == null || revocations.isRevoked(key) || key.status() == KeyStatus.RETIRED) {
                caches.purge(id);
                continue;
            }
            probe(key);
        }
    }

    private void probe(TenantKey key) {
        try {
            gateway.invoke(key, "check", Actor.PROBER, p -> {
                p.check(key.spec());
                return null;
            });
            revocations.keyAvailable(key);
        } catch (KeyRevokedException e) {
            revocations.keyRevoked(key, e.getMessage(), Actor.PROBER);
        } catch (KeyUnavailableException e) {
            // Cached DEKs keep serving until their max age; the next probe or request tries again.
            revocations.keyUnavailable(key, e.getMessage());
        } catch (ProviderException e) {
            revocations.keyUnavailable(key, "misconfigured: " + e.getMessage());
        }
    }
}
