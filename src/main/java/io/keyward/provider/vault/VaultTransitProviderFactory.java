package io.keyward.provider.vault;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;

/** Plugs {@link VaultTransitProvider} in through {@code META-INF/services/io.keyward.provider.KeyProviderFactory}. */
public final class VaultTransitProviderFactory implements KeyProviderFactory {

    @Override
    public String id() {
        return VaultTransitProvider.ID;
    }

    @Override
    public KeyProvider create(ProviderSettings settings) {
        return new VaultTransitProvider(settings);
    }
}
