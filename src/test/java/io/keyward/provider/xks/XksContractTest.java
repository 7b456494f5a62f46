package io.keyward.provider.xks;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;
import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;
import io.keyward.testing.xks.XksFixture;
import io.keyward.testing.xks.XksTestServer;

import java.time.Duration;
import java.util.ServiceLoader;

/**
 * The shared provider contract for {@code xks}, over HTTPS and SigV4 against the XKS test proxy. The provider is found
 * the way keyward finds it: by ServiceLoader.
 */
class XksContractTest extends KeyProviderContract {
    static final ProviderSettings SETTINGS = new ProviderSettings(Duration.ofMillis(300), 2, Duration.ofMillis(1500));

    static KeyProvider provider(ProviderSettings settings) {
        return ServiceLoader.load(KeyProviderFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(f -> f.id().equals(XksProvider.ID))
                .findFirst()
                .orElseThrow(() -> new AssertionError("xks is not listed in META-INF/services"))
                .create(settings);
    }

    @Override
    protected ProviderFixture createFixture() {
        return new XksFixture(XksTestServer.start(XksFixture.PREFIX), provider(SETTINGS), SETTINGS.deadline(), true);
    }
}
