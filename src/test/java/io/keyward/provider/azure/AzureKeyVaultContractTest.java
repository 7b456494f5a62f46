package io.keyward.provider.azure;

import io.keyward.testing.azure.AzureKeyVaultFixture;
import io.keyward.testing.contract.KeyProviderContract;
import io.keyward.testing.contract.ProviderFixture;

/**
 * The shared provider contract against the Key Vault test server, through the real Azure SDK (Netty HTTP client,
 * Key Vault challenge authentication, MSAL client-credentials token requests), with short bounds.
 */
class AzureKeyVaultContractTest extends KeyProviderContract {
    @Override
    protected ProviderFixture createFixture() {
        return new AzureKeyVaultFixture(AzureKeyVaultFixture.quickSettings());
    }
}
