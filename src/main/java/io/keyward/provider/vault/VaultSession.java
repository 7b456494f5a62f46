package io.keyward.provider.vault;

import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.api.Auth;
import io.github.jopenlibs.vault.api.Logical;
import io.github.jopenlibs.vault.response.AuthResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One logged-in client of one Vault: address, namespace, login method and TLS trust. Keys that share these share the
 * session (and its client token). Building a session does no I/O; the first call logs in.
 *
 * <p>Client tokens from AppRole or Kubernetes login are cached and, past two thirds of their TTL, renewed with
 * {@code auth/token/renew-self} when renewable, else replaced by a fresh login
 * (https://developer.hashicorp.com/vault/api-docs/auth/token#renew-a-token-self). A re-login rather than endless
 * renewal also picks up a changed {@code token_max_ttl}. A static {@code token} is used as given.
 */
final class VaultSession {
    /** VaultConfig.build() reads VAULT_TOKEN, VAULT_ADDR... (and ~/.vault-token): keyward's keys never inherit them. */
    private static final EnvironmentLoader NO_ENVIRONMENT = new EnvironmentLoader() {
        private static final long serialVersionUID = 1L;

        @Override
        public String loadVariable(String name) {
            return null;
        }
    };

    private final VaultTransitKey target;
    private final BoundedHttpClient http;
    private final int driverTimeoutSeconds;

    /** Guards the token: one login at a time per session; waiting for it is bounded by the caller's deadline. */
    private final ReentrantLock lock = new ReentrantLock();
    private ClientToken token; // guarded by lock
    private Vault vault; // guarded by lock; the driver instance for the current token

    VaultSession(VaultTransitKey target, BoundedHttpClient http, Duration attemptTimeout) {
        this.target = target;
        this.http = http;
        // The driver wants whole seconds; BoundedHttpClient applies the precise bound.
        this.driverTimeoutSeconds = (int) Math.max(1, (attemptTimeout.toMillis() + 999) / 1000);
    }

    BoundedHttpClient http() {
        return http;
    }

    /**
     * The driver's logical API for {@code vault}, in the key's namespace. The namespace is set per call
     * ({@code X-Vault-Namespace}) rather than on the config, where the driver logs a line at INFO for every client.
     */
    Logical logical(Vault vault) {
        Logical logical = vault.logical();
        return target.namespace() == null ? logical : logical.withNameSpace(target.namespace());
    }

    private Auth auth(Vault vault) {
        Auth auth = vault.auth();
        return target.namespace() == null ? auth : auth.withNameSpace(target.namespace());
    }

    boolean canLogIn() {
        return !(target.auth() instanceof VaultAuth.StaticToken);
    }

    /**
     * The driver bound to a client token that is valid now, logging in or renewing first when needed. Another caller's
     * login in progress is waited for at most until {@code deadlineNanos}.
     */
    Vault client(long deadlineNanos) {
        try {
            if (!lock.tryLock(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw VaultFailure.unavailableNoRetry("no Vault login for " + target.address()
                        + " within the deadline (another login is in progress)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw VaultFailure.unavailableNoRetry("interrupted while waiting for a Vault login");
        }
        try {
            return clientLocked();
        } finally {
            lock.unlock();
        }
    }

    private Vault clientLocked() {
        VaultAuth auth = target.auth();
        if (auth instanceof VaultAuth.StaticToken t) {
            if (vault == null) {
                vault = newVault(t.token());
            }
            return vault;
        }
        long now = System.nanoTime();
        if (token == null || token.expired(now)) {
            use(login());
        } else if (token.dueForRefresh(now)) {
            use(renewOrLogin());
        }
        return vault;
    }

    /** Vault refused the token {@code used} was bound to: forget it so the next {@link #client} logs in again. */
    void tokenRefused(Vault used) {
        lock.lock();
        try {
            if (used == vault && canLogIn()) {
                token = null;
                vault = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private void use(ClientToken fresh) {
        token = fresh;
        vault = newVault(fresh.value());
    }

    private ClientToken renewOrLogin() {
        if (token.renewable()) {
            try {
                AuthResponse r = auth(vault).renewSelf(token.ttlSeconds());
                long ttl = r.getAuthLeaseDuration();
                // Renewal stops at the token's max TTL: when what we get back is short, log in afresh instead.
                if (r.getRestResponse().getStatus() == 200 && ttl * 3 >= token.ttlSeconds()) {
                    return new ClientToken(token.value(), System.nanoTime(), ttl, r.isAuthRenewable());
                }
            } catch (VaultException e) {
                // Expired, revoked or unreachable: a login says which, with the login's error mapping.
            }
        }
        return login();
    }

    private ClientToken login() {
        Vault anonymous = newVault(null);
        AuthResponse r;
        try {
            if (target.auth() instanceof VaultAuth.AppRole a) {
                r = auth(anonymous).loginByAppRole(a.mount(), a.roleId(), a.secretId());
            } else {
                VaultAuth.Kubernetes k = (VaultAuth.Kubernetes) target.auth();
                r = auth(anonymous).loginByKubernetes(k.role(), serviceAccountToken(k), "auth/" + k.mount());
            }
        } catch (VaultException e) {
            throw VaultErrorMapping.fromException(VaultErrorMapping.Operation.LOGIN, e, target);
        }
        String value = r.getAuthClientToken();
        if (value == null || value.isEmpty()) {
            throw VaultFailure.misconfigured("Vault at " + target.address() + " answered keyward's "
                    + VaultErrorMapping.describe(target.auth()) + " login without a client token");
        }
        return new ClientToken(value, System.nanoTime(), r.getAuthLeaseDuration(), r.isAuthRenewable());
    }

    private static String serviceAccountToken(VaultAuth.Kubernetes k) {
        try {
            return Files.readString(k.jwtPath(), StandardCharsets.UTF_8).trim();
        } catch (IOException | SecurityException e) {
            throw VaultFailure.misconfigured("cannot read the Kubernetes service-account token at " + k.jwtPath()
                    + " (set 'kubernetesJwtPath' or mount the token)");
        }
    }

    private Vault newVault(String clientToken) {
        try {
            VaultConfig config = new VaultConfig()
                    .environmentLoader(NO_ENVIRONMENT)
                    .address(target.address())
                    .engineVersion(1) // Transit paths must not get the KV v2 "data/" rewriting
                    .openTimeout(driverTimeoutSeconds)
                    .readTimeout(driverTimeoutSeconds)
                    .httpClient(http);
            if (clientToken != null) {
                config.token(clientToken);
            }
            // Retries are keyward's (bounded by the call deadline, jittered), never the driver's fixed-interval ones.
            return Vault.create(config.build(), 1).withRetries(0, 0);
        } catch (VaultException e) {
            throw VaultFailure.misconfigured("cannot configure a Vault client for " + target.address());
        }
    }

    /** A client token and when it stops being usable ({@code ttlSeconds} 0 = no expiry, e.g. a periodic root). */
    private record ClientToken(String value, long obtainedNanos, long ttlSeconds, boolean renewable) {
        boolean expired(long now) {
            if (ttlSeconds <= 0) {
                return false;
            }
            long margin = Math.min(TimeUnit.SECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(ttlSeconds) / 10);
            return now - obtainedNanos >= TimeUnit.SECONDS.toNanos(ttlSeconds) - margin;
        }

        boolean dueForRefresh(long now) {
            return ttlSeconds > 0 && now - obtainedNanos >= TimeUnit.SECONDS.toNanos(ttlSeconds) * 2 / 3;
        }

        @Override
        public String toString() {
            return "ClientToken[ttl=" + ttlSeconds + "s, renewable=" + renewable + "]";
        }
    }
}
