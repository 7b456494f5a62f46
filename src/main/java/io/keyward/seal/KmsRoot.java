package io.keyward.seal;

import io.keyward.config.KeywardConfig;
import io.keyward.provider.CallContext;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeySpec;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.WrappedKeyInvalidException;
import io.keyward.provider.local.LocalKeyProvider;
import io.keyward.provider.local.LocalKms;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.LongSupplier;

/**
 * The seal root key held wrapped by the platform's own KMS ({@code keyward.seal.kms.*}): finding the provider
 * through the SPI, and unwrapping the root key at start-up, waiting out a KMS that is briefly unavailable.
 */
final class KmsRoot {
    private static final Logger LOG = Logger.getLogger(KmsRoot.class);

    /** The associated data the root key is wrapped with (documented: docs/how-to/rotate-the-seal-root-key.md). */
    static final String AAD_TEXT = "keyward/v1 seal root key";
    static final byte[] AAD = AAD_TEXT.getBytes(StandardCharsets.US_ASCII);

    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final ProviderSettings DEFAULTS = new ProviderSettings(Duration.ofSeconds(2), 2,
            Duration.ofSeconds(5));

    /** Who the provider is told is calling (XKS request metadata, PKCS#11 token assignment). */
    static final CallContext UNWRAP = new CallContext(null, null, "unwrap", "system:seal", null);
    static final CallContext WRAP = new CallContext(null, null, "wrap", "system:seal", null);

    private KmsRoot() {
    }

    /** A configured {@code keyward.seal.kms.*}. */
    record Source(String provider, String keyUri, Map<String, String> options, String wrappedRootKey,
            Duration startupTimeout) {
        @Override
        public String toString() {
            return provider + " key " + keyUri;
        }
    }

    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /**
     * The KMS source if any {@code keyward.seal.kms.*} is set. Provider, key URI and wrapped root key go together:
     * a partial set stops start-up, saying which are missing.
     */
    static Optional<Source> source(Optional<String> provider, Optional<String> keyUri, Map<String, String> options,
            Optional<String> wrapped, Duration startupTimeout) {
        Optional<String> p = provider.filter(s -> !s.isBlank());
        Optional<String> k = keyUri.filter(s -> !s.isBlank());
        Optional<String> w = wrapped.filter(s -> !s.isBlank());
        boolean anyOptions = options != null && !options.isEmpty();
        if (p.isEmpty() && k.isEmpty() && w.isEmpty() && !anyOptions) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        if (p.isEmpty()) {
            missing.add("keyward.seal.kms.provider");
        }
        if (k.isEmpty()) {
            missing.add("keyward.seal.kms.key-uri");
        }
        if (w.isEmpty()) {
            missing.add("keyward.seal.kms.wrapped-root-key");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the seal root key from a KMS needs " + String.join(", ", missing));
        }
        if (startupTimeout.isNegative()) {
            throw new IllegalStateException("keyward.seal.kms.startup-timeout must not be negative");
        }
        return Optional.of(new Source(p.get().strip(), k.get().strip(), options == null ? Map.of() : Map.copyOf(options),
                w.get().strip(), startupTimeout));
    }

    static Optional<Source> source(KeywardConfig.Seal.Kms kms) {
        return source(kms.provider(), kms.keyUri(), kms.options(), kms.wrappedRootKey(), kms.startupTimeout());
    }

    /**
     * The provider named {@code id}, built as the key service builds it: from its {@link KeyProviderFactory} and
     * {@code keyward.providers.<p>.*}, or for {@code local} over {@code <data-dir>/local-kms}.
     */
    static KeyProvider provider(String id, KeywardConfig config) {
        if (LocalKeyProvider.ID.equals(id)) {
            return new LocalKeyProvider(new LocalKms(Path.of(config.dataDir()).resolve("local-kms")));
        }
        List<String> known = new ArrayList<>(List.of(LocalKeyProvider.ID));
        for (KeyProviderFactory factory : ServiceLoader.load(KeyProviderFactory.class, KmsRoot.class.getClassLoader())) {
            if (!factory.id().equals(id)) {
                known.add(factory.id());
                continue;
            }
            KeywardConfig.Providers.Remote s = remoteSettings(config.providers(), id);
            if (s != null && !s.enabled()) {
                throw new IllegalStateException("keyward.seal.kms.provider '" + id
                        + "' is disabled on this deployment (keyward.providers.<p>.enabled=false)");
            }
            return factory.create(s == null ? DEFAULTS
                    : new ProviderSettings(s.attemptTimeout(), s.maxRetries(), s.deadline(),
                            properties(config.providers(), id)));
        }
        throw new IllegalStateException("keyward.seal.kms.provider: unknown provider '"
                + id.replaceAll("[^A-Za-z0-9_.-]", "?") + "' (known: " + String.join(", ", known) + ")");
    }

    /** The same id → settings mapping as keys.ProviderSetup (seal may not import keys). */
    static KeywardConfig.Providers.Remote remoteSettings(KeywardConfig.Providers p, String id) {
        return switch (id) {
            case "aws-kms" -> p.aws();
            case "gcp-kms" -> p.gcp();
            case "azure-keyvault" -> p.azure();
            case "vault-transit" -> p.vault();
            case "pkcs11" -> p.pkcs11();
            case "xks" -> p.xks();
            default -> null;
        };
    }

    static Map<String, String> properties(KeywardConfig.Providers p, String id) {
        if ("pkcs11".equals(id)) {
            Map<String, String> props = new HashMap<>(Map.of(
                    "modules", String.join(",", p.pkcs11().modules().orElse(List.of())),
                    "max-sessions", Integer.toString(p.pkcs11().maxSessions()),
                    "session-idle-timeout", p.pkcs11().sessionIdleTimeout().toString(),
                    "pin-directory", p.pkcs11().pinDirectory().orElse(""),
                    "max-concurrent-calls", Integer.toString(p.pkcs11().maxConcurrentCalls())));
            p.pkcs11().tokenTenants().forEach((token, tenants) -> props.put("token-tenants." + token, tenants));
            return props;
        }
        return Map.of();
    }

    /**
     * Unwraps the root key. A revoked, misconfigured or wrong key stops start-up at once, naming the provider and
     * the reason (never the key); an unavailable KMS is retried with doubling backoff for up to the source's
     * start-up timeout.
     */
    static byte[] unwrap(KeyProvider provider, Source source, LongSupplier nanoClock, Sleeper sleeper) {
        KeySpec spec;
        try {
            spec = provider.validate(source.keyUri(), source.options());
        } catch (ProviderException e) {
            throw failed(source, "misconfigured", e.getMessage());
        }
        byte[] wrapped;
        try {
            wrapped = Base64.getDecoder().decode(source.wrappedRootKey());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("keyward.seal.kms.wrapped-root-key is not base64");
        }
        long deadline = nanoClock.getAsLong() + source.startupTimeout().toNanos();
        Duration backoff = FIRST_BACKOFF;
        int attempt = 1;
        while (true) {
            try {
                byte[] root = UNWRAP.run(() -> provider.unwrap(spec, wrapped, AAD));
                if (root.length != 32) {
                    Arrays.fill(root, (byte) 0);
                    throw failed(source, "misconfigured", "the unwrapped root key is not 32 bytes");
                }
                if (attempt > 1) {
                    LOG.infof("seal root key unwrapped by %s after %d attempts", source, attempt);
                }
                return root;
            } catch (KeyUnavailableException e) {
                long left = deadline - nanoClock.getAsLong();
                if (left <= 0) {
                    throw failed(source, "unavailable for " + source.startupTimeout()
                            + " (keyward.seal.kms.startup-timeout)", e.getMessage());
                }
                LOG.warnf("seal root key: %s is unavailable (%s); retrying in %s", source, e.getMessage(), backoff);
                try {
                    sleeper.sleep(Duration.ofNanos(Math.min(backoff.toNanos(), left)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw failed(source, "interrupted", "start-up was interrupted while waiting for the KMS");
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                attempt++;
            } catch (KeyRevokedException e) {
                throw failed(source, "revoked", e.getMessage());
            } catch (WrappedKeyInvalidException e) {
                throw failed(source, "the wrapped root key does not open under this key", e.getMessage());
            } catch (KeyMisconfiguredException e) {
                throw failed(source, "misconfigured", e.getMessage());
            }
        }
    }

    private static IllegalStateException failed(Source source, String reason, String detail) {
        return new IllegalStateException("the seal root key cannot be unwrapped by provider '" + source.provider()
                + "' (" + source.keyUri() + "): " + reason + (detail == null ? "" : ": " + detail));
    }
}
