package io.keyward.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every {@code keyward.*} property, with its default. docs/reference/configuration.md lists the same set; a
 * test keeps them in step.
 */
@ConfigMapping(prefix = "keyward")
public interface KeywardConfig {

    /** Directory for the embedded database, the local KMS keys and the bootstrap token. Env KEYWARD_DATA_DIR. */
    @WithDefault("./data")
    String dataDir();

    /**
     * Token that becomes an admin API key on first start (env KEYWARD_BOOTSTRAP_TOKEN). Without it a random
     * token is written to {@code <data-dir>/bootstrap-token}.
     */
    Optional<String> bootstrapToken();

    Cache cache();

    Health health();

    Limits limits();

    Providers providers();

    Seal seal();

    interface Seal {
        /**
         * Base64 of 32 random bytes that seal provider credentials at rest (env KEYWARD_SEAL_ROOT_KEY). Without
         * it a key is generated in {@code <data-dir>/seal-root.key}; every replica of one deployment must share it.
         */
        Optional<String> rootKey();

        /**
         * A file holding the root key in the same form, e.g. a mounted Kubernetes Secret; instead of
         * {@code root-key}, never with it.
         */
        Optional<String> rootKeyFile();

        /**
         * Root keys that still open sealed values but seal nothing new (base64, comma-separated): the old key during
         * a root-key rotation, until {@code POST /v1/admin/seal:reseal} has moved every value to the current key.
         */
        Optional<List<String>> previousRootKeys();

        /**
         * The root key held wrapped by the platform's own KMS and unwrapped there at start-up; instead of
         * {@code root-key} and {@code root-key-file}, never with them.
         */
        Kms kms();

        interface Kms {
            /**
             * The provider that unwraps the root key: aws-kms, gcp-kms, azure-keyvault, vault-transit, pkcs11, xks
             * or local. Its operator settings come from {@code keyward.providers.<p>.*}.
             */
            Optional<String> provider();

            /** The KMS key that wrapped the root key, in that provider's key URI syntax. */
            Optional<String> keyUri();

            /** The provider's options for that key (region, endpoint, role...), as a tenant key would give them. */
            Map<String, String> options();

            /**
             * Base64 of the root key as the provider's wrap returned it ({@code POST /v1/admin/seal:wrap-root-key}),
             * with the associated data {@code keyward/v1 seal root key}.
             */
            Optional<String> wrappedRootKey();

            /** How long start-up keeps retrying while the KMS is unavailable before it fails. */
            @WithDefault("60s")
            Duration startupTimeout();
        }
    }

    interface Cache {
        /** How long a DEK is used to encrypt, and kept to decrypt, after it was generated or unwrapped. 0 = no caching. */
        @WithDefault("60s")
        Duration maxAge();

        /** Messages one encrypt-side DEK may seal before a new one is generated (hard cap 2^30). */
        @WithDefault("1000000")
        long maxMessages();

        /** Plaintext bytes one encrypt-side DEK may seal before a new one is generated (hard cap 2^36). */
        @WithDefault("4294967296")
        long maxBytes();

        /** Upper bound on unwrapped DEKs kept for decryption, across all tenants. */
        @WithDefault("10000")
        int decryptMaxEntries();
    }

    interface Health {
        /** How often every tenant key with cached DEKs is re-checked at its provider. */
        @WithDefault("15s")
        Duration probeInterval();

        /** Retry-After sent with KEY_UNAVAILABLE. */
        @WithDefault("5s")
        Duration retryAfter();
    }

    interface Limits {
        /** Largest plaintext accepted per item (encrypt, batch item). */
        @WithDefault("1048576")
        int maxPlaintextBytes();

        /** Most items in one batch request. */
        @WithDefault("1000")
        int maxBatchItems();
    }

    interface Providers {
        Local local();

        /** AWS KMS (provider id {@code aws-kms}). */
        Remote aws();

        /** Google Cloud KMS ({@code gcp-kms}). */
        Remote gcp();

        /** Azure Key Vault and Managed HSM ({@code azure-keyvault}). */
        Remote azure();

        /** HashiCorp Vault Transit ({@code vault-transit}). */
        Remote vault();

        /** PKCS#11 HSMs ({@code pkcs11}). */
        Pkcs11 pkcs11();

        /** External key managers speaking the AWS XKS proxy API ({@code xks}). */
        Remote xks();

        interface Remote {
            /** Whether this provider may be used on this deployment. */
            @WithDefault("true")
            boolean enabled();

            /** Longest a single network attempt may take. */
            @WithDefault("2s")
            Duration attemptTimeout();

            /** Retries after the first attempt for throttling, 5xx and timeouts (jittered backoff). */
            @WithDefault("2")
            int maxRetries();

            /** Longest a whole provider call may hold a request, retries included. */
            @WithDefault("5s")
            Duration deadline();
        }

        interface Pkcs11 extends Remote {
            /**
             * The PKCS#11 libraries (absolute paths) a tenant key may name in its {@code module} option. A tenant
             * can never make keyward load any other native code; empty means the provider is usable by nobody.
             */
            Optional<List<String>> modules();

            /** Most sessions keyward keeps open per token (each thread in a PKCS#11 call holds one). */
            @WithDefault("16")
            int maxSessions();

            /** Idle sessions beyond one per token are closed after this long. */
            @WithDefault("60s")
            Duration sessionIdleTimeout();

            /**
             * The directory under which a tenant key's {@code pinFile} option may point (a mounted Kubernetes
             * Secret, say). Unset: {@code pinFile} is refused.
             */
            Optional<String> pinDirectory();

            /**
             * Which tenants may use which token: {@code token-tenants.<token label>=<tenant>,<tenant>}, {@code *} for
             * every tenant, and the label {@code *} for every token. A token no entry covers can be used by nobody,
             * so one tenant can never point keyward at another customer's token.
             */
            Map<String, String> tokenTenants();

            /** Most PKCS#11 calls in flight at once (each holds a thread while the library works). */
            @WithDefault("64")
            int maxConcurrentCalls();
        }

        interface Local {
            /** Whether the built-in stand-in KMS may be used when keyward runs on PostgreSQL (a production deployment). */
            @WithDefault("false")
            boolean allowInProduction();
        }
    }

    Rotation rotation();

    interface Rotation {
        /**
         * {@code :retire} refuses a key that unwrapped a DEK (cache hits included) this recently, unless forced.
         * Uses seen on other replicas count up to a minute late (tenant_key.last_used_at is written at most once
         * a minute per key).
         */
        @WithDefault("24h")
        Duration retireWindow();
    }

    Auth auth();

    interface Auth {
        /**
         * How often each replica re-reads which API keys are revoked. Bounds how long a revoked key can still
         * authenticate on a replica that missed the NOTIFY (listener down) or whose row was changed by hand;
         * with the listener up, other replicas drop the key as soon as the revocation commits.
         */
        @WithDefault("10s")
        Duration apiKeyRefresh();
    }

    Replicas replicas();

    /** Revocation across replicas sharing one PostgreSQL database (docs/explanation/revocation.md). */
    interface Replicas {
        /**
         * The PostgreSQL channel replicas NOTIFY and LISTEN on. Deployments sharing one database (in different
         * schemas) should each use their own. Letters, digits and underscores.
         */
        @WithDefault("keyward_revocations")
        String channel();

        /** First wait before the listener reconnects after its connection broke; doubles after each failure. */
        @WithDefault("100ms")
        Duration reconnectMinBackoff();

        /** Longest wait between the listener's reconnection attempts. */
        @WithDefault("5s")
        Duration reconnectMaxBackoff();

        /** How often an idle listener proves its connection alive with a round trip. */
        @WithDefault("5s")
        Duration heartbeat();
    }

    CircuitBreaker circuitBreaker();

    /**
     * One circuit breaker per tenant key around calls to its provider (SmallRye Fault Tolerance): a customer whose
     * key manager keeps failing is answered KEY_UNAVAILABLE at once instead of holding threads for its deadline.
     * Only failures of kind unavailable count; revoked, misconfigured and invalid-wrapped-key answers do not.
     */
    interface CircuitBreaker {
        /** Whether calls to key managers pass a circuit breaker at all. */
        @WithDefault("true")
        boolean enabled();

        /** The rolling window: how many of a tenant key's latest calls are looked at before the breaker may open. */
        @WithDefault("10")
        int window();

        /** Share of unavailable answers within the window that opens the breaker (0 to 1). */
        @WithDefault("0.5")
        double failureRatio();

        /** How long an open breaker refuses calls before it lets trial calls through (half-open). */
        @WithDefault("10s")
        Duration delay();

        /** Trial calls that must succeed in half-open state before the breaker closes again. */
        @WithDefault("1")
        int successThreshold();
    }

    Bulkhead bulkhead();

    /**
     * One bulkhead per tenant key: a slow key manager can hold at most this many request threads, so it never takes
     * the threads other tenants need.
     */
    interface Bulkhead {
        /** Whether calls to key managers pass a bulkhead at all. */
        @WithDefault("true")
        boolean enabled();

        /** Calls to one tenant key's provider in flight at once. */
        @WithDefault("8")
        int maxConcurrent();

        /** Calls that may wait for a slot; beyond them a call is refused at once with KEY_UNAVAILABLE. */
        @WithDefault("16")
        int maxWaiting();
    }

    Audit audit();

    /** Audit events while the database is unreachable (docs/explanation/revocation.md, "Failure modes"). */
    interface Audit {
        /** Audit events held in memory while the database is unreachable, flushed in order when it returns. */
        @WithDefault("10000")
        int bufferSize();

        /**
         * What happens when the buffer is full: {@code fail-closed} refuses every operation that would call a key
         * manager (503 SERVICE_UNAVAILABLE) until there is room; {@code drop-oldest} drops the oldest buffered event
         * (logged and counted in keyward_audit_events_dropped_total).
         */
        @WithDefault("fail-closed")
        OnOverflow onOverflow();

        /** How often buffered events are retried against the database. */
        @WithDefault("1s")
        Duration flushInterval();

        enum OnOverflow {
            FAIL_CLOSED, DROP_OLDEST
        }
    }
}
