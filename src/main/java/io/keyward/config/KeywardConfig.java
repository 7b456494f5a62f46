package io.keyward.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
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

        interface Local {
            /** Whether the built-in stand-in KMS may be used when keyward runs on PostgreSQL (a production deployment). */
            @WithDefault("false")
            boolean allowInProduction();
        }
    }
}
