package io.keyward.provider.azure;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.ProviderSettings;

/** Plugs {@code azure-keyvault} into keyward (listed in META-INF/services). Creating the provider is cheap. */
public final class AzureKeyVaultProviderFactory implements KeyProviderFactory {
    @Override
    public String id() {
        return AzureKeyVaultProvider.ID;
    }

    @Override
    public KeyProvider create(ProviderSettings settings) {
        return new AzureKeyVaultProvider(settings);
    }
}
