package io.keyward.keys;

import io.keyward.config.KeywardConfig;
import io.keyward.db.Database;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.KeyProviderRegistry;
import io.keyward.provider.local.LocalKeyProvider;
import io.keyward.provider.local.LocalKms;
import io.quarkus.arc.All;
import io.quarkus.runtime.LaunchMode;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Builds the provider registry once at start-up. Providers are plain classes (their packages import only the
 * SPI and their SDK); this is where they meet configuration. Extra {@link KeyProvider} beans (tests, future
 * plug-ins) are picked up as well.
 *
 * <p>The local stand-in KMS is allowed on the embedded default (H2) and in dev/test; on PostgreSQL in the prod
 * profile (a real deployment) it is refused unless {@code keyward.providers.local.allow-in-production=true}
 * (docs/decisions/0004-local-provider.md).
 */
@Singleton
public class ProviderSetup {
    private static final Logger LOG = Logger.getLogger(ProviderSetup.class);

    private final KeyProviderRegistry registry;
    private final LocalKms localKms;

    public ProviderSetup(KeywardConfig config, Database db, @All List<KeyProvider> extra) {
        boolean localAllowed = localAllowed(db.embedded(), LaunchMode.current(),
                config.providers().local().allowInProduction());
        List<KeyProvider> providers = new ArrayList<>(extra);
        for (KeyProviderFactory factory : ServiceLoader.load(KeyProviderFactory.class,
                ProviderSetup.class.getClassLoader())) {
            KeywardConfig.Providers.Remote settings = remoteSettings(config.providers(), factory.id());
            if (settings == null || settings.enabled()) {
                KeywardConfig.Providers.Remote s = settings;
                providers.add(factory.create(s == null ? DEFAULTS
                        : new ProviderSettings(s.attemptTimeout(), s.maxRetries(), s.deadline(),
                                properties(config.providers(), factory.id()))));
            }
        }
        if (localAllowed) {
            this.localKms = new LocalKms(Path.of(config.dataDir()).resolve("local-kms"));
            providers.add(new LocalKeyProvider(localKms));
        } else {
            this.localKms = null;
            LOG.info("local provider disabled: keyward runs on PostgreSQL in the prod profile "
                    + "(set keyward.providers.local.allow-in-production=true to allow it)");
        }
        this.registry = new KeyProviderRegistry(providers);
        LOG.infof("key providers enabled: %s", registry.ids());
    }

    private static final ProviderSettings DEFAULTS = new ProviderSettings(java.time.Duration.ofSeconds(2), 2,
            java.time.Duration.ofSeconds(5));

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

    /** Operator settings that only one provider reads, passed through {@link ProviderSettings#properties()}. */
    static java.util.Map<String, String> properties(KeywardConfig.Providers p, String id) {
        if ("pkcs11".equals(id)) {
            java.util.Map<String, String> props = new java.util.HashMap<>(java.util.Map.of(
                    "modules", String.join(",", p.pkcs11().modules().orElse(List.of())),
                    "max-sessions", Integer.toString(p.pkcs11().maxSessions()),
                    "session-idle-timeout", p.pkcs11().sessionIdleTimeout().toString(),
                    "pin-directory", p.pkcs11().pinDirectory().orElse(""),
                    "max-concurrent-calls", Integer.toString(p.pkcs11().maxConcurrentCalls())));
            p.pkcs11().tokenTenants().forEach((token, tenants) -> props.put("token-tenants." + token, tenants));
            return props;
        }
        return java.util.Map.of();
    }

    /** The policy of docs/decisions/0004: embedded default or dev/test, or an explicit production opt-in. */
    static boolean localAllowed(boolean embeddedDatabase, LaunchMode mode, boolean allowInProduction) {
        return embeddedDatabase || mode != LaunchMode.NORMAL || allowInProduction;
    }

    /** Providers holding native or network resources (PKCS#11 sessions, HTTP clients) release them. */
    @jakarta.annotation.PreDestroy
    void close() {
        for (String id : registry.ids()) {
            registry.find(id).ifPresent(p -> {
                if (p instanceof AutoCloseable c) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        LOG.warnf("provider %s did not close cleanly: %s", id, e.getClass().getName());
                    }
                }
            });
        }
    }

    public KeyProviderRegistry registry() {
        return registry;
    }

    /** The stand-in KMS, when it is allowed on this deployment. */
    public Optional<LocalKms> localKms() {
        return Optional.ofNullable(localKms);
    }
}
