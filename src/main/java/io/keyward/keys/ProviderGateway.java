package io.keyward.keys;

import io.keyward.audit.Actor;
import io.keyward.audit.AuditLog;
import io.keyward.config.KeywardConfig;
import io.keyward.error.ErrorCode;
import io.keyward.error.KeywardException;
import io.keyward.provider.CallContext;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.tenant.TenantKey;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.function.Function;

/**
 * Every call to a customer's key manager passes here: it is timed, counted, audited, and its outcome is turned
 * into revocation state and a stable error code.
 */
@Singleton
public class ProviderGateway {
    private static final Logger LOG = Logger.getLogger(ProviderGateway.class);

    private final ProviderSetup providers;
    private final AuditLog audit;
    private final KeyMetrics metrics;
    private final Revocations revocations;
    private final ProviderGuards guards;
    private final int retryAfterSeconds;

    public ProviderGateway(ProviderSetup providers, AuditLog audit, KeyMetrics metrics, Revocations revocations,
            ProviderGuards guards, KeywardConfig config) {
        this.providers = providers;
        this.guards = guards;
        this.audit = audit;
        this.metrics = metrics;
        this.revocations = revocations;
        this.retryAfterSeconds = (int) Math.max(1, config.health().retryAfter().toSeconds());
    }

    /** Calls the provider; any failure becomes a {@link KeywardException} with revocation state updated. */
    public <T> T call(TenantKey key, String operation, Actor actor, Function<KeyProvider, T> work) {
        try {
            T result = invoke(key, operation, actor, work);
            revocations.keyAvailable(key);
            return result;
        } catch (ProviderException e) {
            throw translate(key, e, actor);
        }
    }

    /**
     * Calls the provider and reports its failure as-is ({@link ProviderException}), after metrics and audit.
     * Key checks use this to report the provider's verdict rather than an error.
     */
    public <T> T invoke(TenantKey key, String operation, Actor actor, Function<KeyProvider, T> work) {
        if (audit.refusing()) {
            // keyward.audit.on-overflow=fail-closed: no key manager call may happen that the trail could not record.
            throw KeywardException.of(ErrorCode.SERVICE_UNAVAILABLE, "the audit buffer is full while the database is "
                    + "unreachable; calls to key managers are refused until it drains");
        }
        KeyProvider provider = providers.registry().find(key.provider()).orElse(null);
        long start = System.nanoTime();
        String outcome = "ok";
        String detail = null;
        try {
            if (provider == null) {
                throw new KeyMisconfiguredException("provider '" + key.provider() + "' is not enabled on this deployment");
            }
            KeyProvider p = provider;
            CallContext context = new CallContext(key.tenantId(), key.id(), operation, actor.name(), actor.requestId());
            return guards.run(key, () -> context.run(() -> guarded(key, operation, p, work)));
        } catch (ProviderGuards.Refused e) {
            // Never reached the provider: counted in keyward_provider_refused_total, not audited call by call.
            outcome = "refused";
            throw new KeyUnavailableException(e.getMessage());
        } catch (ProviderException e) {
            outcome = outcome(e);
            detail = e.getMessage();
            throw e;
        } finally {
            if (!"refused".equals(outcome)) {
                long nanos = System.nanoTime() - start;
                metrics.providerCall(key.provider(), operation, outcome, nanos);
                // Routine prober successes would write one row per cached key per interval; they are counted in
                // metrics, and only a prober finding (a failure) is audited.
                if (!(actor == Actor.PROBER && "ok".equals(outcome))) {
                    audit.record(actor, key.tenantId(), key.id(), "kms." + operation,
                            outcome.toUpperCase(java.util.Locale.ROOT), detail == null
                                    ? key.provider() + " " + operation + " in " + (nanos / 1_000_000) + " ms" : detail);
                }
            }
        }
    }

    /** Inside the guard, so a provider bug counts against the breaker like an outage. */
    private static <T> T guarded(TenantKey key, String operation, KeyProvider p, Function<KeyProvider, T> work) {
        try {
            return work.apply(p);
        } catch (ProviderException e) {
            throw e;
        } catch (RuntimeException e) {
            // A provider bug must not leak its message (it may hold request data): class name only.
            LOG.errorf("provider %s failed on %s: %s", key.provider(), operation, e.getClass().getName());
            throw new KeyUnavailableException("provider '" + key.provider() + "' failed unexpectedly");
        }
    }

    KeywardException translate(TenantKey key, ProviderException e, Actor actor) {
        if (e instanceof KeyRevokedException) {
            revocations.keyRevoked(key, e.getMessage(), actor);
            return KeywardException.of(ErrorCode.KEY_REVOKED,
                    "tenant '" + key.tenantId() + "' key " + key.id() + " is revoked: " + e.getMessage());
        }
        if (e instanceof KeyUnavailableException) {
            revocations.keyUnavailable(key, e.getMessage());
            return KeywardException.unavailable("tenant '" + key.tenantId() + "' key " + key.id()
                    + " is unavailable: " + e.getMessage(), retryAfterSeconds);
        }
        if (e instanceof WrappedKeyInvalidException) {
            return KeywardException.of(ErrorCode.INVALID_CIPHERTEXT, "ciphertext could not be authenticated");
        }
        return KeywardException.unavailable("tenant '" + key.tenantId() + "' key " + key.id()
                + " is misconfigured: " + e.getMessage(), retryAfterSeconds);
    }

    int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    static String outcome(ProviderException e) {
        if (e instanceof KeyRevokedException) {
            return "revoked";
        }
        if (e instanceof KeyUnavailableException) {
            return "unavailable";
        }
        if (e instanceof WrappedKeyInvalidException) {
            return "invalid_wrapped_key";
        }
        return "misconfigured";
    }
}
