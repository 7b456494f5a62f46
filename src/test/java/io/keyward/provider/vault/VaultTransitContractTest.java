package io.keyward.provider.vault;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;
import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;
import io.keyward.testing.vault.VaultTestServer;
import io.keyward.testing.vault.VaultTransitFixture;

import java.time.Duration;
import java.util.ServiceLoader;

/**
 * The shared provider contract for {@code vault-transit}, through vault-java-driver against the in-memory Vault's HTTP
 * API, keyward logging in with a token. The provider is found the way keyward finds it: by ServiceLoader.
 */
class VaultTransitContractTest extends KeyProviderContract {
    static final ProviderSettings SETTINGS = new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500));

    static KeyProvider provider(ProviderSettings settings) {
        return ServiceLoader.load(KeyProviderFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(f -> f.id().equals(VaultTransitProvider.ID))
                .findFirst()
                .orElseThrow(() -> new AssertionError("vault-transit is not listed in META-INF/services"))
                .create(settings);
    }

    @Override
    protected ProviderFixture createFixture() {
        return new VaultTransitFixture(VaultTestServer.inMemory(), provider(SETTINGS),
                VaultTransitFixture.Login.TOKEN, SETTINGS.deadline(), true);
    }
}
